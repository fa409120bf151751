// N:M weights and their kernels against the dense reference: the host fast path (default
// space and Serial) and the generic Kokkos path (also with two threads per team), float
// and double, plain and padded activation views; shapes, errors, bytes.

#include <smup/kernels/nm.hpp>

#include "catch.hpp"
#include "kernel_reference.hpp"
#include "support.hpp"

#include <Kokkos_Core.hpp>

#include <cstdint>
#include <string>

#include <smup/core/diagnostics.hpp>
#include <smup/core/error.hpp>
#include <smup/kernels/storage_bytes.hpp>

using smup_test::at_run_time;
using smup_test::GenericPath;

namespace {

/// The text of the smup::error that f throws, or "" if it throws none.
template <class F> std::string error_text(F&& f) {
  try {
    f();
  } catch (smup::error const& e) {
    return e.what();
  }
  return "";
}

struct Case {
  std::int64_t rows, cols, batch;
};

template <int N, int M, class E, class Scalar>
void check_cases(std::initializer_list<Case> cases, double tolerance) {
  for (auto const c : cases) {
    CAPTURE(N, M, c.rows, c.cols, c.batch);
    smup::SparseWeights<smup::NM<N, M>, E, Scalar> w(c.rows, c.cols, 7);
    smup_test::check_kernels_against_dense(w, c.batch, tolerance);
    GenericPath<decltype(w)> generic{w};
    smup_test::check_kernels_against_dense(generic, c.batch, tolerance);
  }
}

// Batches below one vector, between vectors, a whole 8-vector chunk plus a tail; several
// panels and row blocks; a single kept entry; a fan-in of 4096. Each pattern instantiates
// every kernel twice over, so the list is short on purpose: compile time is shared.
template <class E, class Scalar> void check_two_of_four(double tolerance) {
  check_cases<2, 4, E, Scalar>(
      {{1, 4, 1}, {7, 12, 1}, {37, 44, 3}, {64, 48, 300}, {150, 200, 256}, {5, 4096, 19}},
      tolerance);
}

template <class E, class Scalar> void check_sparse_groups(double tolerance) {
  check_cases<3, 8, E, Scalar>({{50, 96, 33}}, tolerance);
  check_cases<1, 16, E, Scalar>({{129, 256, 145}, {1, 16, 1}}, tolerance); // one kept weight
}

} // namespace

TEST_CASE("N:M kernels match the dense reference in float and double on the default space",
          "[kernels][nm]") {
  using E = Kokkos::DefaultExecutionSpace;
  check_two_of_four<E, float>(1e-5);
  check_two_of_four<E, double>(1e-12);
  check_sparse_groups<E, float>(1e-5);
  check_sparse_groups<E, double>(1e-12);
}

TEST_CASE("N:M kernels match the dense reference for the sparsest and densest groups",
          "[kernels][nm]") {
  using E = Kokkos::DefaultExecutionSpace;
  check_cases<1, 2, E, float>({{33, 70, 40}}, 1e-5);
  check_cases<1, 4, E, float>({{1, 4, 16}, {20, 32, 17}}, 1e-5);
  // Few rows and a long group: most input columns are read by no kept weight at all.
  check_cases<1, 64, E, float>({{3, 640, 20}, {40, 128, 256}}, 1e-5);
  check_cases<7, 8, E, float>({{9, 16, 130}}, 1e-5); // the densest N:M
}

TEST_CASE("N:M kernels match the dense reference on the Serial space", "[kernels][nm]") {
  check_two_of_four<Kokkos::Serial, float>(1e-5);
  check_two_of_four<Kokkos::Serial, double>(1e-12);
}

TEST_CASE("N:M kernels match the dense reference on padded activation views",
          "[kernels][nm][padded]") {
  using E = Kokkos::DefaultExecutionSpace;
  // A batch that is not a multiple of the vector width and one that is, on the host
  // path and the generic path.
  for (std::int64_t const batch : {37, 64}) {
    CAPTURE(batch);
    smup::SparseWeights<smup::NM<2, 4>, E, float> two_four(48, 64, 7);
    smup_test::check_kernels_against_dense(two_four, batch, 1e-5, /*pad=*/11);
    GenericPath<decltype(two_four)> generic{two_four};
    smup_test::check_kernels_against_dense(generic, batch, 1e-5, 11);
    smup::SparseWeights<smup::NM<1, 8>, E, float> one_eight(150, 200, 7);
    smup_test::check_kernels_against_dense(one_eight, batch, 1e-5, 5);
    smup::SparseWeights<smup::NM<2, 4>, E, double> two_four_d(37, 44, 7);
    smup_test::check_kernels_against_dense(two_four_d, batch, 1e-12, 1);
    smup::SparseWeights<smup::NM<1, 8>, E, double> one_eight_d(20, 64, 7);
    smup_test::check_kernels_against_dense(one_eight_d, batch, 1e-12, 3);
    GenericPath<decltype(one_eight_d)> generic_d{one_eight_d};
    smup_test::check_kernels_against_dense(generic_d, batch, 1e-12, 3);
  }
}

