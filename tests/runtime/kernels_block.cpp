// Block<R, C> (BSR) kernels against the dense masked reference: the CPU fast path
// (OpenMP and Serial) and the generic team-policy path (also with two threads per team),
// float and double, plain and padded activation views.
#include <smup/kernels/bsr.hpp>
#include <smup/kernels/storage_bytes.hpp>

#include <cstdint>
#include <string>

#include "catch.hpp"
#include "kernel_reference.hpp"
#include "support.hpp"

using smup::ratio;
using smup_test::GenericPath;

namespace {

using Space = Kokkos::DefaultExecutionSpace;
constexpr double float_tol = 1e-5;
constexpr double double_tol = 1e-12;

template <class S> constexpr double tol() { return sizeof(S) == 4 ? float_tol : double_tol; }

template <int R, int C, class S = float, class E = Space> using Bsr =
    smup::SparseWeights<smup::Block<R, C>, E, S>;

/// Fast and generic paths of one shape, checked against the dense reference.
template <int R, int C, class S, class E = Space>
void check_both_paths(std::int64_t rows, std::int64_t cols, ratio density, std::int64_t batch,
                      std::uint64_t seed = 3) {
  INFO("Block<" << R << ", " << C << "> " << rows << " x " << cols << ", density " << density.num
                << "/" << density.den << ", batch " << batch);
  Bsr<R, C, S, E> fast(rows, cols, density, seed);
  smup_test::check_kernels_against_dense(fast, batch, tol<S>());
  GenericPath<decltype(fast)> generic{fast};
  smup_test::check_kernels_against_dense(generic, batch, tol<S>());
}

template <class W> bool has_empty_block_row(W const& w) {
  auto const rp = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, w.block_row_ptr());
  for (std::int64_t i = 0; i < w.block_rows(); ++i)
    if (rp(i) == rp(i + 1)) return true;
  return false;
}

} // namespace

TEST_CASE("Block kernels match the dense reference for 32 x 32 blocks at every batch tail",
          "[kernels][block]") {
  // 37 = 2 x 16 + 5 and 80 = 64 + 16 reach every tile width and the scalar tail.
  for (std::int64_t batch : {37, 80, 256}) {
    check_both_paths<32, 32, float>(128, 96, ratio{1, 2}, batch);
    check_both_paths<32, 32, double>(128, 96, ratio{1, 2}, batch);
  }
}

TEST_CASE("Block kernels match the dense reference for small and odd block sizes",
          "[kernels][block]") {
  check_both_paths<16, 16, float>(64, 48, ratio{1, 3}, 70);
  check_both_paths<16, 16, double>(64, 48, ratio{1, 3}, 70);
  check_both_paths<4, 4, float>(20, 12, ratio{1, 2}, 70);
  check_both_paths<4, 4, double>(20, 12, ratio{1, 2}, 70);
  check_both_paths<1, 1, float>(7, 5, ratio{1, 2}, 3);
  check_both_paths<1, 1, double>(7, 5, ratio{1, 2}, 3);
  check_both_paths<3, 5, float>(9, 25, ratio{2, 5}, 19);
  check_both_paths<3, 5, double>(9, 25, ratio{2, 5}, 19);
  check_both_paths<8, 16, float>(24, 64, ratio{1, 2}, 33);
  check_both_paths<16, 8, double>(64, 24, ratio{1, 2}, 33);
}

