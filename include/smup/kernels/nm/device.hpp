#pragma once
/// The generic N:M kernels (GenericKernels<NM<N, M>>): Kokkos team kernels for every
/// backend. Products take a team per output (a row of W, or for backward-data a column
/// through the transposed index) with its threads along the batch, so neighbouring
/// threads read neighbouring activations (coalesced on GPUs). The weight gradient takes
/// a team per row, a thread per kept entry and a vector along the batch.

#include <cstdint>
#include <type_traits>

#include <Kokkos_Core.hpp>

#include <smup/kernels/generic.hpp>
#include <smup/kernels/nm/storage.hpp>
#include <smup/kernels/views.hpp>

namespace smup::detail {

/// y(r, b) = sum_k values(r, k) x(column(k), b).
template <int N, int M, class E, class Scalar> struct NmForward {
  using Team = typename Kokkos::TeamPolicy<E>::member_type;
  using W = SparseWeights<NM<N, M>, E, Scalar>;

  WeightValues<Scalar, E> values;
  typename W::offsets_view offsets;
  Activations<Scalar, E> x;
  Activations<Scalar, E> y;
  std::int64_t k_row;
  std::int64_t batch;

  KOKKOS_INLINE_FUNCTION void operator()(Team const& team) const {
    std::int64_t const r = team.league_rank();
    Kokkos::parallel_for(Kokkos::TeamThreadRange(team, batch), [&](std::int64_t b) {
      Scalar acc = 0;
      for (std::int64_t k = 0; k < k_row; ++k)
        acc += values(r * k_row + k) * x(W::column(k, offsets(r * k_row + k)), b);
      y(r, b) = acc;
    });
  }
};

/// dx(c, b) = sum over the kept entries p of column c: values(p) dy(row(p), b).
template <class E, class Scalar> struct NmBackwardData {
  using Team = typename Kokkos::TeamPolicy<E>::member_type;
  using Index = Kokkos::View<std::int32_t*, typename E::memory_space>;

  WeightValues<Scalar, E> values;
  Index starts;
  Index entries;
  NmRowOf row_of;
  Activations<Scalar, E> dy;
  Activations<Scalar, E> dx;
  std::int64_t batch;

  KOKKOS_INLINE_FUNCTION void operator()(Team const& team) const {
    std::int64_t const c = team.league_rank();
    Kokkos::parallel_for(Kokkos::TeamThreadRange(team, batch), [&](std::int64_t b) {
      Scalar acc = 0;
      for (std::int32_t e = starts(c); e < starts(c + 1); ++e) {
        std::int32_t const p = entries(e);
        acc += values(p) * dy(row_of(p), b);
      }
      dx(c, b) = acc;
    });
  }
};

/// dw(r, k) = dy(r, :) . x(column(k), :).
template <int N, int M, class E, class Scalar> struct NmGradient {
  using Team = typename Kokkos::TeamPolicy<E>::member_type;
  using W = SparseWeights<NM<N, M>, E, Scalar>;

  typename W::offsets_view offsets;
  Activations<Scalar, E> dy;
  Activations<Scalar, E> x;
  WeightValues<Scalar, E> dw;
  std::int64_t k_row;
  std::int64_t batch;

  KOKKOS_INLINE_FUNCTION void operator()(Team const& team) const {
    std::int64_t const r = team.league_rank();
    Kokkos::parallel_for(Kokkos::TeamThreadRange(team, k_row), [&](std::int64_t k) {
      std::int64_t const c = W::column(k, offsets(r * k_row + k));
      Scalar sum = 0;
      Kokkos::parallel_reduce(
          Kokkos::ThreadVectorRange(team, batch),
          [&](std::int64_t b, Scalar& part) { part += dy(r, b) * x(c, b); }, sum);
      Kokkos::single(Kokkos::PerThread(team), [&] { dw(r * k_row + k) = sum; });
    });
  }
};

template <int N, int M> struct GenericKernels<NM<N, M>> {
  /// y = W x.
  template <class E, class Scalar>
  static void forward(SparseWeights<NM<N, M>, E, Scalar> const& w,
                      std::type_identity_t<Activations<Scalar, E>> const& x,
                      std::type_identity_t<Activations<Scalar, E>> const& y, int team_size = 0) {
    launch_teams<E>("smup::forward<nm>", w.rows(), team_size, 1,
                    NmForward<N, M, E, Scalar>{w.values(), w.offsets(), x, y, w.kept_per_row(),
                                               static_cast<std::int64_t>(x.extent(1))});
  }

  /// dx = W^T dy, a gather per input feature through the transposed index.
  template <class E, class Scalar>
  static void backward_data(SparseWeights<NM<N, M>, E, Scalar> const& w,
                            std::type_identity_t<Activations<Scalar, E>> const& dy,
                            std::type_identity_t<Activations<Scalar, E>> const& dx,
                            int team_size = 0) {
    launch_teams<E>("smup::backward_data<nm>", w.cols(), team_size, 1,
                    NmBackwardData<E, Scalar>{w.values(), w.transposed_starts(),
                                              w.transposed_entries(), w.row_of(), dy, dx,
                                              static_cast<std::int64_t>(dy.extent(1))});
  }

  /// dw = (dy x^T) at kept entries, in values()' layout.
  template <class E, class Scalar>
  static void weight_gradient(SparseWeights<NM<N, M>, E, Scalar> const& w,
                              std::type_identity_t<Activations<Scalar, E>> const& dy,
                              std::type_identity_t<Activations<Scalar, E>> const& x,
                              std::type_identity_t<WeightValues<Scalar, E>> const& dw,
                              int team_size = 0) {
    launch_teams<E>("smup::weight_gradient<nm>", w.rows(), team_size, batch_vector_length<E>(),
                    NmGradient<N, M, E, Scalar>{w.offsets(), dy, x, dw, w.kept_per_row(),
                                                static_cast<std::int64_t>(x.extent(1))});
  }
};

} // namespace smup::detail
