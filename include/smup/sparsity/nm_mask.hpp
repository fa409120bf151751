#pragma once
/// The N:M mask of one weight row: in every group of M consecutive fan-in entries the
/// N with the smallest counter hash of (seed, row, column) are kept. A row depends on
/// nothing but its own numbers, so rows can be generated in any order, on any number
/// of threads, and the mask is the same everywhere.
///
///     std::uint8_t offsets[1024 / 4 * 2];             // N per group, ascending in-group positions
///     smup::nm_row_offsets<2, 4>(/*seed*/ 7, /*row*/ 3, /*cols*/ 1024, offsets);
///     // kept columns of row 3: (k / 2) * 4 + offsets[k]

#include <algorithm>
#include <array>
#include <cstdint>

#include <smup/sparsity/counter_hash.hpp>
#include <smup/sparsity/nm.hpp>

namespace smup {

/// Writes cols / M * N in-group offsets (each in [0, M)) for `row`, group after group,
/// ascending within a group. `cols` must be a multiple of M (NM<N, M>::check_shape).
template <int N, int M> void nm_row_offsets(std::uint64_t seed, std::int64_t row, std::int64_t cols,
                                            std::uint8_t* offsets) {
  static_assert(M <= 256, "smup::nm_row_offsets: in-group offsets are stored in 8 bits, so M "
                          "can be at most 256.");
  std::array<std::uint64_t, M> hash{};
  std::array<std::uint16_t, M> order{};
  // Ties in the hash are broken by position, so the choice is a total order.
  auto const before = [&hash](std::uint16_t a, std::uint16_t b) {
    return hash[a] < hash[b] || (hash[a] == hash[b] && a < b);
  };
  for (std::int64_t g = 0; g < cols / M; ++g) {
    for (int m = 0; m < M; ++m) {
      hash[m] = detail::counter_hash(seed, static_cast<std::uint64_t>(row),
                                     static_cast<std::uint64_t>(g * M + m));
      order[m] = static_cast<std::uint16_t>(m);
    }
    if constexpr (N == 1) {
      order[0] = *std::min_element(order.begin(), order.end(), before);
    } else {
      std::nth_element(order.begin(), order.begin() + (N - 1), order.end(), before);
      std::sort(order.begin(), order.begin() + N);
    }
    for (int n = 0; n < N; ++n) offsets[g * N + n] = static_cast<std::uint8_t>(order[n]);
  }
}

} // namespace smup
