#pragma once
// The dense masked reference every sparse kernel is checked against, and one routine
// that checks all three kernels of any SparseWeights. Included by the kernel tests.

#include <Kokkos_Core.hpp>

#include <cmath>
#include <cstdint>
#include <string>

#include "catch.hpp"

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

/// Checks forward, backward-data and weight-gradient of `w` against dense products
/// with its own dense (pruned entries zero) matrix, for a batch of `batch` columns.
/// The weight gradient is compared at kept entries and must be zero elsewhere.
template <class Weights>
void check_kernels_against_dense(Weights& w, std::int64_t batch, double tolerance) {
  using Scalar = typename Weights::scalar_type;
  using E = typename Weights::execution_space;
  std::int64_t const rows = w.rows(), cols = w.cols();
  fill_uniform(w.values(), 11);

  smup::Activations<Scalar, E> x("x", cols, batch), y("y", rows, batch);
  smup::Activations<Scalar, E> dy("dy", rows, batch), dx("dx", cols, batch);
  smup::WeightValues<Scalar, E> dw("dw", w.kept());
  fill_uniform(x, 12);
  fill_uniform(dy, 13);

  // Unqualified: found by argument-dependent lookup in each pattern's header.
  forward(w, x, y);
  backward_data(w, dy, dx);
  weight_gradient(w, dy, x, dw);
  E().fence();

  auto const dense = w.to_dense_host();
  auto const mask = w.mask_host();
  auto const hx = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, x);
  auto const hdy = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, dy);
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

  CHECK(relative_error(Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, y), ry) <=
        tolerance);
  CHECK(relative_error(Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, dx), rdx) <=
        tolerance);
  CHECK(relative_error(dw_dense, rdw) <= tolerance);
}

} // namespace smup_test
