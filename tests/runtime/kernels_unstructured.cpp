// Unstructured (Bernoulli and row-balanced) CSR weights and their kernels against the
// dense reference: the host fast path on the default space and on Serial, and the
// generic team-policy path that GPUs run (also with two threads per team), in float and
// double, on plain and padded activation views.

// The kernels first: the reference finds them by argument-dependent lookup.
#include <smup/kernels/csr.hpp>

#include <Kokkos_Core.hpp>

#include <algorithm>
#include <cstdint>
#include <tuple>
#include <utility>
#include <vector>

#include <smup/core/diagnostics.hpp>
#include <smup/core/error.hpp>
#include <smup/kernels/storage_bytes.hpp>

#include "catch.hpp"
#include "kernel_reference.hpp"
#include "support.hpp"

using smup_test::at_run_time;
using smup_test::GenericPath;

namespace {

struct Case {
  std::int64_t rows, cols;
  smup::ratio density;
  std::int64_t batch;
};

// Odd extents; batch 1; a batch that takes every register tile and a scalar tail (339,
// odd at every vector width); a fan-in and a fan-out long enough for several cache
// panels; a density low enough to leave rows and columns empty; density 1.
std::vector<Case> const cases = {
    {7, 13, smup::ratio{1, 3}, 1},      {37, 53, smup::ratio{1, 3}, 19},
    {29, 31, smup::ratio{1, 2}, 339},   {6, 4096, smup::ratio{1, 16}, 256},
    {1100, 12, smup::ratio{1, 4}, 256}, {40, 30, smup::ratio{1, 64}, 5},
    {17, 23, smup::ratio{1}, 33},       {1, 1, smup::ratio{1}, 1}};

template <class Pattern, class E, class Scalar, bool Generic = false>
void check_cases(double tolerance) {
  for (auto const& c : cases) {
    CAPTURE(Pattern::name, c.rows, c.cols, c.density.num, c.density.den, c.batch);
    smup::SparseWeights<Pattern, E, Scalar> w(c.rows, c.cols, c.density, 5);
    smup_test::check_kernels_against_dense(w, c.batch, tolerance);
    if constexpr (Generic) {
      GenericPath<decltype(w)> path{w};
      smup_test::check_kernels_against_dense(path, c.batch, tolerance);
    }
  }
}

} // namespace

// The kernels do not depend on the pattern (only the mask does), and the host path is the
// same code on every host space: each combination is covered once, to keep builds short.
TEST_CASE("Unstructured kernels match the dense reference on the default space",
          "[kernels][unstructured]") {
  using E = Kokkos::DefaultExecutionSpace;
  check_cases<smup::Unstructured, E, float, /*Generic=*/true>(1e-5);
  check_cases<smup::Unstructured, E, double>(1e-12);
  check_cases<smup::BalancedUnstructured, E, float>(1e-5);
  check_cases<smup::BalancedUnstructured, E, double, /*Generic=*/true>(1e-12);
}

TEST_CASE("Unstructured kernels match the dense reference on the Serial space",
          "[kernels][unstructured]") {
  check_cases<smup::Unstructured, Kokkos::Serial, double>(1e-12);
  check_cases<smup::BalancedUnstructured, Kokkos::Serial, float>(1e-5);
}

TEST_CASE("Unstructured kernels match the dense reference on padded activation views",
          "[kernels][unstructured][padded]") {
  using E = Kokkos::DefaultExecutionSpace;
  // A batch that is not a multiple of the vector width and one that is; a fan-in of
  // several cache panels; each shape through the host path and the generic path.
  for (std::int64_t const batch : {37, 64}) {
    CAPTURE(batch);
    smup::SparseWeights<smup::Unstructured, E, float> w(70, 90, smup::ratio{1, 4}, 3);
    smup_test::check_kernels_against_dense(w, batch, 1e-5, /*pad=*/11);
    GenericPath<decltype(w)> generic{w};
    smup_test::check_kernels_against_dense(generic, batch, 1e-5, 11);
    smup::SparseWeights<smup::Unstructured, E, float> wide(40, 1500, smup::ratio{1, 8}, 4);
    smup_test::check_kernels_against_dense(wide, batch, 1e-5, 3);
    smup::SparseWeights<smup::BalancedUnstructured, E, double> b(33, 65, smup::ratio{1, 5}, 5);
    smup_test::check_kernels_against_dense(b, batch, 1e-12, 1);
    GenericPath<decltype(b)> b_generic{b};
    smup_test::check_kernels_against_dense(b_generic, batch, 1e-12, 1);
  }
}

