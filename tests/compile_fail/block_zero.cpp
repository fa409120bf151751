// SMUP_EXPECT_ERROR: smup::Block<R, C>: block rows R and block columns C must both be at least 1
#include <smup/sparsity/block.hpp>

constexpr int broken = smup::Block<0, 32>::block_rows;
