// SMUP_EXPECT_ERROR: smup::Block<R, C>: rows must be a multiple of R and columns a multiple of C
#include <smup/sparsity/block.hpp>

constexpr bool broken = (smup::Block<32, 32>::check_shape(64, 48), true);