TEST_CASE("Block kernels match the dense reference on padded activation views",
          "[kernels][block][padded]") {
  // Batches that are and are not a multiple of the vector width, and one of two batch
  // tiles; wide blocks (vectorised along the block) and narrow ones (along the batch).
  for (std::int64_t const batch : {37, 64, 300}) {
    CAPTURE(batch);
    Bsr<16, 16> wide(64, 48, ratio{1, 3}, 3);
    smup_test::check_kernels_against_dense(wide, batch, float_tol, /*pad=*/11);
    GenericPath<decltype(wide)> generic{wide};
    smup_test::check_kernels_against_dense(generic, batch, float_tol, 11);
    Bsr<4, 4> narrow(20, 12, ratio{1, 2}, 3);
    smup_test::check_kernels_against_dense(narrow, batch, float_tol, 5);
    Bsr<16, 16, double> wide_d(48, 64, ratio{1, 2}, 4);
    smup_test::check_kernels_against_dense(wide_d, batch, double_tol, 1);
    Bsr<4, 4, double> narrow_d(24, 20, ratio{1, 2}, 4);
    smup_test::check_kernels_against_dense(narrow_d, batch, double_tol, 3);
    GenericPath<decltype(narrow_d)> generic_d{narrow_d};
    smup_test::check_kernels_against_dense(generic_d, batch, double_tol, 3);
    Bsr<3, 5> odd(9, 25, ratio{2, 5}, 5);
    smup_test::check_kernels_against_dense(odd, batch, float_tol, 2);
  }
}

TEST_CASE("Block generic kernels match the dense reference with two threads per team",
          "[kernels][block][team]") {
  if (!smup_test::host_runs_teams_of_two()) return;
  using H = Kokkos::DefaultHostExecutionSpace;
  for (std::int64_t const batch : {1, 37, 64}) {
    CAPTURE(batch);
    Bsr<4, 4, float, H> narrow(24, 20, ratio{1, 2}, 6);
    GenericPath<decltype(narrow)> generic{narrow, 2};
    smup_test::check_kernels_against_dense(generic, batch, float_tol);
    smup_test::check_kernels_against_dense(generic, batch, float_tol, /*pad=*/7);
    Bsr<16, 16, double, H> wide(48, 64, ratio{1, 2}, 6);
    GenericPath<decltype(wide)> generic_d{wide, 2};
    smup_test::check_kernels_against_dense(generic_d, batch, double_tol);
  }
}

TEST_CASE("Block kernels handle a batch of one", "[kernels][block]") {
  check_both_paths<32, 32, float>(64, 64, ratio{1, 2}, 1);
  check_both_paths<8, 8, double>(24, 40, ratio{1, 3}, 1);
}

TEST_CASE("Block kernels give zero output rows for block rows that keep no block",
          "[kernels][block]") {
  // 8 block rows, 4 kept blocks in all: half the block rows are empty.
  Bsr<8, 8> probe(64, 64, ratio{1, 16}, 5);
  REQUIRE(probe.blocks() == 4);
  REQUIRE(has_empty_block_row(probe));
  check_both_paths<8, 8, float>(64, 64, ratio{1, 16}, 17, 5);
  check_both_paths<8, 8, double>(64, 64, ratio{1, 16}, 17, 5);
}

TEST_CASE("Block weights at density 1 keep every weight and compute the dense product",
          "[kernels][block]") {
  Bsr<16, 16> w(48, 32, ratio{1}, 9);
  REQUIRE(w.kept() == 48 * 32);
  REQUIRE(w.density() == 1.0);
  auto const mask = w.mask_host();
  bool all = true;
  for (std::size_t i = 0; i < mask.extent(0); ++i)
    for (std::size_t j = 0; j < mask.extent(1); ++j) all = all && mask(i, j);
  REQUIRE(all);
  check_both_paths<16, 16, float>(48, 32, ratio{1}, 40, 9);
  check_both_paths<16, 16, double>(48, 32, ratio{1}, 40, 9);
}

TEST_CASE("Block<1, 1> weights at a tiny density keep a single entry and stay correct",
          "[kernels][block]") {
  Bsr<1, 1> w(9, 7, ratio{1, 1000}, 4);
  REQUIRE(w.kept() == 1);
  check_both_paths<1, 1, float>(9, 7, ratio{1, 1000}, 5, 4);
  check_both_paths<1, 1, double>(9, 7, ratio{1, 1000}, 5, 4);
}

TEST_CASE("Block kernels stay accurate with a large fan-in", "[kernels][block]") {
  Bsr<32, 32> w(64, 4096, ratio{1, 8}, 2);
  smup_test::check_kernels_against_dense(w, 48, float_tol);
  Bsr<32, 32, double> wd(64, 4096, ratio{1, 8}, 2);
  smup_test::check_kernels_against_dense(wd, 48, double_tol);
}

