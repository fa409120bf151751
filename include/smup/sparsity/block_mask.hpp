#pragma once
/// The mask of a Block<R, C> matrix: which whole R x C blocks are kept, as block rows
/// with sorted block-column indices (the skeleton of a BSR matrix). Generated on the
/// host from (seed, block_row, block_col) alone, so it is the same on every backend,
/// thread count and generation order.
///
/// The count is exact, not Bernoulli: the matrix keeps round(rho * blocks) blocks (at
/// least one), spread so that block rows differ by at most one block. Within a block
/// row the kept blocks are those with the smallest hashes of (seed, block_row,
/// block_col); the block rows that take one block more are those with the smallest
/// hashes of their index. Exact and balanced rows give kernels equal work per row
/// and benchmarks the density they ask for; a density below one block per block row
/// leaves some block rows empty.
///
///     auto m = smup::block_mask<smup::Block<32, 32>>(4096, 4096, smup::ratio{1, 8}, 7);
///     // m.blocks() == 2048; each of the 128 block rows keeps 16 blocks.

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <utility>
#include <vector>

#include <smup/core/ratio.hpp>
#include <smup/sparsity/block.hpp>
#include <smup/sparsity/counter_hash.hpp>

namespace smup {

/// Kept blocks of a block-sparse matrix, row by row (CSR over blocks).
struct BlockMask {
  std::int64_t block_rows = 0;         ///< rows / R
  std::int64_t block_cols = 0;         ///< cols / C
  std::vector<std::int64_t> row_ptr;   ///< block_rows + 1 offsets into col_index
  std::vector<std::int32_t> col_index; ///< kept block columns, ascending in each row

  [[nodiscard]] std::int64_t blocks() const { return static_cast<std::int64_t>(col_index.size()); }
  [[nodiscard]] bool kept(std::int64_t block_row, std::int64_t block_col) const {
    auto const first = col_index.begin() + row_ptr[block_row];
    auto const last = col_index.begin() + row_ptr[block_row + 1];
    return std::binary_search(first, last, static_cast<std::int32_t>(block_col));
  }
};

namespace detail {

/// round(rho * n) with halves rounded up, at least 1, in exact arithmetic.
inline std::int64_t kept_block_count(ratio density, std::int64_t n) {
  auto const scaled = static_cast<int128>(2) * density.num * n + density.den;
  auto const count = static_cast<std::int64_t>(scaled / (static_cast<int128>(2) * density.den));
  return std::max<std::int64_t>(count, 1);
}

// Keeps the row-extra hash stream apart from the per-block one.
inline constexpr std::uint64_t block_row_salt = 0x6a09e667f3bcc909ULL;

inline BlockMask make_block_mask(std::int64_t block_rows, std::int64_t block_cols, ratio density,
                                 std::uint64_t seed) {
  BlockMask mask;
  mask.block_rows = block_rows;
  mask.block_cols = block_cols;
  std::int64_t const total = kept_block_count(density, block_rows * block_cols);
  std::int64_t const per_row = total / block_rows;
  std::int64_t const extra = total % block_rows;

  // Which block rows take one block more: the `extra` smallest row hashes.
  std::vector<std::int64_t> order(static_cast<std::size_t>(block_rows));
  std::iota(order.begin(), order.end(), std::int64_t{0});
  std::vector<std::uint64_t> row_hash(order.size());
  for (std::int64_t i = 0; i < block_rows; ++i)
    row_hash[static_cast<std::size_t>(i)] =
        counter_hash(seed ^ block_row_salt, std::uint64_t(i), 0);
  std::vector<std::int64_t> count(order.size(), per_row);
  if (extra > 0) {
    auto const by_hash = [&](std::int64_t a, std::int64_t b) {
      auto const ha = row_hash[static_cast<std::size_t>(a)],
                 hb = row_hash[static_cast<std::size_t>(b)];
      return ha != hb ? ha < hb : a < b;
    };
    std::nth_element(order.begin(), order.begin() + (extra - 1), order.end(), by_hash);
    for (std::int64_t k = 0; k < extra; ++k)
      ++count[static_cast<std::size_t>(order[static_cast<std::size_t>(k)])];
  }

  mask.row_ptr.assign(static_cast<std::size_t>(block_rows + 1), 0);
  for (std::int64_t i = 0; i < block_rows; ++i)
    mask.row_ptr[static_cast<std::size_t>(i + 1)] =
        mask.row_ptr[static_cast<std::size_t>(i)] + count[static_cast<std::size_t>(i)];
  mask.col_index.resize(static_cast<std::size_t>(total));

  std::vector<std::pair<std::uint64_t, std::int32_t>> keyed(static_cast<std::size_t>(block_cols));
  for (std::int64_t i = 0; i < block_rows; ++i) {
    auto const k = count[static_cast<std::size_t>(i)];
    if (k == 0) continue;
    for (std::int64_t j = 0; j < block_cols; ++j)
      keyed[static_cast<std::size_t>(j)] = {counter_hash(seed, std::uint64_t(i), std::uint64_t(j)),
                                            static_cast<std::int32_t>(j)};
    // Pairs order by hash, then by column, so ties are deterministic too.
    std::nth_element(keyed.begin(), keyed.begin() + (k - 1), keyed.end());
    auto out = mask.col_index.begin() + mask.row_ptr[static_cast<std::size_t>(i)];
    for (std::int64_t n = 0; n < k; ++n) out[n] = keyed[static_cast<std::size_t>(n)].second;
    std::sort(out, out + k);
  }
  return mask;
}

} // namespace detail

/// The block mask of a rows x cols matrix of pattern Block<R, C> at `density`
/// (fraction of kept blocks). Throws smup::error for a shape not tiled by R x C
/// blocks or a density outside (0, 1].
template <class Pattern>
BlockMask block_mask(std::int64_t rows, std::int64_t cols, ratio density, std::uint64_t seed) {
  Pattern::check_shape(rows, cols);
  checked_density(density);
  return detail::make_block_mask(rows / Pattern::block_rows, cols / Pattern::block_cols, density,
                                 seed);
}

} // namespace smup
