// smup::Block<R, C>: whole R x C blocks kept or dropped; density chosen per layer.
#include <smup/sparsity/block.hpp>

#include <type_traits>

namespace {

using smup::Block;

static_assert(smup::SparsityPattern<Block<32, 32>>);
static_assert(smup::SparsityPattern<Block<1, 1>>);
static_assert(Block<32, 32>::block_rows == 32 && Block<32, 32>::block_cols == 32);
static_assert(Block<16, 64>::block_rows == 16 && Block<16, 64>::block_cols == 64);
static_assert(Block<32, 32>::name == "block");
// Negative: the kept fraction of blocks is per layer, not part of the type.
static_assert(!Block<32, 32>::has_static_density);
static_assert(!smup::StaticDensityPattern<Block<32, 32>>);
static_assert(!std::is_same_v<Block<16, 64>, Block<64, 16>>);
// Block<0, 32> stops the build with a named rule: see compile_fail/block_zero.cpp.

} // namespace