TEST_CASE("N:M generic kernels match the dense reference with two threads per team",
          "[kernels][nm][team]") {
  if (!smup_test::host_runs_teams_of_two()) return;
  using H = Kokkos::DefaultHostExecutionSpace;
  for (std::int64_t const batch : {1, 37, 64}) {
    CAPTURE(batch);
    smup::SparseWeights<smup::NM<2, 4>, H, float> two_four(40, 48, 7);
    GenericPath<decltype(two_four)> generic{two_four, 2};
    smup_test::check_kernels_against_dense(generic, batch, 1e-5);
    smup_test::check_kernels_against_dense(generic, batch, 1e-5, /*pad=*/7);
    smup::SparseWeights<smup::NM<1, 8>, H, double> one_eight(33, 64, 7);
    GenericPath<decltype(one_eight)> generic_d{one_eight, 2};
    smup_test::check_kernels_against_dense(generic_d, batch, 1e-12);
  }
}

TEST_CASE("N:M backward-data leaves zeros in input columns that no kept weight reads",
          "[kernels][nm]") {
  using E = Kokkos::DefaultExecutionSpace;
  smup::SparseWeights<smup::NM<1, 64>, E, float> w(2, 128, 3);
  smup_test::fill_uniform(w.values(), 1);
  smup::Activations<float, E> dy("dy", 2, 24), dx("dx", 128, 24);
  smup_test::fill_uniform(dy, 2);
  Kokkos::deep_copy(dx, 1.0f); // stale values must be overwritten
  smup::backward_data(w, dy, dx);
  auto const mask = w.mask_host();
  auto const hdx = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, dx);
  int unread = 0;
  for (std::int64_t c = 0; c < 128; ++c) {
    if (mask(0, c) || mask(1, c)) continue;
    ++unread;
    for (std::int64_t b = 0; b < 24; ++b) CHECK(hdx(c, b) == 0.0f);
  }
  CHECK(unread >= 124);
}

TEST_CASE("N:M weights report their shape, density and compressed layout", "[kernels][nm]") {
  smup::SparseWeights<smup::NM<2, 4>, Kokkos::DefaultExecutionSpace, float> const w(24, 40, 1);
  CHECK(w.rows() == 24);
  CHECK(w.cols() == 40);
  CHECK(w.kept() == 24 * 20);
  CHECK(w.kept_per_row() == 20);
  CHECK(w.density() == 0.5);
  CHECK(w.values().extent(0) == 24u * 20u);
  CHECK(w.offsets().extent(0) == 24u * 20u);
  CHECK(w.transposed_starts().extent(0) == 41u);
  CHECK(w.transposed_entries().extent(0) == 24u * 20u);
  // The density constructor accepts the pattern's own density, in any spelling.
  smup::SparseWeights<smup::NM<2, 4>, Kokkos::DefaultExecutionSpace, float> const same(
      24, 40, smup::ratio{2, 4}, 1);
  CHECK(same.kept() == w.kept());
}

TEST_CASE("N:M storage scales with the density: weights, indices and Adam state", "[kernels][nm]") {
  using E = Kokkos::DefaultExecutionSpace;
  smup::SparseWeights<smup::NM<2, 4>, E, float> const half(512, 512, 1);
  smup::SparseWeights<smup::NM<1, 16>, E, float> const sixteenth(512, 512, 1);
  smup::SparseWeights<smup::NM<1, 16>, E, double> const sixteenth_d(512, 512, 1);
  CHECK(half.values_bytes() == 512u * 256u * sizeof(float));
  // 1 byte of offset and 4 of transposed index per kept weight, plus column starts.
  CHECK(half.index_bytes() == 512u * 256u * 5u + 513u * 4u);
  auto const ratio_to_dense = [](auto const& w, std::size_t scalar) {
    double const dense = 3.0 * double(scalar) * double(w.rows() * w.cols());
    return double(smup::storage_bytes(w, 2).total()) / dense;
  };
  CHECK(ratio_to_dense(half, sizeof(float)) <= 1.5 * 0.5);
  CHECK(ratio_to_dense(sixteenth, sizeof(float)) <= 1.5 / 16);
  CHECK(ratio_to_dense(sixteenth_d, sizeof(double)) <= 1.5 / 16);
}

