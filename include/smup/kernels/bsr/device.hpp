#pragma once
/// The generic BSR kernels (GenericKernels<Block<R, C>>): Kokkos team kernels for every
/// backend. Products take a team per block row (backward-data: per block column,
/// through the transposed block map) whose threads cover its R (or C) output rows times
/// the batch, batch fastest, so consecutive threads read consecutive batch entries
/// (coalesced on GPUs). The weight gradient takes a team per block row, a thread per
/// kept weight and a vector along the batch.

#include <cstdint>
#include <type_traits>

#include <Kokkos_Core.hpp>

#include <smup/kernels/bsr/storage.hpp>
#include <smup/kernels/generic.hpp>
#include <smup/kernels/views.hpp>

namespace smup::detail {

/// y(i R + r, b) = sum over the blocks p of block row i: W_p(r, :) . x(block cols, b).
template <int R, int C, class E, class S> struct BsrForward {
  using Team = typename Kokkos::TeamPolicy<E>::member_type;
  using W = SparseWeights<Block<R, C>, E, S>;
  using Offsets = Kokkos::View<typename W::offset_type*, typename E::memory_space>;
  using Indices = Kokkos::View<typename W::index_type*, typename E::memory_space>;

  Offsets rp;
  Indices ci;
  WeightValues<S, E> v;
  Activations<S, E> x;
  Activations<S, E> y;
  std::int64_t batch;

  KOKKOS_INLINE_FUNCTION void operator()(Team const& team) const {
    std::int64_t const i = team.league_rank();
    Kokkos::parallel_for(Kokkos::TeamThreadRange(team, std::int64_t(R) * batch),
                         [&](std::int64_t e) {
                           std::int64_t const r = e / batch, b = e % batch;
                           S acc = 0;
                           for (std::int64_t p = rp(i); p < rp(i + 1); ++p) {
                             std::int64_t const x0 = std::int64_t(ci(p)) * C;
                             std::int64_t const v0 = p * R * C + r * C;
                             for (std::int64_t c = 0; c < C; ++c) acc += v(v0 + c) * x(x0 + c, b);
                           }
                           y(i * R + r, b) = acc;
                         });
  }
};

/// dx(j C + c, b) = sum over the blocks q of block column j: W_q(:, c) . dy(block rows, b).
template <int R, int C, class E, class S> struct BsrBackwardData {
  using Team = typename Kokkos::TeamPolicy<E>::member_type;
  using W = SparseWeights<Block<R, C>, E, S>;
  using Offsets = Kokkos::View<typename W::offset_type*, typename E::memory_space>;
  using Indices = Kokkos::View<typename W::index_type*, typename E::memory_space>;

  Offsets cp;
  Indices tr;
  Indices tb;
  WeightValues<S, E> v;
  Activations<S, E> dy;
  Activations<S, E> dx;
  std::int64_t batch;

  KOKKOS_INLINE_FUNCTION void operator()(Team const& team) const {
    std::int64_t const j = team.league_rank();
    Kokkos::parallel_for(Kokkos::TeamThreadRange(team, std::int64_t(C) * batch),
                         [&](std::int64_t e) {
                           std::int64_t const c = e / batch, b = e % batch;
                           S acc = 0;
                           for (std::int64_t q = cp(j); q < cp(j + 1); ++q) {
                             std::int64_t const y0 = std::int64_t(tr(q)) * R;
                             std::int64_t const v0 = std::int64_t(tb(q)) * R * C + c;
                             for (std::int64_t r = 0; r < R; ++r)
                               acc += v(v0 + r * C) * dy(y0 + r, b);
                           }
                           dx(j * C + c, b) = acc;
                         });
  }
};

/// dw(k) = dy(row(k), :) . x(col(k), :) for the kept weights k of block row i.
template <int R, int C, class E, class S> struct BsrGradient {
  using Team = typename Kokkos::TeamPolicy<E>::member_type;
  using W = SparseWeights<Block<R, C>, E, S>;
  using Offsets = Kokkos::View<typename W::offset_type*, typename E::memory_space>;
  using Indices = Kokkos::View<typename W::index_type*, typename E::memory_space>;

  Offsets rp;
  Indices ci;
  Activations<S, E> dy;
  Activations<S, E> x;
  WeightValues<S, E> dw;
  std::int64_t batch;

  KOKKOS_INLINE_FUNCTION void operator()(Team const& team) const {
    std::int64_t const i = team.league_rank();
    std::int64_t const first = rp(i) * R * C;
    Kokkos::parallel_for(
        Kokkos::TeamThreadRange(team, (rp(i + 1) - rp(i)) * R * C), [&](std::int64_t e) {
          std::int64_t const k = first + e;
          std::int64_t const p = k / (R * C), rc = k % (R * C);
          std::int64_t const y0 = i * R + rc / C, x0 = std::int64_t(ci(p)) * C + rc % C;
          S sum = 0;
          Kokkos::parallel_reduce(
              Kokkos::ThreadVectorRange(team, batch),
              [&](std::int64_t b, S& part) { part += dy(y0, b) * x(x0, b); }, sum);
          Kokkos::single(Kokkos::PerThread(team), [&] { dw(k) = sum; });
        });
  }
};

template <int R, int C> struct GenericKernels<Block<R, C>> {
  /// y = W x.
  template <class E, class S> static void forward(SparseWeights<Block<R, C>, E, S> const& w,
                                                  std::type_identity_t<Activations<S, E>> const& x,
                                                  std::type_identity_t<Activations<S, E>> const& y,
                                                  int team_size = 0) {
    launch_teams<E>("smup::forward<block>", w.block_rows(), team_size, 1,
                    BsrForward<R, C, E, S>{w.block_row_ptr(), w.block_col_index(), w.values(), x, y,
                                           std::int64_t(x.extent(1))});
  }

  /// dx = W^T dy, gathered per block column through the transposed block map.
  template <class E, class S>
  static void backward_data(SparseWeights<Block<R, C>, E, S> const& w,
                            std::type_identity_t<Activations<S, E>> const& dy,
                            std::type_identity_t<Activations<S, E>> const& dx, int team_size = 0) {
    launch_teams<E>("smup::backward_data<block>", w.block_cols(), team_size, 1,
                    BsrBackwardData<R, C, E, S>{w.block_col_ptr(), w.transposed_block_row(),
                                                w.transposed_block(), w.values(), dy, dx,
                                                std::int64_t(dy.extent(1))});
  }

  /// dw = (dy x^T) at kept weights, in values() order.
  template <class E, class S>
  static void weight_gradient(SparseWeights<Block<R, C>, E, S> const& w,
                              std::type_identity_t<Activations<S, E>> const& dy,
                              std::type_identity_t<Activations<S, E>> const& x,
                              std::type_identity_t<WeightValues<S, E>> const& dw,
                              int team_size = 0) {
    launch_teams<E>("smup::weight_gradient<block>", w.block_rows(), team_size,
                    batch_vector_length<E>(),
                    BsrGradient<R, C, E, S>{w.block_row_ptr(), w.block_col_index(), dy, x, dw,
                                            std::int64_t(x.extent(1))});
  }
};

} // namespace smup::detail
