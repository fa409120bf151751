// SmuP scales density in hidden matrices only, so a sparse input layer does not compile.
// SMUP_EXPECT_ERROR: smup::Linear: only hidden layers may be sparse\. SmuP defines density
#include <smup/layers/linear.hpp>
#include <smup/parameterization/sparse_mup.hpp>
#include <smup/sparsity/unstructured.hpp>

using SparseInput = smup::Linear<smup::SMuP, smup::Unstructured, Kokkos::DefaultExecutionSpace,
                                 float, smup::Role::input>;
constexpr smup::Role role = SparseInput::role;
