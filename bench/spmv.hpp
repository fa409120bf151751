#pragma once
// Kokkos Kernels' own sparse product on the same matrix as a smup format, with the
// activations as a rank-2 multivector. Kokkos Kernels 3.4 takes LayoutLeft and LayoutRight
// multivectors alike (without explicit instantiation every layout compiles), so X and Y are smup's
// own [features][batch] LayoutRight views and nothing is copied or transposed.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

// GCC 12 flags an uninitialised member inside Kokkos Kernels' transpose functor (which
// this suite never runs); the warning is reported at the header's lines, so silence it there.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <KokkosSparse_CrsMatrix.hpp>
#include <KokkosSparse_spmv.hpp>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#include "suite.hpp"

namespace smup_bench {

// int32 column indices and size_t offsets: KokkosSparse::CrsMatrix's defaults. smup's
// CSR stores 16-bit indices (in segments), so every format is copied into it.
using SpmvMatrix =
    KokkosSparse::CrsMatrix<Scalar, std::int32_t, Space::device_type, void, std::size_t>;

/// The CSR KokkosSparse::spmv multiplies: the format's kept entries, rows in order and
/// columns ascending, built on the host outside the timed loop.
template <class Weights> SpmvMatrix spmv_matrix(Weights const& w) {
  auto const rows = static_cast<std::int32_t>(w.rows()), cols = static_cast<std::int32_t>(w.cols());
  auto const dense = w.to_dense_host();
  auto const mask = w.mask_host();
  auto const nnz = static_cast<std::size_t>(w.kept());
  SpmvMatrix::row_map_type::non_const_type row_map("row_map", std::size_t(rows) + 1);
  SpmvMatrix::index_type entries("entries", nnz);
  SpmvMatrix::values_type values("values", nnz);
  auto h_row_map = Kokkos::create_mirror_view(row_map);
  auto h_entries = Kokkos::create_mirror_view(entries);
  auto h_values = Kokkos::create_mirror_view(values);
  std::size_t k = 0;
  for (std::int32_t i = 0; i < rows; ++i) {
    h_row_map(i) = k;
    for (std::int32_t j = 0; j < cols; ++j)
      if (mask(i, j)) {
        h_entries(k) = j;
        h_values(k) = dense(i, j);
        ++k;
      }
  }
  h_row_map(rows) = k;
  Kokkos::deep_copy(row_map, h_row_map);
  Kokkos::deep_copy(entries, h_entries);
  Kokkos::deep_copy(values, h_values);
  return SpmvMatrix("smup_bench::spmv", rows, cols, nnz, values, row_map, entries);
}

/// Times y = A x with KokkosSparse::spmv after checking it against smup::forward(w, ...).
template <class Weights> void time_spmv(benchmark::State& state, Weights const& w) {
  auto const a = spmv_matrix(w);
  smup::Activations<Scalar, Space> const x("x", w.cols(), batch), y("y", w.rows(), batch),
      reference("reference", w.rows(), batch);
  fill(x, 1);
  forward(w, x, reference); // unqualified: see time_op
  KokkosSparse::spmv("N", Scalar{1}, a, x, Scalar{0}, y);
  Kokkos::fence();
  // Both must compute the same product, or the comparison means nothing.
  auto const hy = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, y);
  auto const hr = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, reference);
  double worst = 0, scale = 1;
  for (std::size_t i = 0; i < hy.extent(0); ++i)
    for (std::size_t b = 0; b < hy.extent(1); ++b) {
      worst = std::max(worst, std::abs(double(hy(i, b)) - double(hr(i, b))));
      scale = std::max(scale, std::abs(double(hr(i, b))));
    }
  if (worst > 1e-4 * scale) {
    state.SkipWithError("KokkosSparse::spmv and smup::forward disagree");
    return;
  }
  for (auto _ : state) {
    KokkosSparse::spmv("N", Scalar{1}, a, x, Scalar{0}, y);
    Kokkos::fence();
  }
  state.counters["FLOP/s"] = benchmark::Counter(2.0 * double(w.kept()) * double(batch),
                                                benchmark::Counter::kIsIterationInvariantRate);
  state.counters["kept"] = double(w.kept());
}

/// Registers spmv on the matrix that add_pattern<Weights>(pattern, ...) times, sharing its
/// cached weights.
template <class Weights, class Make> void add_spmv(std::string const& pattern, std::int64_t out,
                                                   std::int64_t in, smup::ratio density,
                                                   Make make) {
  std::string const key = weights_key(pattern, out, in, density);
  add_kernel(
      Subject{Op::forward, "kokkos_spmv", out, in, batch, density},
      [=](benchmark::State& state) { time_spmv(state, cached_weights<Weights>(key, make)); });
}

} // namespace smup_bench
