// Dense weights and their gemm kernels against the dense reference, on the default
// execution space and on Serial, float and double, plain and padded activation views.

// The kernels first: the reference finds them by argument-dependent lookup.
#include <smup/kernels/dense.hpp>

#include "catch.hpp"
#include "kernel_reference.hpp"
#include "support.hpp"

#include <Kokkos_Core.hpp>

#include <cstdint>

#include <smup/core/diagnostics.hpp>
#include <smup/core/error.hpp>
#include <smup/kernels/storage_bytes.hpp>

using smup_test::at_run_time;

namespace {

template <class E, class Scalar> void check_shapes(double tolerance) {
  struct Case {
    std::int64_t rows, cols, batch;
  };
  // Odd extents, batch 1, a single entry, a long fan-in, fan-out above fan-in and below.
  for (auto const c : {Case{1, 1, 1}, Case{7, 13, 1}, Case{13, 7, 5}, Case{33, 65, 17},
                       Case{3, 4096, 3}, Case{64, 48, 256}}) {
    CAPTURE(c.rows, c.cols, c.batch);
    smup::SparseWeights<smup::Dense, E, Scalar> w(c.rows, c.cols, 7);
    smup_test::check_kernels_against_dense(w, c.batch, tolerance);
  }
}

} // namespace

TEST_CASE("Dense kernels match the dense reference in float and double on the default space",
          "[kernels][dense]") {
  check_shapes<Kokkos::DefaultExecutionSpace, float>(1e-5);
  check_shapes<Kokkos::DefaultExecutionSpace, double>(1e-12);
}

TEST_CASE("Dense kernels match the dense reference on the Serial space", "[kernels][dense]") {
  check_shapes<Kokkos::Serial, float>(1e-5);
  check_shapes<Kokkos::Serial, double>(1e-12);
}

TEST_CASE("Dense kernels match the dense reference on padded activation views",
          "[kernels][dense][padded]") {
  using E = Kokkos::DefaultExecutionSpace;
  for (std::int64_t const batch : {37, 64}) {
    CAPTURE(batch);
    smup::SparseWeights<smup::Dense, E, float> w(33, 65, 7);
    smup_test::check_kernels_against_dense(w, batch, 1e-5, /*pad=*/11);
    smup::SparseWeights<smup::Dense, E, double> wd(20, 12, 7);
    smup_test::check_kernels_against_dense(wd, batch, 1e-12, 3);
  }
}

TEST_CASE("Dense weights keep every entry, need no index and count their bytes",
          "[kernels][dense]") {
  smup::SparseWeights<smup::Dense, Kokkos::DefaultExecutionSpace, float> const w(24, 40, 1);
  CHECK(w.rows() == 24);
  CHECK(w.cols() == 40);
  CHECK(w.kept() == 24 * 40);
  CHECK(w.density() == 1.0);
  CHECK(w.values().extent(0) == 24u * 40u);
  auto const mask = w.mask_host();
  bool all = true;
  for (std::size_t i = 0; i < mask.extent(0); ++i)
    for (std::size_t j = 0; j < mask.extent(1); ++j) all = all && mask(i, j);
  CHECK(all);
  auto const bytes = smup::storage_bytes(w, 2);
  CHECK(bytes.values == 24u * 40u * sizeof(float));
  CHECK(bytes.indices == 0u);
  CHECK(bytes.total() == 3u * 24u * 40u * sizeof(float));
}

TEST_CASE("Dense weights are row-major in values", "[kernels][dense]") {
  smup::SparseWeights<smup::Dense, Kokkos::DefaultExecutionSpace, double> w(2, 3, 1);
  auto h = Kokkos::create_mirror_view(w.values());
  for (std::size_t k = 0; k < h.extent(0); ++k) h(k) = double(k);
  Kokkos::deep_copy(w.values(), h);
  auto const dense = w.to_dense_host();
  CHECK(dense(0, 2) == 2.0);
  CHECK(dense(1, 0) == 3.0);
  CHECK(dense(1, 2) == 5.0);
}

TEST_CASE("Dense weights reject an empty shape and a density other than 1",
          "[kernels][dense][errors]") {
  using W = smup::SparseWeights<smup::Dense, Kokkos::DefaultExecutionSpace, float>;
  std::int64_t const zero = at_run_time<std::int64_t>(0);
  REQUIRE_THROWS_AS(W(zero, 4, 1), smup::error);
  REQUIRE_THROWS_WITH(W(zero, 4, 1), SMUP_DIAG_MATRIX_EMPTY);
  REQUIRE_THROWS_WITH(W(4, zero, 1), SMUP_DIAG_MATRIX_EMPTY);
  REQUIRE_THROWS_WITH(W(4, -3, 1), SMUP_DIAG_MATRIX_EMPTY);
  REQUIRE_THROWS_WITH(W(4, 4, smup::ratio{1, 2}, 1), SMUP_DIAG_STATIC_DENSITY_MISMATCH);
  CHECK(W(4, 4, smup::ratio{1}, 1).kept() == 16);
}

TEST_CASE("Dense kernels reject operands whose extents do not fit the weights",
          "[kernels][dense][errors]") {
  using E = Kokkos::DefaultExecutionSpace;
  smup::SparseWeights<smup::Dense, E, float> const w(4, 6, 1);
  smup::Activations<float, E> const x("x", 6, 3), y("y", 4, 3), wrong("wrong", 5, 3),
      short_batch("short", 4, 2);
  smup::WeightValues<float, E> const dw("dw", 24), dw_wrong("dw_wrong", 23);
  REQUIRE_THROWS_AS(smup::forward(w, wrong, y), smup::error);
  REQUIRE_THROWS_AS(smup::forward(w, x, short_batch), smup::error);
  REQUIRE_THROWS_AS(smup::backward_data(w, x, y), smup::error);
  REQUIRE_THROWS_AS(smup::weight_gradient(w, y, wrong, dw), smup::error);
  REQUIRE_THROWS_AS(smup::weight_gradient(w, y, x, dw_wrong), smup::error);
  REQUIRE_NOTHROW(smup::weight_gradient(w, y, x, dw));
}
