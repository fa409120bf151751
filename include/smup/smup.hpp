#pragma once
/// smup: sparse neural-network training with the Sparse Maximal Update
/// Parameterization (SmuP) on Kokkos. This umbrella header includes the whole
/// public library; each component can also be included on its own.

#include <smup/fwd.hpp>

#include <smup/core/diagnostics.hpp>
#include <smup/core/error.hpp>
#include <smup/core/monomial.hpp>
#include <smup/core/parse_ratio.hpp>
#include <smup/core/ratio.hpp>
#include <smup/core/role.hpp>
#include <smup/core/text.hpp>

#include <smup/parameterization/attention.hpp>
#include <smup/parameterization/concepts.hpp>
#include <smup/parameterization/hyperparams.hpp>
#include <smup/parameterization/layer_hyperparams.hpp>
#include <smup/parameterization/mup.hpp>
#include <smup/parameterization/shape.hpp>
#include <smup/parameterization/sp.hpp>
#include <smup/parameterization/sparse_mup.hpp>
#include <smup/parameterization/stability.hpp>

#include <smup/sparsity/block.hpp>
#include <smup/sparsity/concepts.hpp>
#include <smup/sparsity/dense.hpp>
#include <smup/sparsity/density.hpp>
#include <smup/sparsity/nm.hpp>
#include <smup/sparsity/unstructured.hpp>