#if defined(KOKKOS_ENABLE_SERIAL)
TEST_CASE("Block kernels run on the Serial execution space too", "[kernels][block]") {
  check_both_paths<32, 32, float, Kokkos::Serial>(64, 96, ratio{1, 3}, 37);
  check_both_paths<4, 4, double, Kokkos::Serial>(16, 24, ratio{1, 2}, 9);
}
#endif

TEST_CASE("Block weights store values and indices in proportion to the kept blocks",
          "[kernels][block][storage]") {
  Bsr<32, 32> w(4096, 4096, ratio{1, 8}, 1);
  REQUIRE(w.kept() == 4096 * 4096 / 8);
  REQUIRE(w.values_bytes() == std::size_t(w.kept()) * sizeof(float));
  REQUIRE(w.values().extent(0) == std::size_t(w.kept()));
  // Adam: two state tensors. Dense: values and state, no indices.
  auto const bytes = smup::storage_bytes(w, 2);
  double const dense = 3.0 * 4096.0 * 4096.0 * sizeof(float);
  REQUIRE(double(bytes.total()) <= 1.5 * (1.0 / 8.0) * dense);
  REQUIRE(bytes.indices < bytes.values / 100);
}

TEST_CASE("Block weights reject shapes not tiled by their blocks and bad densities",
          "[kernels][block][errors]") {
  using smup_test::at_run_time;
  auto const n = at_run_time<std::int64_t>(64);
  REQUIRE_THROWS_WITH((Bsr<32, 32>(n, n - 16, ratio{1, 2}, 1)), SMUP_DIAG_BLOCK_SHAPE);
  REQUIRE_THROWS_WITH((Bsr<32, 32>(n + 8, n, ratio{1, 2}, 1)), SMUP_DIAG_BLOCK_SHAPE);
  REQUIRE_THROWS_WITH((Bsr<3, 5>(n, n, ratio{1, 2}, 1)), SMUP_DIAG_BLOCK_SHAPE);
  REQUIRE_THROWS_WITH((Bsr<32, 32>(n * 0, n, ratio{1, 2}, 1)), SMUP_DIAG_MATRIX_EMPTY);
  REQUIRE_THROWS_WITH((Bsr<32, 32>(n, -n, ratio{1, 2}, 1)), SMUP_DIAG_MATRIX_EMPTY);
  REQUIRE_THROWS_WITH((Bsr<32, 32>(n, n, ratio{0}, 1)), SMUP_DIAG_DENSITY_OUT_OF_RANGE);
  REQUIRE_THROWS_WITH((Bsr<32, 32>(n, n, ratio{3, 2}, 1)), SMUP_DIAG_DENSITY_OUT_OF_RANGE);
  REQUIRE_THROWS_WITH((Bsr<32, 32>(n, n, ratio{-1, 2}, 1)), SMUP_DIAG_DENSITY_OUT_OF_RANGE);
  REQUIRE_THROWS_WITH((smup::Block<4, 8>::check_shape(n, n + 4)), SMUP_DIAG_BLOCK_SHAPE);
  REQUIRE_NOTHROW((smup::Block<4, 8>::check_shape(n + 4, n)));
}

TEST_CASE("Block kernels reject operands whose extents do not fit the weights",
          "[kernels][block][errors]") {
  Bsr<8, 8> w(32, 16, ratio{1, 2}, 1);
  smup::Activations<float, Space> x("x", 16, 4), y("y", 32, 4), bad("bad", 16, 5);
  smup::WeightValues<float, Space> dw("dw", w.kept()), short_dw("short", w.kept() - 1);
  REQUIRE_THROWS_AS(smup::forward(w, y, y), smup::error);
  REQUIRE_THROWS_AS(smup::forward(w, bad, y), smup::error);
  REQUIRE_THROWS_AS(smup::backward_data(w, x, y), smup::error);
  REQUIRE_THROWS_AS(smup::weight_gradient(w, x, y, dw), smup::error);
  REQUIRE_THROWS_AS(smup::weight_gradient(w, y, x, short_dw), smup::error);
  REQUIRE_NOTHROW(smup::weight_gradient(w, y, x, dw));
}
