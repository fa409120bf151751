// SMUP_EXPECT_ERROR: smup::Block<R, C>: rows must be a multiple of R and columns a multiple of C
#include <smup/sparsity/block.hpp>

constexpr bool broken = (smup::Block<16, 4>::check_shape(40, 64), true);
