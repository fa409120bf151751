// Unstructured masks: the Bernoulli rule per weight and its statistics, the exact
// row counts of the balanced variant, and determinism across seeds and backends.
#include <smup/kernels/csr.hpp>
#include <smup/sparsity/unstructured_mask.hpp>

#include "catch.hpp"

#include <Kokkos_Core.hpp>

#include <cmath>
#include <cstdint>
#include <limits>

#include <smup/sparsity/counter_hash.hpp>

namespace {

template <class A, class B> bool same_mask(A const& a, B const& b) {
  if (a.extent(0) != b.extent(0) || a.extent(1) != b.extent(1)) return false;
  for (std::size_t i = 0; i < a.extent(0); ++i)
    for (std::size_t j = 0; j < a.extent(1); ++j)
      if (a(i, j) != b(i, j)) return false;
  return true;
}

bool rows_sorted_and_in_range(smup::UnstructuredMask const& m) {
  for (std::int64_t r = 0; r < m.rows; ++r)
    for (auto k = m.row_ptr[r]; k < m.row_ptr[r + 1]; ++k) {
      auto const c = m.col_index[static_cast<std::size_t>(k)];
      if (c < 0 || c >= m.cols) return false;
      if (k > m.row_ptr[r] && m.col_index[static_cast<std::size_t>(k) - 1] >= c) return false;
    }
  return true;
}

} // namespace

TEST_CASE("An unstructured mask keeps exactly the weights whose uniform draw is below rho",
          "[mask][unstructured]") {
  std::uint64_t const seed = 42;
  for (auto const rho : {smup::ratio{1, 3}, smup::ratio{1, 16}, smup::ratio{7, 8}}) {
    auto const m = smup::unstructured_mask<smup::Unstructured>(61, 47, rho, seed);
    CHECK(rows_sorted_and_in_range(m));
    bool rule = true;
    for (std::int64_t r = 0; r < 61; ++r)
      for (std::int64_t c = 0; c < 47; ++c)
        rule = rule &&
               m.kept(r, c) == (smup::detail::uniform01(seed, std::uint64_t(r), std::uint64_t(c)) <
                                rho.to_double());
    CHECK(rule);
  }
}

TEST_CASE("An unstructured mask has the Bernoulli density within binomial tolerance",
          "[mask][unstructured]") {
  for (auto const rho : {smup::ratio{1, 2}, smup::ratio{1, 16}, smup::ratio{1, 64}}) {
    CAPTURE(rho.num, rho.den);
    std::int64_t const rows = 300, cols = 500;
    auto const m = smup::unstructured_mask<smup::Unstructured>(rows, cols, rho, 7);
    double const n = double(rows * cols), p = rho.to_double();
    double const sd = std::sqrt(n * p * (1 - p));
    // 5 standard deviations: a false alarm about once in 3.5 million seeds.
    CHECK(std::abs(double(m.kept()) - n * p) < 5 * sd);
    // Rows vary: Bernoulli, not balanced (some row length differs from another).
    bool varies = false;
    for (std::int64_t r = 1; r < rows; ++r)
      varies = varies || (m.row_ptr[r + 1] - m.row_ptr[r]) != (m.row_ptr[1] - m.row_ptr[0]);
    CHECK(varies);
    // Each column keeps about rho of its weights too: the draw has no column bias.
    std::vector<std::int64_t> per_col(static_cast<std::size_t>(cols), 0);
    for (auto const c : m.col_index) ++per_col[static_cast<std::size_t>(c)];
    double const col_sd = std::sqrt(rows * p * (1 - p));
    double worst = 0;
    for (auto const k : per_col) worst = std::max(worst, std::abs(double(k) - rows * p));
    CHECK(worst < 6 * col_sd);
  }
}

TEST_CASE("A balanced unstructured mask keeps round(rho * fan_in) weights in every row",
          "[mask][unstructured]") {
  struct Case {
    std::int64_t cols;
    smup::ratio rho;
    std::int64_t per_row;
  };
  // 12.33 -> 12, 12.5 -> 13 (halves up), 4096 / 16, everything, and less than a half.
  for (auto const c : {Case{37, smup::ratio{1, 3}, 12}, Case{100, smup::ratio{1, 8}, 13},
                       Case{4096, smup::ratio{1, 16}, 256}, Case{10, smup::ratio{1}, 10},
                       Case{10, smup::ratio{1, 100}, 0}}) {
    CAPTURE(c.cols, c.rho.num, c.rho.den);
    auto const m = smup::unstructured_mask<smup::BalancedUnstructured>(23, c.cols, c.rho, 3);
    CHECK(rows_sorted_and_in_range(m));
    bool exact = true;
    for (std::int64_t r = 0; r < 23; ++r)
      exact = exact && m.row_ptr[r + 1] - m.row_ptr[r] == c.per_row;
    CHECK(exact);
  }
}

TEST_CASE("A balanced unstructured mask keeps the smallest hashes of each row",
          "[mask][unstructured]") {
  std::uint64_t const seed = 9;
  auto const m =
      smup::unstructured_mask<smup::BalancedUnstructured>(31, 64, smup::ratio{1, 4}, seed);
  bool smallest = true;
  for (std::int64_t r = 0; r < 31; ++r) {
    std::uint64_t max_kept = 0, min_dropped = std::numeric_limits<std::uint64_t>::max();
    for (std::int64_t c = 0; c < 64; ++c) {
      auto const h = smup::detail::counter_hash(seed, std::uint64_t(r), std::uint64_t(c));
      if (m.kept(r, c))
        max_kept = std::max(max_kept, h);
      else
        min_dropped = std::min(min_dropped, h);
    }
    smallest = smallest && max_kept < min_dropped;
  }
  CHECK(smallest);
}

TEST_CASE("Unstructured masks depend on the seed only, not on the execution space",
          "[mask][unstructured]") {
  using Open = Kokkos::DefaultExecutionSpace;
  auto const rho = smup::ratio{1, 5};
  smup::SparseWeights<smup::Unstructured, Open, float> const a(45, 67, rho, 11);
  smup::SparseWeights<smup::Unstructured, Open, float> const again(45, 67, rho, 11);
  smup::SparseWeights<smup::Unstructured, Kokkos::Serial, double> const serial(45, 67, rho, 11);
  smup::SparseWeights<smup::Unstructured, Open, float> const other(45, 67, rho, 12);
  CHECK(same_mask(a.mask_host(), again.mask_host()));
  CHECK(same_mask(a.mask_host(), serial.mask_host()));
  CHECK_FALSE(same_mask(a.mask_host(), other.mask_host()));

  smup::SparseWeights<smup::BalancedUnstructured, Open, float> const b(45, 67, rho, 11);
  smup::SparseWeights<smup::BalancedUnstructured, Kokkos::Serial, float> const b_serial(45, 67, rho,
                                                                                        11);
  smup::SparseWeights<smup::BalancedUnstructured, Open, float> const b_other(45, 67, rho, 12);
  CHECK(same_mask(b.mask_host(), b_serial.mask_host()));
  CHECK_FALSE(same_mask(b.mask_host(), b_other.mask_host()));
  // The stored mask is the generator's.
  auto const m = smup::unstructured_mask<smup::Unstructured>(45, 67, rho, 11);
  auto const host = a.mask_host();
  bool same = true;
  for (std::int64_t r = 0; r < 45; ++r)
    for (std::int64_t c = 0; c < 67; ++c) same = same && host(r, c) == m.kept(r, c);
  CHECK(same);
}