TEST_CASE("N:M weights reject a fan-in that is not a multiple of M, with the rule's text",
          "[kernels][nm][errors]") {
  using W = smup::SparseWeights<smup::NM<2, 4>, Kokkos::DefaultExecutionSpace, float>;
  std::int64_t const six = at_run_time<std::int64_t>(6);
  REQUIRE_THROWS_AS(W(8, six, 1), smup::error);
  REQUIRE_THROWS_WITH(W(8, six, 1), SMUP_DIAG_NM_SHAPE);
  REQUIRE_THROWS_WITH(W(8, 2, 1), SMUP_DIAG_NM_SHAPE);
  REQUIRE_THROWS_WITH(W(8, six, smup::ratio{1, 2}, 1), SMUP_DIAG_NM_SHAPE);
  using OneOfEight = smup::NM<1, 8>;
  REQUIRE_THROWS_WITH(OneOfEight::check_shape(3, at_run_time<std::int64_t>(12)),
                      SMUP_DIAG_NM_SHAPE);
  REQUIRE_NOTHROW(OneOfEight::check_shape(3, at_run_time<std::int64_t>(16)));
}

TEST_CASE("N:M weights reject empty matrices", "[kernels][nm][errors]") {
  using W = smup::SparseWeights<smup::NM<2, 4>, Kokkos::DefaultExecutionSpace, float>;
  std::int64_t const zero = at_run_time<std::int64_t>(0);
  REQUIRE_THROWS_WITH(W(zero, 8, 1), SMUP_DIAG_MATRIX_EMPTY);
  REQUIRE_THROWS_WITH(W(8, zero, 1), SMUP_DIAG_MATRIX_EMPTY);
  REQUIRE_THROWS_WITH(W(-4, 8, 1), SMUP_DIAG_MATRIX_EMPTY);
}

TEST_CASE("N:M weights reject a density other than N/M", "[kernels][nm][errors]") {
  using W = smup::SparseWeights<smup::NM<2, 4>, Kokkos::DefaultExecutionSpace, float>;
  REQUIRE_THROWS_AS(W(8, 8, smup::ratio{1, 4}, 1), smup::error);
  REQUIRE_THROWS_WITH(W(8, 8, smup::ratio{1, 4}, 1), SMUP_DIAG_STATIC_DENSITY_MISMATCH);
  REQUIRE_THROWS_WITH(W(8, 8, smup::ratio{1}, 1), SMUP_DIAG_STATIC_DENSITY_MISMATCH);
  // The density is checked before the shape, and both before anything is allocated.
  REQUIRE_THROWS_WITH(W(8, 6, smup::ratio{1, 8}, 1), SMUP_DIAG_STATIC_DENSITY_MISMATCH);
}

TEST_CASE("N:M weights refuse more kept weights than the 32-bit transposed index holds",
          "[kernels][nm][errors]") {
  using W = smup::SparseWeights<smup::NM<1, 2>, Kokkos::DefaultExecutionSpace, float>;
  CHECK(error_text([] {
          W(std::int64_t{1} << 20, std::int64_t{1} << 13, 1);
        }).find("keeps more than 2^31 - 1 weights") != std::string::npos);
}

TEST_CASE("N:M kernels reject operands whose extents do not fit the weights",
          "[kernels][nm][errors]") {
  using E = Kokkos::DefaultExecutionSpace;
  smup::SparseWeights<smup::NM<2, 4>, E, float> const w(6, 8, 1);
  smup::Activations<float, E> x("x", 8, 4), y("y", 6, 4), bad_x("bad_x", 7, 4),
      bad_y("bad_y", 6, 5);
  smup::WeightValues<float, E> dw("dw", w.kept()), bad_dw("bad_dw", w.kept() + 1);
  CHECK(error_text([&] {
          smup::forward(w, bad_x, y);
        }).starts_with("smup::forward: operand extents"));
  REQUIRE_THROWS_AS(smup::forward(w, x, bad_y), smup::error);
  CHECK(error_text([&] {
          smup::backward_data(w, x, y);
        }).starts_with("smup::backward_data: operand extents"));
  REQUIRE_THROWS_AS(smup::weight_gradient(w, y, bad_x, dw), smup::error);
  CHECK(error_text([&] {
          smup::weight_gradient(w, y, x, bad_dw);
        }).find("Allocate kept() entries") != std::string::npos);
  REQUIRE_NOTHROW(smup::weight_gradient(w, y, x, dw));
}
