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
#include <smup/parameterization/weight_tying.hpp>

#include <smup/sparsity/block.hpp>
#include <smup/sparsity/block_mask.hpp>
#include <smup/sparsity/concepts.hpp>
#include <smup/sparsity/counter_hash.hpp>
#include <smup/sparsity/dense.hpp>
#include <smup/sparsity/density.hpp>
#include <smup/sparsity/nm.hpp>
#include <smup/sparsity/nm_mask.hpp>
#include <smup/sparsity/unstructured.hpp>
#include <smup/sparsity/unstructured_mask.hpp>

#include <smup/kernels/bsr.hpp>
#include <smup/kernels/csr.hpp>
#include <smup/kernels/dense.hpp>
#include <smup/kernels/extents.hpp>
#include <smup/kernels/formats.hpp>
#include <smup/kernels/math.hpp>
#include <smup/kernels/nm.hpp>
#include <smup/kernels/sparse_weights.hpp>
#include <smup/kernels/storage_bytes.hpp>
#include <smup/kernels/views.hpp>

#include <smup/layers/activations.hpp>
#include <smup/layers/causal_attention.hpp>
#include <smup/layers/embedding.hpp>
#include <smup/layers/init.hpp>
#include <smup/layers/layer_norm.hpp>
#include <smup/layers/linear.hpp>
#include <smup/layers/residual.hpp>
#include <smup/layers/softmax_cross_entropy.hpp>
#include <smup/layers/tied_readout.hpp>

#include <smup/optim/adam.hpp>
#include <smup/optim/clip.hpp>
#include <smup/optim/gradient_accumulation.hpp>
#include <smup/optim/gradient_buffer.hpp>
#include <smup/optim/model_tensors.hpp>
#include <smup/optim/schedule.hpp>
#include <smup/optim/sgd.hpp>
#include <smup/optim/tensor.hpp>

#include <smup/models/gpt.hpp>
#include <smup/models/mlp.hpp>

#include <smup/io/fashion_mnist.hpp>
#include <smup/io/idx.hpp>
#include <smup/io/image_batches.hpp>
#include <smup/io/text.hpp>

#include <smup/diagnostics/coord_check.hpp>
#include <smup/diagnostics/csv.hpp>
#include <smup/diagnostics/svg_plot.hpp>
#include <smup/diagnostics/sweep.hpp>
#include <smup/diagnostics/sweep_shard.hpp>
#include <smup/diagnostics/transfer_report.hpp>
