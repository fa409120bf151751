#pragma once
/// The generic CSR kernels (GenericKernels<Unstructured> and <BalancedUnstructured>):
/// Kokkos team kernels for every backend. Products take a team per output row (a row of
/// W, or for backward-data a column through the transposed map) with its threads across
/// the batch, so neighbouring threads read neighbouring activations (coalesced on GPUs).
/// backward_data finds each weight by binary search in its CSR row segment (the storage
/// keeps no permutation). The weight gradient takes a team per row, a thread per kept
/// entry and a vector along the batch for each dot product.

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include <Kokkos_Core.hpp>

#include <smup/kernels/csr/storage.hpp>
#include <smup/kernels/generic.hpp>
#include <smup/kernels/views.hpp>

namespace smup::detail {

/// Position in values() of the kept entry (r, c) of CSR segment offsets `ptr` (with
/// `segments` per row) and 16-bit columns `col`: a binary search in r's segment of c.
template <class RowMap, class Indices>
KOKKOS_INLINE_FUNCTION std::size_t csr_position(RowMap const& ptr, Indices const& col,
                                                std::int64_t segments, std::int64_t r,
                                                std::int64_t c) {
  auto const line = static_cast<std::size_t>(r * segments + c / csr_segment_span);
  auto lo = ptr(line), hi = ptr(line + 1);
  auto const target = static_cast<typename Indices::value_type>(c % csr_segment_span);
  while (hi - lo > 1) {
    auto const mid = lo + (hi - lo) / 2;
    if (col(mid) <= target)
      lo = mid;
    else
      hi = mid;
  }
  return lo;
}

/// out(r, b) = sum_k weight(k) in(idx(k), b) over the entries k of row r (segment by
/// segment); Transposed walks the transposed map and finds each weight in the CSR rows.
template <bool Transposed, class E, class Scalar> struct CsrProduct {
  using Team = typename Kokkos::TeamPolicy<E>::member_type;
  using RowMap = Kokkos::View<std::size_t*, typename E::memory_space>;
  using Indices = Kokkos::View<std::uint16_t*, typename E::memory_space>;

  RowMap ptr; // the walked side: segment offsets and indices within a segment
  Indices idx;
  std::int64_t segments;
  RowMap csr_ptr; // Transposed: the CSR side, where the weights sit
  Indices csr_col;
  std::int64_t csr_segments;
  WeightValues<Scalar, E> val;
  Activations<Scalar, E> in;
  Activations<Scalar, E> out;
  std::int64_t batch;

  KOKKOS_INLINE_FUNCTION Scalar weight(std::size_t k, std::int64_t gathered, std::int64_t r) const {
    if constexpr (Transposed)
      return val(csr_position(csr_ptr, csr_col, csr_segments, gathered, r));
    else
      return val(k);
  }

  KOKKOS_INLINE_FUNCTION void operator()(Team const& team) const {
    std::int64_t const r = team.league_rank();
    Kokkos::parallel_for(Kokkos::TeamThreadRange(team, batch), [&](std::int64_t b) {
      Scalar acc = 0;
      for (std::int64_t s = 0; s < segments; ++s) {
        auto const line = static_cast<std::size_t>(r * segments + s);
        for (auto k = ptr(line); k < ptr(line + 1); ++k) {
          std::int64_t const g = s * csr_segment_span + idx(k);
          acc += weight(k, g, r) * in(g, b);
        }
      }
      out(r, b) = acc;
    });
  }
};

/// dw(k) = dy(r, :) . x(col(k), :) for the entries k of row r.
template <class E, class Scalar> struct CsrGradient {
  using Team = typename Kokkos::TeamPolicy<E>::member_type;

  Kokkos::View<std::size_t*, typename E::memory_space> ptr;
  Kokkos::View<std::uint16_t*, typename E::memory_space> col;
  std::int64_t segments;
  Activations<Scalar, E> dy;
  Activations<Scalar, E> x;
  WeightValues<Scalar, E> dw;
  std::int64_t batch;

  KOKKOS_INLINE_FUNCTION void operator()(Team const& team) const {
    std::int64_t const r = team.league_rank();
    for (std::int64_t s = 0; s < segments; ++s) {
      auto const line = static_cast<std::size_t>(r * segments + s);
      Kokkos::parallel_for(
          Kokkos::TeamThreadRange(team, ptr(line), ptr(line + 1)), [&](std::size_t k) {
            std::int64_t const c = s * csr_segment_span + col(k);
            Scalar sum = 0;
            Kokkos::parallel_reduce(
                Kokkos::ThreadVectorRange(team, batch),
                [&](std::int64_t b, Scalar& part) { part += dy(r, b) * x(c, b); }, sum);
            Kokkos::single(Kokkos::PerThread(team), [&] { dw(k) = sum; });
          });
    }
  }
};

template <CsrPattern P> struct GenericKernels<P> {
  /// y = W x.
  template <class E, class Scalar>
  static void forward(CsrWeights<P, E, Scalar> const& w,
                      std::type_identity_t<Activations<Scalar, E>> const& x,
                      std::type_identity_t<Activations<Scalar, E>> const& y, int team_size = 0) {
    launch_teams<E>("smup::forward<unstructured>", w.rows(), team_size, 1,
                    CsrProduct<false, E, Scalar>{w.row_map(),
                                                 w.column_indices(),
                                                 w.column_segments(),
                                                 {},
                                                 {},
                                                 0,
                                                 w.values(),
                                                 x,
                                                 y,
                                                 static_cast<std::int64_t>(x.extent(1))});
  }

  /// dx = W^T dy, a gather per input feature through the transposed map.
  template <class E, class Scalar>
  static void backward_data(CsrWeights<P, E, Scalar> const& w,
                            std::type_identity_t<Activations<Scalar, E>> const& dy,
                            std::type_identity_t<Activations<Scalar, E>> const& dx,
                            int team_size = 0) {
    launch_teams<E>("smup::backward_data<unstructured>", w.cols(), team_size, 1,
                    CsrProduct<true, E, Scalar>{w.transposed_col_map(), w.transposed_row_indices(),
                                                w.row_segments(), w.row_map(), w.column_indices(),
                                                w.column_segments(), w.values(), dy, dx,
                                                static_cast<std::int64_t>(dy.extent(1))});
  }

  /// dw(k) = dy[row(k)] . x[col(k)], in values() order.
  template <class E, class Scalar>
  static void weight_gradient(CsrWeights<P, E, Scalar> const& w,
                              std::type_identity_t<Activations<Scalar, E>> const& dy,
                              std::type_identity_t<Activations<Scalar, E>> const& x,
                              std::type_identity_t<WeightValues<Scalar, E>> const& dw,
                              int team_size = 0) {
    launch_teams<E>("smup::weight_gradient<unstructured>", w.rows(), team_size,
                    batch_vector_length<E>(),
                    CsrGradient<E, Scalar>{w.row_map(), w.column_indices(), w.column_segments(), dy,
                                           x, dw, static_cast<std::int64_t>(x.extent(1))});
  }
};

} // namespace smup::detail