TEST_CASE("Unstructured generic kernels match the dense reference with two threads per team",
          "[kernels][unstructured][team]") {
  if (!smup_test::host_runs_teams_of_two()) return;
  using H = Kokkos::DefaultHostExecutionSpace;
  for (std::int64_t const batch : {1, 37, 64}) {
    CAPTURE(batch);
    smup::SparseWeights<smup::Unstructured, H, float> w(45, 70, smup::ratio{1, 3}, 6);
    GenericPath<decltype(w)> generic{w, 2};
    smup_test::check_kernels_against_dense(generic, batch, 1e-5);
    smup_test::check_kernels_against_dense(generic, batch, 1e-5, /*pad=*/7);
    smup::SparseWeights<smup::BalancedUnstructured, H, double> b(64, 40, smup::ratio{1, 2}, 7);
    GenericPath<decltype(b)> b_generic{b, 2};
    smup_test::check_kernels_against_dense(b_generic, batch, 1e-12);
  }
}

TEST_CASE("Generic kernels reject a team size the execution space cannot run",
          "[kernels][unstructured][team][errors]") {
  using E = Kokkos::DefaultExecutionSpace;
  smup::SparseWeights<smup::Unstructured, E, float> w(8, 8, smup::ratio{1, 2}, 1);
  smup::Activations<float, E> x("x", 8, 4), y("y", 8, 4);
  using Generic = smup::detail::GenericKernels<smup::Unstructured>;
  REQUIRE_THROWS_AS(Generic::forward(w, x, y, -1), smup::error);
  REQUIRE_THROWS_AS(Generic::forward(w, x, y, 1 << 20), smup::error);
  REQUIRE_NOTHROW(Generic::forward(w, x, y, 1));
}

TEST_CASE("Unstructured kernels overwrite their outputs instead of accumulating into them",
          "[kernels][unstructured]") {
  using E = Kokkos::DefaultExecutionSpace;
  // Several panels on both sides and every batch tile, so no partial sum is left over.
  smup::SparseWeights<smup::Unstructured, E, float> w(1030, 1500, smup::ratio{1, 8}, 4);
  std::int64_t const batch = 339;
  smup_test::fill_uniform(w.values(), 1);
  smup::Activations<float, E> x("x", 1500, batch), dy("dy", 1030, batch);
  smup_test::fill_uniform(x, 2);
  smup_test::fill_uniform(dy, 3);
  auto run = [&](float garbage) {
    smup::Activations<float, E> y("y", 1030, batch), dx("dx", 1500, batch);
    smup::WeightValues<float, E> dw("dw", w.kept());
    Kokkos::deep_copy(y, garbage);
    Kokkos::deep_copy(dx, garbage);
    Kokkos::deep_copy(dw, garbage);
    smup::forward(w, x, y);
    smup::backward_data(w, dy, dx);
    smup::weight_gradient(w, dy, x, dw);
    return std::tuple{Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, y),
                      Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, dx),
                      Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, dw)};
  };
  auto const [y0, dx0, dw0] = run(0.0f);
  auto const [y1, dx1, dw1] = run(1e30f);
  bool same = true;
  for (std::size_t i = 0; i < y0.span(); ++i) same = same && y0.data()[i] == y1.data()[i];
  for (std::size_t i = 0; i < dx0.span(); ++i) same = same && dx0.data()[i] == dx1.data()[i];
  for (std::size_t i = 0; i < dw0.span(); ++i) same = same && dw0.data()[i] == dw1.data()[i];
  CHECK(same);
}

TEST_CASE("Unstructured kernels handle a single kept entry and a matrix with none",
          "[kernels][unstructured]") {
  using E = Kokkos::DefaultExecutionSpace;
  smup::UnstructuredMask one;
  one.rows = 5;
  one.cols = 7;
  one.row_ptr = {0, 0, 0, 1, 1, 1};
  one.col_index = {4};
  smup::SparseWeights<smup::Unstructured, E, float> w(one);
  CHECK(w.kept() == 1);
  CHECK(w.mask_host()(2, 4));
  smup_test::check_kernels_against_dense(w, 17, 1e-6);
  GenericPath<decltype(w)> generic{w};
  smup_test::check_kernels_against_dense(generic, 17, 1e-6);

  // round(rho * cols) = 0: every row is empty, every product is zero.
  smup::SparseWeights<smup::BalancedUnstructured, E, double> none(9, 10, smup::ratio{1, 100}, 3);
  CHECK(none.kept() == 0);
  smup_test::check_kernels_against_dense(none, 20, 1e-12);
}

