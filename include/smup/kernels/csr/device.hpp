#pragma once
/// The generic CSR kernels (GenericKernels<Unstructured> and <BalancedUnstructured>):
/// Kokkos team kernels for every backend. Products take a team per output row (a row of
/// W, or for backward-data a column through the transposed map) with its threads across
/// the batch, so neighbouring threads read neighbouring activations (coalesced on GPUs).
/// The weight gradient takes a team per row, a thread per kept entry and a vector along
/// the batch for each dot product.

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include <Kokkos_Core.hpp>

#include <smup/kernels/csr/storage.hpp>
#include <smup/kernels/generic.hpp>
#include <smup/kernels/views.hpp>

namespace smup::detail {

/// out(r, b) = sum_k weight(k) in(idx(k), b) over the entries k of row r; Transposed
/// walks the transposed map, whose weights sit at values()(perm(k)).
template <bool Transposed, class E, class Scalar> struct CsrProduct {
  using Team = typename Kokkos::TeamPolicy<E>::member_type;
  using RowMap = Kokkos::View<std::size_t*, typename E::memory_space>;
  using Indices = Kokkos::View<std::int32_t*, typename E::memory_space>;

  RowMap ptr;
  Indices idx;
  Indices perm;
  WeightValues<Scalar, E> val;
  Activations<Scalar, E> in;
  Activations<Scalar, E> out;
  std::int64_t batch;

  KOKKOS_INLINE_FUNCTION Scalar weight(std::size_t k) const {
    if constexpr (Transposed)
      return val(perm(k));
    else
      return val(k);
  }

  KOKKOS_INLINE_FUNCTION void operator()(Team const& team) const {
    auto const r = team.league_rank();
    auto const first = ptr(r), last = ptr(r + 1);
    Kokkos::parallel_for(Kokkos::TeamThreadRange(team, batch), [&](std::int64_t b) {
      Scalar acc = 0;
      for (auto k = first; k < last; ++k) acc += weight(k) * in(idx(k), b);
      out(r, b) = acc;
    });
  }
};

/// dw(k) = dy(r, :) . x(col(k), :) for the entries k of row r.
template <class E, class Scalar> struct CsrGradient {
  using Team = typename Kokkos::TeamPolicy<E>::member_type;

  Kokkos::View<std::size_t*, typename E::memory_space> ptr;
  Kokkos::View<std::int32_t*, typename E::memory_space> col;
  Activations<Scalar, E> dy;
  Activations<Scalar, E> x;
  WeightValues<Scalar, E> dw;
  std::int64_t batch;

  KOKKOS_INLINE_FUNCTION void operator()(Team const& team) const {
    auto const r = team.league_rank();
    Kokkos::parallel_for(Kokkos::TeamThreadRange(team, ptr(r), ptr(r + 1)), [&](std::size_t k) {
      auto const c = col(k);
      Scalar sum = 0;
      Kokkos::parallel_reduce(
          Kokkos::ThreadVectorRange(team, batch),
          [&](std::int64_t b, Scalar& part) { part += dy(r, b) * x(c, b); }, sum);
      Kokkos::single(Kokkos::PerThread(team), [&] { dw(k) = sum; });
    });
  }
};

template <CsrPattern P> struct GenericKernels<P> {
  /// y = W x.
  template <class E, class Scalar>
  static void forward(CsrWeights<P, E, Scalar> const& w,
                      std::type_identity_t<Activations<Scalar, E>> const& x,
                      std::type_identity_t<Activations<Scalar, E>> const& y, int team_size = 0) {
    launch_teams<E>("smup::forward<unstructured>", w.rows(), team_size, 1,
                    CsrProduct<false, E, Scalar>{w.row_map(), w.column_indices(),
                                                 w.transposed_permutation(), w.values(), x, y,
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
                                                w.transposed_permutation(), w.values(), dy, dx,
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
                    CsrGradient<E, Scalar>{w.row_map(), w.column_indices(), dy, x, dw,
                                           static_cast<std::int64_t>(x.extent(1))});
  }
};

} // namespace smup::detail
