// Block<R, C> masks: whole blocks, exact and balanced counts, uniform placement,
// determinism, and independence from the execution space.
#include "catch.hpp"
#include "support.hpp"

#include <smup/kernels/bsr.hpp>
#include <smup/sparsity/block_mask.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <vector>

using smup::ratio;

namespace {

template <class W> std::vector<std::int64_t> host_vector(W const& view) {
  auto const h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, view);
  return std::vector<std::int64_t>(h.data(), h.data() + h.extent(0));
}

template <class A, class B> bool same_mask(A const& a, B const& b) {
  if (a.extent(0) != b.extent(0) || a.extent(1) != b.extent(1)) return false;
  for (std::size_t i = 0; i < a.extent(0); ++i)
    for (std::size_t j = 0; j < a.extent(1); ++j)
      if (a(i, j) != b(i, j)) return false;
  return true;
}

} // namespace

TEST_CASE("A block mask keeps whole blocks, so the element mask is constant on each block",
          "[sparsity][block][mask]") {
  smup::SparseWeights<smup::Block<4, 8>, Kokkos::DefaultExecutionSpace, float> w(48, 64,
                                                                                 ratio{1, 3}, 21);
  auto const mask = w.mask_host();
  std::int64_t kept = 0;
  for (std::size_t i = 0; i < mask.extent(0); ++i)
    for (std::size_t j = 0; j < mask.extent(1); ++j) {
      REQUIRE(mask(i, j) == mask(i / 4 * 4, j / 8 * 8));
      kept += mask(i, j) ? 1 : 0;
    }
  REQUIRE(kept == w.kept());
  REQUIRE(w.kept() == w.blocks() * 32);
  REQUIRE(w.density() == double(w.kept()) / (48.0 * 64.0));
}

TEST_CASE("A block mask keeps round(density x blocks) blocks with block rows balanced to one",
          "[sparsity][block][mask]") {
  struct Case {
    std::int64_t block_rows, block_cols;
    ratio density;
    std::int64_t expected;
  };
  for (auto const& c :
       {Case{128, 128, {1, 8}, 2048}, Case{10, 7, {1, 3}, 23}, Case{5, 5, {1, 2}, 13},
        Case{16, 16, {1, 1000}, 1}, Case{3, 4, {1}, 12}, Case{64, 3, {1, 64}, 3}}) {
    auto const m = smup::detail::make_block_mask(c.block_rows, c.block_cols, c.density, 77);
    REQUIRE(m.blocks() == c.expected);
    REQUIRE(m.row_ptr.front() == 0);
    REQUIRE(m.row_ptr.back() == c.expected);
    std::int64_t lo = c.block_cols, hi = 0;
    for (std::int64_t i = 0; i < c.block_rows; ++i) {
      auto const first = m.col_index.begin() + m.row_ptr[std::size_t(i)];
      auto const last = m.col_index.begin() + m.row_ptr[std::size_t(i) + 1];
      lo = std::min<std::int64_t>(lo, last - first);
      hi = std::max<std::int64_t>(hi, last - first);
      REQUIRE(std::adjacent_find(first, last, std::greater_equal<>{}) == last); // ascending
      REQUIRE(std::all_of(first, last, [&](std::int32_t j) { return j >= 0 && j < c.block_cols; }));
    }
    REQUIRE(hi - lo <= 1);
  }
}

TEST_CASE("A block mask at a density below one block per block row leaves block rows empty",
          "[sparsity][block][mask]") {
  auto const m = smup::detail::make_block_mask(32, 32, ratio{1, 64}, 5);
  REQUIRE(m.blocks() == 16);
  std::int64_t empty = 0;
  for (std::size_t i = 0; i < 32; ++i) empty += m.row_ptr[i] == m.row_ptr[i + 1] ? 1 : 0;
  REQUIRE(empty == 16);
}

TEST_CASE("Kept blocks spread uniformly over block columns", "[sparsity][block][mask]") {
  // 512 block rows keep 16 of 64 blocks each: a column count is Binomial(512, 1/4),
  // mean 128 and standard deviation 9.8; 6 deviations bound all 64 columns.
  auto const m = smup::detail::make_block_mask(512, 64, ratio{1, 4}, 3);
  std::vector<std::int64_t> per_col(64, 0);
  for (auto j : m.col_index) ++per_col[std::size_t(j)];
  for (auto n : per_col)
    REQUIRE(std::abs(double(n) - 128.0) <= 6.0 * std::sqrt(512.0 * 0.25 * 0.75));
  // Which block rows take the extra block is spread too (not always the first ones).
  auto const odd = smup::detail::make_block_mask(64, 10, ratio{1, 4}, 3); // 160 = 64 x 2 + 32
  std::int64_t extra_in_first_half = 0;
  for (std::size_t i = 0; i < 32; ++i)
    extra_in_first_half += odd.row_ptr[i + 1] - odd.row_ptr[i] - 2;
  REQUIRE(extra_in_first_half > 4);
  REQUIRE(extra_in_first_half < 28);
}

