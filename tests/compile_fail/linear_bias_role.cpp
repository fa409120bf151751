// A bias is a vector that belongs to a layer; it cannot be the role of a Linear layer.
// SMUP_EXPECT_ERROR: smup::Linear: the role must be Role::input, Role::hidden or Role::output
#include <smup/layers/linear.hpp>
#include <smup/parameterization/sparse_mup.hpp>

using BiasLayer =
    smup::Linear<smup::SMuP, smup::Dense, Kokkos::DefaultExecutionSpace, float, smup::Role::bias>;
constexpr smup::Role role = BiasLayer::role;
