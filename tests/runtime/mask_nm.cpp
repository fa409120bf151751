// N:M masks: exactly N kept in every group of M, positions uniform, deterministic in the
// seed and independent of the execution space; the transposed index lists every entry.

#include <smup/kernels/nm.hpp>
#include <smup/sparsity/nm_mask.hpp>

#include "catch.hpp"

#include <Kokkos_Core.hpp>

#include <cmath>
#include <cstdint>
#include <vector>

namespace {

template <int N, int M, class E = Kokkos::DefaultExecutionSpace> using NmWeights =
    smup::SparseWeights<smup::NM<N, M>, E, float>;

template <class A, class B> bool same_mask(A const& a, B const& b) {
  for (std::size_t i = 0; i < a.extent(0); ++i)
    for (std::size_t j = 0; j < a.extent(1); ++j)
      if (a(i, j) != b(i, j)) return false;
  return true;
}

template <int N, int M> void check_exact_groups(std::int64_t rows, std::int64_t cols) {
  CAPTURE(N, M, rows, cols);
  NmWeights<N, M> const w(rows, cols, 5);
  auto const mask = w.mask_host();
  bool exact = true;
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t g = 0; g < cols / M; ++g) {
      int kept = 0;
      for (int m = 0; m < M; ++m) kept += mask(r, g * M + m) ? 1 : 0;
      exact = exact && kept == N;
    }
  CHECK(exact);
  CHECK(w.kept() == rows * cols / M * N);
}

} // namespace

TEST_CASE("An N:M mask keeps exactly N weights in every group of M", "[sparsity][nm][mask]") {
  check_exact_groups<2, 4>(33, 64);
  check_exact_groups<1, 2>(7, 10);
  check_exact_groups<1, 4>(5, 4);
  check_exact_groups<3, 8>(17, 40);
  check_exact_groups<1, 16>(9, 256);
  check_exact_groups<1, 64>(4, 640);
  check_exact_groups<7, 8>(6, 24);
}

TEST_CASE("N:M in-group offsets are ascending, in range and agree with the mask",
          "[sparsity][nm][mask]") {
  std::int64_t const cols = 48;
  std::vector<std::uint8_t> offsets(cols / 8 * 3);
  NmWeights<3, 8> const w(4, cols, 21);
  auto const mask = w.mask_host();
  for (std::int64_t r = 0; r < 4; ++r) {
    smup::nm_row_offsets<3, 8>(21, r, cols, offsets.data());
    for (std::int64_t g = 0; g < cols / 8; ++g)
      for (int n = 0; n < 3; ++n) {
        std::uint8_t const o = offsets[g * 3 + n];
        CHECK(o < 8);
        if (n > 0) CHECK(offsets[g * 3 + n - 1] < o);
        CHECK(mask(r, g * 8 + o));
      }
  }
}

TEST_CASE("Every in-group position of an N:M mask is kept with probability N/M",
          "[sparsity][nm][mask][statistics]") {
  // 2:4 over 512 x 512: 65536 groups; each position kept Binomial(65536, 1/2) times.
  NmWeights<2, 4> const w(512, 512, 9);
  auto const mask = w.mask_host();
  double counts[4] = {};
  for (std::int64_t r = 0; r < 512; ++r)
    for (std::int64_t c = 0; c < 512; ++c) counts[c % 4] += mask(r, c) ? 1 : 0;
  double const groups = 512.0 * 128.0, sigma = std::sqrt(groups * 0.5 * 0.5);
  for (double const count : counts) CHECK(std::abs(count - groups * 0.5) < 5 * sigma);

  // 1:16: each of the 16 positions chosen 1/16 of the time; and the choices of two
  // rows are independent, so about 1/16 of their groups pick the same position.
  NmWeights<1, 16> const s(256, 1024, 9);
  auto const smask = s.mask_host();
  double pos[16] = {}, agree = 0;
  for (std::int64_t r = 0; r < 256; ++r)
    for (std::int64_t c = 0; c < 1024; ++c) {
      pos[c % 16] += smask(r, c) ? 1 : 0;
      if (r % 2 == 1) agree += smask(r, c) && smask(r - 1, c) ? 1 : 0;
    }
  double const n16 = 256.0 * 64.0, s16 = std::sqrt(n16 * (1.0 / 16) * (15.0 / 16));
  for (double const count : pos) CHECK(std::abs(count - n16 / 16) < 5 * s16);
  double const pairs = 128.0 * 64.0, s_pairs = std::sqrt(pairs * (1.0 / 16) * (15.0 / 16));
  CHECK(std::abs(agree - pairs / 16) < 5 * s_pairs);
}