TEST_CASE("A block mask is a function of the seed: same seed same mask, other seed other mask",
          "[sparsity][block][mask]") {
  using Pattern = smup::Block<8, 8>;
  auto const a = smup::block_mask<Pattern>(256, 512, ratio{1, 8}, 11);
  auto const b = smup::block_mask<Pattern>(256, 512, ratio{1, 8}, 11);
  auto const c = smup::block_mask<Pattern>(256, 512, ratio{1, 8}, 12);
  REQUIRE(a.row_ptr == b.row_ptr);
  REQUIRE(a.col_index == b.col_index);
  REQUIRE(a.col_index != c.col_index);
  REQUIRE(a.kept(0, a.col_index[0]));
  REQUIRE(a.blocks() == 32 * 64 / 8);
}

TEST_CASE("Block weights carry the mask of block_mask and a consistent transposed map",
          "[sparsity][block][mask]") {
  using Pattern = smup::Block<16, 8>;
  smup::SparseWeights<Pattern, Kokkos::DefaultExecutionSpace, double> w(160, 96, ratio{2, 7}, 8);
  auto const m = smup::block_mask<Pattern>(160, 96, ratio{2, 7}, 8);
  REQUIRE(host_vector(w.block_row_ptr()) ==
          std::vector<std::int64_t>(m.row_ptr.begin(), m.row_ptr.end()));
  REQUIRE(host_vector(w.block_col_index()) ==
          std::vector<std::int64_t>(m.col_index.begin(), m.col_index.end()));
  auto const cp = host_vector(w.block_col_ptr());
  auto const tr = host_vector(w.transposed_block_row());
  auto const tb = host_vector(w.transposed_block());
  auto const ci = host_vector(w.block_col_index());
  auto const rp = host_vector(w.block_row_ptr());
  std::vector<int> seen(std::size_t(w.blocks()), 0);
  for (std::int64_t j = 0; j < w.block_cols(); ++j)
    for (std::int64_t q = cp[std::size_t(j)]; q < cp[std::size_t(j) + 1]; ++q) {
      auto const p = tb[std::size_t(q)], i = tr[std::size_t(q)];
      ++seen[std::size_t(p)];
      REQUIRE(ci[std::size_t(p)] == j);
      REQUIRE(rp[std::size_t(i)] <= p);
      REQUIRE(p < rp[std::size_t(i) + 1]);
      if (q > cp[std::size_t(j)]) REQUIRE(tr[std::size_t(q) - 1] < i);
    }
  REQUIRE(std::all_of(seen.begin(), seen.end(), [](int n) { return n == 1; }));
}

#if defined(KOKKOS_ENABLE_SERIAL)
TEST_CASE("A block mask is identical on Serial and on the default execution space",
          "[sparsity][block][mask]") {
  smup::SparseWeights<smup::Block<4, 4>, Kokkos::Serial, float> serial(96, 64, ratio{1, 5}, 42);
  smup::SparseWeights<smup::Block<4, 4>, Kokkos::DefaultExecutionSpace, float> other(
      96, 64, ratio{1, 5}, 42);
  REQUIRE(same_mask(serial.mask_host(), other.mask_host()));
  REQUIRE(host_vector(serial.transposed_block()) == host_vector(other.transposed_block()));
}
#endif

TEST_CASE("block_mask rejects shapes not tiled by the blocks and densities outside 0 to 1",
          "[sparsity][block][mask][errors]") {
  using Pattern = smup::Block<32, 16>;
  auto const n = smup_test::at_run_time<std::int64_t>(64);
  REQUIRE_THROWS_WITH(smup::block_mask<Pattern>(n, n + 8, ratio{1, 2}, 1), SMUP_DIAG_BLOCK_SHAPE);
  REQUIRE_THROWS_WITH(smup::block_mask<Pattern>(n - 16, n, ratio{1, 2}, 1), SMUP_DIAG_BLOCK_SHAPE);
  REQUIRE_THROWS_WITH(smup::block_mask<Pattern>(0 * n, n, ratio{1, 2}, 1), SMUP_DIAG_MATRIX_EMPTY);
  REQUIRE_THROWS_WITH(smup::block_mask<Pattern>(n, n, ratio{0}, 1), SMUP_DIAG_DENSITY_OUT_OF_RANGE);
  REQUIRE_THROWS_WITH(smup::block_mask<Pattern>(n, n, ratio{5, 4}, 1),
                      SMUP_DIAG_DENSITY_OUT_OF_RANGE);
}
