#pragma once
/// The mask of an unstructured matrix as CSR: kept column indices, ascending, row by
/// row. Generated on the host from (seed, row, col) alone, so it is the same on every
/// backend, thread count and generation order.
///
/// Unstructured keeps (row, col) when uniform01(seed, row, col) < rho: a Bernoulli
/// draw per weight. BalancedUnstructured keeps, in each row, the round(rho * cols)
/// columns with the smallest counter_hash(seed, row, col): the same random order,
/// cut at an exact count.
///
///     auto m = smup::unstructured_mask<smup::Unstructured>(4096, 4096, smup::ratio{1, 16}, 7);
///     // m.kept() is about 4096 * 4096 / 16; m.kept(r, c) says whether (r, c) survived.

#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <utility>
#include <vector>

#include <smup/core/ratio.hpp>
#include <smup/sparsity/counter_hash.hpp>
#include <smup/sparsity/unstructured.hpp>

namespace smup {

/// Kept weights of an unstructured matrix, row by row (the skeleton of a CSR matrix).
struct UnstructuredMask {
  std::int64_t rows = 0;
  std::int64_t cols = 0;
  std::vector<std::int64_t> row_ptr;   ///< rows + 1 offsets into col_index
  std::vector<std::int32_t> col_index; ///< kept columns, ascending in each row

  [[nodiscard]] std::int64_t kept() const { return static_cast<std::int64_t>(col_index.size()); }
  [[nodiscard]] bool kept(std::int64_t row, std::int64_t col) const {
    auto const first = col_index.begin() + row_ptr[row];
    auto const last = col_index.begin() + row_ptr[row + 1];
    return std::binary_search(first, last, static_cast<std::int32_t>(col));
  }
};

namespace detail {

/// round(rho * n) with halves rounded up, in exact arithmetic (0 when rho * n < 1/2).
inline std::int64_t balanced_row_count(ratio density, std::int64_t n) {
  auto const scaled = static_cast<int128>(2) * density.num * n + density.den;
  return static_cast<std::int64_t>(scaled / (static_cast<int128>(2) * density.den));
}

inline void bernoulli_rows(UnstructuredMask& m, ratio density, std::uint64_t seed) {
  // uniform01 < rho compared in integers: the hash's top 53 bits against rho * 2^53,
  // so the decision is exact and rho = 1 keeps everything.
  auto const threshold = static_cast<std::uint64_t>(
      (static_cast<int128>(density.num) << 53) / density.den +
      ((static_cast<int128>(density.num) << 53) % density.den != 0 ? 1 : 0));
  // The expected count plus a margin: one allocation in the common case.
  auto const expected =
      static_cast<double>(m.rows) * static_cast<double>(m.cols) * density.to_double();
  m.col_index.reserve(static_cast<std::size_t>(expected * 1.01 + 64.0));
  for (std::int64_t r = 0; r < m.rows; ++r) {
    for (std::int64_t c = 0; c < m.cols; ++c)
      if ((counter_hash(seed, static_cast<std::uint64_t>(r), static_cast<std::uint64_t>(c)) >> 11) <
          threshold)
        m.col_index.push_back(static_cast<std::int32_t>(c));
    m.row_ptr[r + 1] = m.kept();
  }
}

inline void balanced_rows(UnstructuredMask& m, ratio density, std::uint64_t seed) {
  auto const per_row = balanced_row_count(density, m.cols);
  std::vector<std::pair<std::uint64_t, std::int32_t>> order(static_cast<std::size_t>(m.cols));
  m.col_index.reserve(static_cast<std::size_t>(per_row * m.rows));
  for (std::int64_t r = 0; r < m.rows; ++r) {
    for (std::int64_t c = 0; c < m.cols; ++c)
      order[static_cast<std::size_t>(c)] = {
          counter_hash(seed, static_cast<std::uint64_t>(r), static_cast<std::uint64_t>(c)),
          static_cast<std::int32_t>(c)};
    // Ties (equal 64-bit hashes) are broken by column, so the cut is still a function
    // of (seed, row, col) only.
    std::nth_element(order.begin(), order.begin() + per_row, order.end());
    auto const first = m.col_index.size();
    for (std::int64_t i = 0; i < per_row; ++i)
      m.col_index.push_back(order[static_cast<std::size_t>(i)].second);
    std::sort(m.col_index.begin() + static_cast<std::ptrdiff_t>(first), m.col_index.end());
    m.row_ptr[r + 1] = m.kept();
  }
}

} // namespace detail

/// The mask of Pattern (Unstructured or BalancedUnstructured) for a rows x cols matrix.
/// Throws smup::error on an empty shape or a density outside (0, 1].
template <class Pattern> UnstructuredMask unstructured_mask(std::int64_t rows, std::int64_t cols,
                                                            ratio density, std::uint64_t seed) {
  static_assert(std::is_same_v<Pattern, Unstructured> ||
                    std::is_same_v<Pattern, BalancedUnstructured>,
                "smup::unstructured_mask: Pattern must be smup::Unstructured or "
                "smup::BalancedUnstructured. Other patterns have their own mask generators. "
                "Use the one in the pattern's *_mask.hpp header.");
  Pattern::check_shape(rows, cols);
  Pattern::check_density(density);
  UnstructuredMask m;
  m.rows = rows;
  m.cols = cols;
  m.row_ptr.assign(static_cast<std::size_t>(rows + 1), 0);
  if constexpr (std::is_same_v<Pattern, Unstructured>)
    detail::bernoulli_rows(m, density, seed);
  else
    detail::balanced_rows(m, density, seed);
  return m;
}

} // namespace smup