TEST_CASE("Unstructured weights at density 1 equal dense weights", "[kernels][unstructured]") {
  using E = Kokkos::DefaultExecutionSpace;
  smup::SparseWeights<smup::Unstructured, E, float> const w(19, 21, smup::ratio{1}, 8);
  CHECK(w.kept() == 19 * 21);
  CHECK(w.density() == 1.0);
  auto const mask = w.mask_host();
  bool all = true;
  for (std::size_t i = 0; i < mask.extent(0); ++i)
    for (std::size_t j = 0; j < mask.extent(1); ++j) all = all && mask(i, j);
  CHECK(all);
  // Row-major CSR order at density 1 is the dense row-major order.
  auto const cols = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, w.column_indices());
  CHECK(cols(0) == 0);
  CHECK(cols(21) == 0);
  CHECK(cols(22) == 1);
}

TEST_CASE("Unstructured weights expose CSR arrays and a consistent transposed map",
          "[kernels][unstructured]") {
  using E = Kokkos::DefaultExecutionSpace;
  smup::SparseWeights<smup::Unstructured, E, float> const w(50, 70, smup::ratio{1, 5}, 2);
  REQUIRE(w.column_segments() == 1);
  REQUIRE(w.row_segments() == 1);
  auto const row_map = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, w.row_map());
  auto const col = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, w.column_indices());
  auto const col_map =
      Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, w.transposed_col_map());
  auto const t_row =
      Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, w.transposed_row_indices());
  REQUIRE(row_map.extent(0) == 51u);
  REQUIRE(col_map.extent(0) == 71u);
  CHECK(row_map(50) == std::size_t(w.kept()));
  CHECK(col_map(70) == std::size_t(w.kept()));
  // The transposed map lists every kept entry once: (row, column) pairs of both agree.
  std::vector<std::pair<int, int>> by_row, by_column;
  for (int r = 0; r < 50; ++r)
    for (auto k = row_map(r); k < row_map(r + 1); ++k) by_row.emplace_back(r, int(col(k)));
  bool ascending = true;
  for (int c = 0; c < 70; ++c)
    for (auto k = col_map(c); k < col_map(c + 1); ++k) {
      by_column.emplace_back(int(t_row(k)), c);
      if (k > col_map(c)) ascending = ascending && t_row(k - 1) < t_row(k);
    }
  CHECK(ascending);
  std::sort(by_column.begin(), by_column.end());
  CHECK(by_row == by_column);
}

// 16-bit indices reach 65536 columns (rows, transposed); wider matrices cut each line into
// segments. Three segments each way, through the host and the generic kernels.
TEST_CASE("Unstructured kernels handle matrices wider and taller than a 16-bit index",
          "[kernels][unstructured]") {
  using E = Kokkos::DefaultExecutionSpace;
  smup::SparseWeights<smup::Unstructured, E, float> wide(3, 140000, smup::ratio{1, 4}, 9);
  CHECK(wide.column_segments() == 3);
  CHECK(wide.row_segments() == 1);
  auto const mask = wide.mask_host();
  std::int64_t beyond = 0;
  for (std::int64_t c = 2 * 65536; c < 140000; ++c) beyond += mask(1, c) ? 1 : 0;
  CHECK(beyond > 1000); // the last segment holds entries
  smup::SparseWeights<smup::BalancedUnstructured, E, double> tall(140000, 3, smup::ratio{1, 3}, 9);
  CHECK(tall.column_segments() == 1);
  CHECK(tall.row_segments() == 3);
  GenericPath<decltype(wide)> wide_generic{wide};
  GenericPath<decltype(tall)> tall_generic{tall};
  for (std::int64_t const batch : {37, 64}) {
    CAPTURE(batch);
    smup_test::check_kernels_against_dense(wide, batch, 1e-5);
    smup_test::check_kernels_against_dense(wide_generic, batch, 1e-5);
    smup_test::check_kernels_against_dense(tall, batch, 1e-12);
    smup_test::check_kernels_against_dense(tall_generic, batch, 1e-12);
  }
}

