// SMUP_EXPECT_ERROR: smup::NM<N, M>: the fan-in .columns. must be a multiple of M
#include <smup/sparsity/nm.hpp>

// 6 inputs do not split into groups of 4.
constexpr bool broken = (smup::NM<2, 4>::check_shape(8, 6), true);