TEST_CASE("N:M masks are deterministic in the seed", "[sparsity][nm][mask]") {
  NmWeights<2, 4> const a(40, 64, 123), b(40, 64, 123), c(40, 64, 124);
  CHECK(same_mask(a.mask_host(), b.mask_host()));
  CHECK_FALSE(same_mask(a.mask_host(), c.mask_host()));
  NmWeights<1, 8> const d(40, 64, 123), e(40, 64, 124);
  CHECK_FALSE(same_mask(d.mask_host(), e.mask_host()));
}

TEST_CASE("N:M masks are the same on Serial and on the default execution space",
          "[sparsity][nm][mask]") {
  NmWeights<2, 4, Kokkos::Serial> const serial(257, 128, 77);
  NmWeights<2, 4, Kokkos::DefaultExecutionSpace> const parallel(257, 128, 77);
  CHECK(same_mask(serial.mask_host(), parallel.mask_host()));
  NmWeights<1, 16, Kokkos::Serial> const serial16(65, 512, 78);
  NmWeights<1, 16, Kokkos::DefaultExecutionSpace> const parallel16(65, 512, 78);
  CHECK(same_mask(serial16.mask_host(), parallel16.mask_host()));
}

TEST_CASE("The N:M transposed index lists every kept weight once, rows ascending",
          "[sparsity][nm][mask]") {
  NmWeights<2, 4> const w(37, 24, 3);
  auto const starts =
      Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, w.transposed_starts());
  auto const entries =
      Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, w.transposed_entries());
  auto const offsets = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, w.offsets());
  auto const row_of = w.row_of();
  std::vector<int> seen(static_cast<std::size_t>(w.kept()), 0);
  CHECK(starts(0) == 0);
  CHECK(starts(24) == w.kept());
  for (std::int64_t c = 0; c < 24; ++c)
    for (std::int32_t e = starts(c); e < starts(c + 1); ++e) {
      std::int32_t const p = entries(e);
      std::int64_t const r = row_of(p);
      CHECK(r == p / w.kept_per_row());
      CHECK(decltype(w)::column(p % w.kept_per_row(), offsets(p)) == c);
      if (e > starts(c)) CHECK(row_of(entries(e - 1)) < r);
      ++seen[static_cast<std::size_t>(p)];
    }
  bool once = true;
  for (int const n : seen) once = once && n == 1;
  CHECK(once);
}

TEST_CASE("The row of a value position is found by multiply and shift for any row length",
          "[sparsity][nm]") {
  for (std::uint64_t const d : {1u, 2u, 3u, 7u, 12u, 1000u, 2048u, 4095u, 65536u, 1u << 30}) {
    smup::detail::NmRowOf const row_of(d);
    bool exact = true;
    for (std::int64_t n : {std::int64_t{0}, std::int64_t{1}, std::int64_t(d) - 1, std::int64_t(d),
                           std::int64_t(d) + 1, std::int64_t{123456789},
                           std::int64_t{INT32_MAX} - 1, std::int64_t{INT32_MAX}}) {
      if (n < 0) continue;
      exact = exact && row_of(static_cast<std::int32_t>(n)) == n / std::int64_t(d);
    }
    for (std::int64_t n = 0; n < (std::int64_t{1} << 31); n += 9973 * 17)
      exact = exact && row_of(static_cast<std::int32_t>(n)) == n / std::int64_t(d);
    CAPTURE(d);
    CHECK(exact);
  }
}
