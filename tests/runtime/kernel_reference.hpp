#pragma once
// The dense masked reference every sparse kernel is checked against, and one routine
// that checks all three kernels of any SparseWeights, on plain or padded activation
// views, through the dispatching kernels or the generic team kernels. Included by the
// kernel tests.

#include <Kokkos_Core.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>

#include "catch.hpp"

#include <smup/kernels/generic.hpp>
#include <smup/kernels/views.hpp>
#include <smup/sparsity/counter_hash.hpp>

namespace smup_test {

template <class Scalar> using HostMatrix =
    Kokkos::View<Scalar**, Kokkos::LayoutRight, Kokkos::HostSpace>;

/// A host copy that never aliases `v` (create_mirror_view would, on host spaces).
template <class View> auto host_copy(View const& v) {
  auto copy = Kokkos::create_mirror(Kokkos::HostSpace{}, v);
  Kokkos::deep_copy(copy, v);
  return copy;
}

/// Deterministic values in [-1, 1) for weights and activations.
template <class View> void fill_uniform(View const& v, std::uint64_t seed) {
  auto h = Kokkos::create_mirror_view(v);
  if constexpr (View::rank == 1) {
    for (std::size_t i = 0; i < h.extent(0); ++i)
      h(i) =
          static_cast<typename View::value_type>(2.0 * smup::detail::uniform01(seed, i, 0) - 1.0);
  } else {
    for (std::size_t i = 0; i < h.extent(0); ++i)
      for (std::size_t j = 0; j < h.extent(1); ++j)
        h(i, j) =
            static_cast<typename View::value_type>(2.0 * smup::detail::uniform01(seed, i, j) - 1.0);
  }
  Kokkos::deep_copy(v, h);
}

/// Largest |a - b| relative to the largest |b| (or 1), over two equally shaped host views.
template <class A, class B> double relative_error(A const& a, B const& b) {
  double worst = 0.0, scale = 1.0;
  for (std::size_t i = 0; i < a.extent(0); ++i)
    for (std::size_t j = 0; j < a.extent(1); ++j) {
      worst = std::max(worst, std::abs(double(a(i, j)) - double(b(i, j))));
      scale = std::max(scale, std::abs(double(b(i, j))));
    }
  return worst / scale;
}

/// The same weights, but their kernels are the generic team kernels (the path GPUs
/// take, which the host path hides on a CPU build), launched with `team_size` threads
/// per team (0: Kokkos::AUTO, one thread per team on OpenMP).
template <class W> struct GenericPath {
  using pattern = typename W::pattern;
  using execution_space = typename W::execution_space;
  using scalar_type = typename W::scalar_type;
  W& w;
  int team_size = 0;
  [[nodiscard]] std::int64_t rows() const { return w.rows(); }
  [[nodiscard]] std::int64_t cols() const { return w.cols(); }
  [[nodiscard]] std::int64_t kept() const { return w.kept(); }
  [[nodiscard]] auto values() const { return w.values(); }
  [[nodiscard]] auto to_dense_host() const { return w.to_dense_host(); }
  [[nodiscard]] auto mask_host() const { return w.mask_host(); }
};

// Found by argument-dependent lookup from check_kernels_against_dense. The generic
// kernels are a class template, so each pattern's specialisation is found wherever its
// header is included.
template <class W, class X, class Y> void forward(GenericPath<W> const& g, X const& x, Y const& y) {
  smup::detail::GenericKernels<typename W::pattern>::forward(g.w, x, y, g.team_size);
}
template <class W, class DY, class DX>
void backward_data(GenericPath<W> const& g, DY const& dy, DX const& dx) {
  smup::detail::GenericKernels<typename W::pattern>::backward_data(g.w, dy, dx, g.team_size);
}
template <class W, class DY, class X, class DW>
void weight_gradient(GenericPath<W> const& g, DY const& dy, X const& x, DW const& dw) {
  smup::detail::GenericKernels<typename W::pattern>::weight_gradient(g.w, dy, x, dw, g.team_size);
}

/// Whether the host execution space can run teams of two threads (tests run with
/// OMP_NUM_THREADS=2); when it cannot, the test says so and skips what needs two.
inline bool host_runs_teams_of_two() {
  if (Kokkos::DefaultHostExecutionSpace().concurrency() >= 2) return true;
  WARN("the host execution space runs one thread: set OMP_NUM_THREADS=2 to run this test");
  return false;
}

/// Activations of `rows` x `batch` that are columns [0, batch) of a [rows][batch + pad]
/// LayoutRight view: with pad > 0, their row stride exceeds their batch extent.
template <class Scalar, class E> struct PaddedActivations {
  smup::Activations<Scalar, E> whole;
  smup::Activations<Scalar, E> view;

  PaddedActivations(char const* label, std::int64_t rows, std::int64_t batch, std::int64_t pad)
      : whole(std::string(label), rows, batch + pad),
        view(Kokkos::subview(whole, Kokkos::ALL, Kokkos::make_pair(std::int64_t{0}, batch))) {}
};

/// Checks forward, backward-data and weight-gradient of `w` against dense products
/// with its own dense (pruned entries zero) matrix, for a batch of `batch` columns.
/// The weight gradient is compared at kept entries and must be zero elsewhere.
/// With pad > 0 every activation is a padded view (row stride batch + pad): the inputs'
/// padding holds NaN, which a kernel that strides by the batch would read, and the
/// outputs' padding must come back untouched. Outputs start as garbage everywhere, so
/// the kernels must overwrite them, not accumulate into them.
template <class Weights> void check_kernels_against_dense(Weights& w, std::int64_t batch,
                                                          double tolerance, std::int64_t pad = 0) {
  using Scalar = typename Weights::scalar_type;
  using E = typename Weights::execution_space;
  std::int64_t const rows = w.rows(), cols = w.cols();
  fill_uniform(w.values(), 11);

  PaddedActivations<Scalar, E> x("x", cols, batch, pad), y("y", rows, batch, pad);
  PaddedActivations<Scalar, E> dy("dy", rows, batch, pad), dx("dx", cols, batch, pad);
  smup::WeightValues<Scalar, E> dw("dw", w.kept());
  if (pad > 0) {
    INFO("a column range of a wider LayoutRight view keeps its row stride");
    REQUIRE(x.view.stride(0) == std::size_t(batch + pad));
    REQUIRE(y.view.stride(0) > y.view.extent(1));
  }
  Scalar const nan = std::numeric_limits<Scalar>::quiet_NaN();
  Scalar const garbage = Scalar(7.25);
  Kokkos::deep_copy(x.whole, nan);
  Kokkos::deep_copy(dy.whole, nan);
  fill_uniform(x.view, 12);
  fill_uniform(dy.view, 13);
  Kokkos::deep_copy(y.whole, garbage);
  Kokkos::deep_copy(dx.whole, garbage);
  Kokkos::deep_copy(dw, garbage);

  // Unqualified: found by argument-dependent lookup in each pattern's header.
  forward(w, x.view, y.view);
  backward_data(w, dy.view, dx.view);
  weight_gradient(w, dy.view, x.view, dw);
  E().fence();

  auto const dense = w.to_dense_host();
  auto const mask = w.mask_host();
  auto const hx = host_copy(x.whole);
  auto const hdy = host_copy(dy.whole);
  HostMatrix<double> ry("ry", rows, batch), rdx("rdx", cols, batch), rdw("rdw", rows, cols);
  for (std::int64_t i = 0; i < rows; ++i)
    for (std::int64_t j = 0; j < cols; ++j)
      for (std::int64_t b = 0; b < batch; ++b) {
        ry(i, b) += double(dense(i, j)) * double(hx(j, b));
        rdx(j, b) += double(dense(i, j)) * double(hdy(i, b));
        if (mask(i, j)) rdw(i, j) += double(hdy(i, b)) * double(hx(j, b));
      }

  // The gradient comes back compressed; scatter it through a copy of the weights.
  auto const saved = host_copy(w.values());
  Kokkos::deep_copy(w.values(), dw);
  auto const dw_dense = w.to_dense_host();
  Kokkos::deep_copy(w.values(), saved);

  auto const hy = host_copy(y.whole);
  auto const hdx = host_copy(dx.whole);
  auto const inside = std::make_pair(std::int64_t{0}, batch);
  CHECK(relative_error(Kokkos::subview(hy, Kokkos::ALL, inside), ry) <= tolerance);
  CHECK(relative_error(Kokkos::subview(hdx, Kokkos::ALL, inside), rdx) <= tolerance);
  CHECK(relative_error(dw_dense, rdw) <= tolerance);

  if (pad > 0) {
    bool untouched = true;
    for (std::int64_t b = batch; b < batch + pad; ++b) {
      for (std::int64_t i = 0; i < rows; ++i) untouched = untouched && hy(i, b) == garbage;
      for (std::int64_t j = 0; j < cols; ++j) untouched = untouched && hdx(j, b) == garbage;
    }
    INFO("the kernels wrote outside the batch columns of a padded view");
    CHECK(untouched);
  }
}

} // namespace smup_test