TEST_CASE("Unstructured weights count values and index bytes", "[kernels][unstructured]") {
  using E = Kokkos::DefaultExecutionSpace;
  smup::SparseWeights<smup::BalancedUnstructured, E, float> const w(64, 128, smup::ratio{1, 8}, 1);
  REQUIRE(w.kept() == 64 * 16);
  CHECK(w.density() == 0.125);
  auto const bytes = smup::storage_bytes(w, 2);
  CHECK(bytes.values == 1024u * sizeof(float));
  CHECK(bytes.optimizer_state == 2u * 1024u * sizeof(float));
  // Row and column offsets, then a 16-bit column and a 16-bit transposed row per entry.
  CHECK(bytes.indices == (65u + 129u) * sizeof(std::size_t) + 2u * 1024u * sizeof(std::uint16_t));
}

TEST_CASE(
    "Unstructured weights reject an empty shape and a density that is not positive or above 1",
    "[kernels][unstructured][errors]") {
  using E = Kokkos::DefaultExecutionSpace;
  using W = smup::SparseWeights<smup::Unstructured, E, float>;
  using B = smup::SparseWeights<smup::BalancedUnstructured, E, double>;
  std::int64_t const zero = at_run_time<std::int64_t>(0);
  smup::ratio const half{1, 2};
  REQUIRE_THROWS_AS(W(zero, 4, half, 1), smup::error);
  REQUIRE_THROWS_WITH(W(zero, 4, half, 1), SMUP_DIAG_MATRIX_EMPTY);
  REQUIRE_THROWS_WITH(W(4, zero, half, 1), SMUP_DIAG_MATRIX_EMPTY);
  REQUIRE_THROWS_WITH(B(-2, 4, half, 1), SMUP_DIAG_MATRIX_EMPTY);
  for (auto const bad : {smup::ratio{0}, smup::ratio{3, 2}, smup::ratio{-1, 4}, smup::ratio{2}}) {
    CAPTURE(bad.num, bad.den);
    REQUIRE_THROWS_WITH(W(4, 4, at_run_time(bad), 1), SMUP_DIAG_DENSITY_OUT_OF_RANGE);
    REQUIRE_THROWS_WITH(B(4, 4, at_run_time(bad), 1), SMUP_DIAG_DENSITY_OUT_OF_RANGE);
  }
  REQUIRE_THROWS_WITH(smup::Unstructured::check_shape(zero, 3), SMUP_DIAG_MATRIX_EMPTY);
  // A hand-made mask must be CSR: offsets that fit, columns ascending and in range.
  smup::UnstructuredMask bad;
  bad.rows = 2;
  bad.cols = 3;
  bad.row_ptr = {0, 2, 3};
  bad.col_index = {1, 0, 2}; // row 0 descends
  REQUIRE_THROWS_AS(W(bad), smup::error);
  bad.col_index = {0, 1, 3}; // column 3 of 3
  REQUIRE_THROWS_AS(W(bad), smup::error);
  bad.col_index = {0, 1, 2};
  bad.row_ptr = {0, 2}; // one offset short
  REQUIRE_THROWS_AS(W(bad), smup::error);
  bad.row_ptr = {0, 2, 3};
  REQUIRE_NOTHROW(W(bad));
  REQUIRE_THROWS_WITH(smup::BalancedUnstructured::check_density(at_run_time(smup::ratio{0})),
                      SMUP_DIAG_DENSITY_OUT_OF_RANGE);
}

TEST_CASE("Unstructured kernels reject operands whose extents do not fit the weights",
          "[kernels][unstructured][errors]") {
  using E = Kokkos::DefaultExecutionSpace;
  smup::SparseWeights<smup::Unstructured, E, float> const w(4, 6, smup::ratio{1}, 1);
  smup::Activations<float, E> const x("x", 6, 3), y("y", 4, 3), wrong("wrong", 5, 3),
      short_batch("short", 4, 2);
  smup::WeightValues<float, E> const dw("dw", 24), dw_wrong("dw_wrong", 23);
  REQUIRE_THROWS_AS(smup::forward(w, wrong, y), smup::error);
  REQUIRE_THROWS_AS(smup::forward(w, x, short_batch), smup::error);
  REQUIRE_THROWS_AS(smup::backward_data(w, x, y), smup::error);
  REQUIRE_THROWS_AS(smup::weight_gradient(w, y, wrong, dw), smup::error);
  REQUIRE_THROWS_AS(smup::weight_gradient(w, y, x, dw_wrong), smup::error);
  REQUIRE_NOTHROW(smup::backward_data(w, y, x));
  REQUIRE_NOTHROW(smup::weight_gradient(w, y, x, dw));
}
