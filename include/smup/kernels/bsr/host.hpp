#pragma once
/// The host BSR kernels (HostKernels<Block<R, C>>), where SMUP_HOST_SIMD is 1. Every
/// kernel is a small dense product per block, out[m][n] += sum_k a(m, k) in[k][n] with n
/// along the contiguous batch, run by a register-tiled micro-kernel: an MR x NV-vector
/// tile of out stays in registers over the whole k loop. Work items (block rows or
/// columns times batch tiles) are shared out by Kokkos over E's threads.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include <Kokkos_Core.hpp>

#include <smup/kernels/bsr/storage.hpp>
#include <smup/kernels/host_path.hpp>
#include <smup/kernels/host_simd.hpp>
#include <smup/kernels/unroll.hpp>
#include <smup/kernels/views.hpp>

#if SMUP_HOST_SIMD

namespace smup::detail {

/// An MR x (NV vectors) tile of `out`, held in registers over the whole k loop.
/// a(m, k) = a[m * sm + k * sk], so one kernel serves W, W^T and dY as the left factor.
template <int MR, int NV, class S>
inline void bsr_micro_tile(std::int64_t K, S const* a, std::int64_t sm, std::int64_t sk,
                           S const* in, std::int64_t ldi, S* out, std::int64_t ldo) {
  using V = HostSimd<S>;
  constexpr int L = V::lanes;
  typename V::type acc[MR][NV];
  SMUP_UNROLL(16)
  for (int m = 0; m < MR; ++m) {
    SMUP_UNROLL(16)
    for (int v = 0; v < NV; ++v) acc[m][v] = V::load(out + m * ldo + v * L);
  }
  for (std::int64_t k = 0; k < K; ++k) {
    typename V::type x[NV];
    SMUP_UNROLL(16)
    for (int v = 0; v < NV; ++v) {
      x[v] = V::load(in + k * ldi + v * L);
      V::keep_in_register(x[v]);
    }
    SMUP_UNROLL(16)
    for (int m = 0; m < MR; ++m) {
      auto const w = V::splat(a[m * sm + k * sk]);
      SMUP_UNROLL(16)
      for (int v = 0; v < NV; ++v) acc[m][v] = V::fma(w, x[v], acc[m][v]);
    }
  }
  SMUP_UNROLL(16)
  for (int m = 0; m < MR; ++m) {
    SMUP_UNROLL(16)
    for (int v = 0; v < NV; ++v) V::store(out + m * ldo + v * L, acc[m][v]);
  }
}

/// out[r][c] = sum_b dy[r][b] * x[c][b] for an MR x MC tile: dot products along the
/// contiguous batch, for blocks too narrow to vectorise along their columns.
template <int MR, int MC, class S>
inline void bsr_micro_dot(std::int64_t batch, S const* dy, std::int64_t ldy, S const* x,
                          std::int64_t ldx, S* out, std::int64_t ldo) {
  using V = HostSimd<S>;
  constexpr int L = V::lanes;
  typename V::type acc[MR][MC];
  SMUP_UNROLL(16)
  for (int r = 0; r < MR; ++r) {
    SMUP_UNROLL(16)
    for (int c = 0; c < MC; ++c) acc[r][c] = typename V::type{};
  }
  std::int64_t b = 0;
  for (; b + L <= batch; b += L) {
    typename V::type xv[MC];
    SMUP_UNROLL(16)
    for (int c = 0; c < MC; ++c) {
      xv[c] = V::load(x + c * ldx + b);
      V::keep_in_register(xv[c]);
    }
    SMUP_UNROLL(16)
    for (int r = 0; r < MR; ++r) {
      auto const yv = V::load(dy + r * ldy + b);
      SMUP_UNROLL(16)
      for (int c = 0; c < MC; ++c) acc[r][c] = V::fma(yv, xv[c], acc[r][c]);
    }
  }
  for (int r = 0; r < MR; ++r)
    for (int c = 0; c < MC; ++c) {
      S total = V::sum(acc[r][c]);
      for (std::int64_t t = b; t < batch; ++t) total += dy[r * ldy + t] * x[c * ldx + t];
      out[r * ldo + c] = total;
    }
}

/// Register tiles (rows x vectors) of bsr_gemm_acc, widest first. With 32 registers
/// (AVX-512, NEON) 4 x 4 and 8 x 2 vectors: 16 accumulators cover the FMA latency and
/// loads stay below FMAs. With 16 (AVX2, SSE2) the accumulators, the row of `in` and
/// the broadcast weight must fit in half as many: 2 x 4 and 6 x 2 (8 and 12 accumulators)
/// ran faster than the 32-register tiles on an AVX2 EPYC.
struct BsrTiles {
  int wide_rows, wide_vectors, rows2, rows1;
};
inline constexpr BsrTiles bsr_tiles =
    host_simd_registers >= 32 ? BsrTiles{4, 4, 8, 8} : BsrTiles{2, 4, 6, 8};

/// Rows [0, M) of vector columns [n0, n1) in MR-row tiles, then single rows.
template <int M, int MR, int NV, class S>
inline void bsr_row_tiles(std::int64_t n0, std::int64_t n1, std::int64_t K, S const* a,
                          std::int64_t sm, std::int64_t sk, S const* in, std::int64_t ldi, S* out,
                          std::int64_t ldo) {
  constexpr std::int64_t width = NV * HostSimd<S>::lanes;
  constexpr int full = M / MR * MR;
  // Row tiles outermost: the first one streams the right operand block row by row, in
  // address order, and the others find it in L1/L2.
  for (int m = 0; m < full; m += MR)
    for (std::int64_t n = n0; n + width <= n1; n += width)
      bsr_micro_tile<MR, NV>(K, a + m * sm, sm, sk, in + n, ldi, out + m * ldo + n, ldo);
  if constexpr (full < M)
    for (int m = full; m < M; ++m)
      for (std::int64_t n = n0; n + width <= n1; n += width)
        bsr_micro_tile<1, NV>(K, a + m * sm, sm, sk, in + n, ldi, out + m * ldo + n, ldo);
}

/// out (M x N, leading dimension ldo) += A (M x K) * in (K x N, leading dimension ldi).
/// Wide tiles where N allows, then narrower ones, then a scalar tail.
template <int M, class S> inline void bsr_gemm_acc(std::int64_t N, std::int64_t K, S const* a,
                                                   std::int64_t sm, std::int64_t sk, S const* in,
                                                   std::int64_t ldi, S* out, std::int64_t ldo) {
  constexpr std::int64_t L = HostSimd<S>::lanes;
  constexpr BsrTiles t = bsr_tiles;
  std::int64_t n = 0;
  std::int64_t const wide = N / (t.wide_vectors * L) * (t.wide_vectors * L);
  bsr_row_tiles<M, t.wide_rows, t.wide_vectors>(0, wide, K, a, sm, sk, in, ldi, out, ldo);
  n = wide;
  std::int64_t const n2 = n + (N - n) / (2 * L) * (2 * L);
  bsr_row_tiles<M, t.rows2, 2>(n, n2, K, a, sm, sk, in, ldi, out, ldo);
  n = n2;
  std::int64_t const n1 = n + (N - n) / L * L;
  bsr_row_tiles<M, t.rows1, 1>(n, n1, K, a, sm, sk, in, ldi, out, ldo);
  n = n1;
  for (int m = 0; m < M; ++m)
    for (std::int64_t j = n; j < N; ++j) {
      S acc = out[m * ldo + j];
      for (std::int64_t k = 0; k < K; ++k) acc += a[m * sm + k * sk] * in[k * ldi + j];
      out[m * ldo + j] = acc;
    }
}

template <class S>
inline void bsr_zero_rows(S* p, std::int64_t rows, std::int64_t n, std::int64_t ld) {
  for (std::int64_t r = 0; r < rows; ++r) std::fill(p + r * ld, p + r * ld + n, S(0));
}

// Batch columns per work item: a multiple of every tile width, small enough that the
// operands of one item stay in L2.
inline constexpr std::int64_t bsr_batch_tile = 256;

// Activations are addressed through their row stride (ld*), never their batch extent: a
// padded view (a column range of a wider one) has a longer stride than batch.

template <int R, int C, class E, class S>
void bsr_forward_host(SparseWeights<Block<R, C>, E, S> const& w, Activations<S, E> const& x,
                      Activations<S, E> const& y) {
  std::int64_t const batch = std::int64_t(x.extent(1));
  std::int64_t const ldx = std::int64_t(x.stride(0)), ldy = std::int64_t(y.stride(0));
  std::int64_t const tiles = (batch + bsr_batch_tile - 1) / bsr_batch_tile;
  auto const rp = w.block_row_ptr().data();
  auto const ci = w.block_col_index().data();
  S const* const v = w.values().data();
  S const* const xp = x.data();
  S* const yp = y.data();
  Kokkos::parallel_for("smup::forward<block,host>",
                       Kokkos::RangePolicy<E>(0, w.block_rows() * tiles), [=](std::int64_t item) {
                         std::int64_t const i = item / tiles, b0 = item % tiles * bsr_batch_tile;
                         std::int64_t const nb = std::min(bsr_batch_tile, batch - b0);
                         S* const out = yp + i * R * ldy + b0;
                         bsr_zero_rows(out, R, nb, ldy);
                         for (std::int64_t p = rp[i]; p < rp[i + 1]; ++p)
                           bsr_gemm_acc<R>(nb, C, v + p * R * C, C, 1,
                                           xp + std::int64_t(ci[p]) * C * ldx + b0, ldx, out, ldy);
                       });
}

template <int R, int C, class E, class S>
void bsr_backward_data_host(SparseWeights<Block<R, C>, E, S> const& w, Activations<S, E> const& dy,
                            Activations<S, E> const& dx) {
  std::int64_t const batch = std::int64_t(dy.extent(1));
  std::int64_t const ldy = std::int64_t(dy.stride(0)), ldx = std::int64_t(dx.stride(0));
  std::int64_t const tiles = (batch + bsr_batch_tile - 1) / bsr_batch_tile;
  auto const cp = w.block_col_ptr().data();
  auto const tr = w.transposed_block_row().data();
  auto const tb = w.transposed_block().data();
  S const* const v = w.values().data();
  S const* const dyp = dy.data();
  S* const dxp = dx.data();
  // Block columns hold a varying number of blocks: hand them out dynamically.
  Kokkos::parallel_for(
      "smup::backward_data<block,host>",
      Kokkos::RangePolicy<E, Kokkos::Schedule<Kokkos::Dynamic>>(0, w.block_cols() * tiles),
      [=](std::int64_t item) {
        std::int64_t const j = item / tiles, b0 = item % tiles * bsr_batch_tile;
        std::int64_t const nb = std::min(bsr_batch_tile, batch - b0);
        S* const out = dxp + j * C * ldx + b0;
        bsr_zero_rows(out, C, nb, ldx);
        for (std::int64_t q = cp[j]; q < cp[j + 1]; ++q)
          bsr_gemm_acc<C>(nb, R, v + std::int64_t(tb[q]) * R * C, 1, C,
                          dyp + std::int64_t(tr[q]) * R * ldy + b0, ldy, out, ldx);
      });
}

template <int R, int C, class E, class S>
void bsr_weight_gradient_host(SparseWeights<Block<R, C>, E, S> const& w,
                              Activations<S, E> const& dy, Activations<S, E> const& x,
                              WeightValues<S, E> const& dw) {
  std::int64_t const batch = std::int64_t(x.extent(1));
  std::int64_t const ldy = std::int64_t(dy.stride(0)), ldx = std::int64_t(x.stride(0));
  auto const cp = w.block_col_ptr().data();
  auto const tr = w.transposed_block_row().data();
  auto const tb = w.transposed_block().data();
  S const* const dyp = dy.data();
  S const* const xp = x.data();
  S* const dwp = dw.data();
  if constexpr (C % HostSimd<S>::lanes != 0) {
    // Narrow blocks: dot products along the batch, block rows shared out evenly.
    constexpr int MR = R % 4 == 0 ? 4 : R % 2 == 0 ? 2 : 1;
    constexpr int MC = C % 4 == 0 ? 4 : C % 2 == 0 ? 2 : 1;
    auto const rp = w.block_row_ptr().data();
    auto const ci = w.block_col_index().data();
    Kokkos::parallel_for("smup::weight_gradient<block,host>",
                         Kokkos::RangePolicy<E>(0, w.block_rows()), [=](std::int64_t i) {
                           for (std::int64_t p = rp[i]; p < rp[i + 1]; ++p) {
                             S const* const xb = xp + std::int64_t(ci[p]) * C * ldx;
                             S* const out = dwp + p * R * C;
                             for (int r = 0; r < R; r += MR)
                               for (int c = 0; c < C; c += MC)
                                 bsr_micro_dot<MR, MC>(batch, dyp + (i * R + r) * ldy, ldy,
                                                       xb + c * ldx, ldx, out + r * C + c, C);
                           }
                         });
    return;
  }
  // dW_blk = dY_blk (R x batch) * X_blk^T (batch x C). X_blk is packed transposed once
  // per block column, so the product vectorises along C with no horizontal sums.
  using Policy = Kokkos::TeamPolicy<E, Kokkos::Schedule<Kokkos::Dynamic>>;
  using Scratch = Kokkos::View<S*, typename E::scratch_memory_space, Kokkos::MemoryUnmanaged>;
  std::size_t const scratch = Scratch::shmem_size(std::size_t(batch * C));
  Kokkos::parallel_for("smup::weight_gradient<block,host>",
                       Policy(w.block_cols(), 1).set_scratch_size(0, Kokkos::PerTeam(scratch)),
                       [=](typename Policy::member_type const& team) {
                         std::int64_t const j = team.league_rank();
                         if (cp[j] == cp[j + 1]) return;
                         Scratch packed(team.team_scratch(0), std::size_t(batch * C));
                         S* const xt = packed.data();
                         S const* const xb = xp + j * C * ldx;
                         for (std::int64_t c = 0; c < C; ++c)
                           for (std::int64_t b = 0; b < batch; ++b) xt[b * C + c] = xb[c * ldx + b];
                         for (std::int64_t q = cp[j]; q < cp[j + 1]; ++q) {
                           S* const out = dwp + std::int64_t(tb[q]) * R * C;
                           bsr_zero_rows(out, 1, R * C, 0);
                           bsr_gemm_acc<R>(C, batch, dyp + std::int64_t(tr[q]) * R * ldy, ldy, 1,
                                           xt, C, out, C);
                         }
                       });
}

template <int R, int C> struct HostKernels<Block<R, C>> {
  template <class E, class S>
  static void forward(SparseWeights<Block<R, C>, E, S> const& w,
                      std::type_identity_t<Activations<S, E>> const& x,
                      std::type_identity_t<Activations<S, E>> const& y) {
    bsr_forward_host(w, x, y);
  }

  template <class E, class S>
  static void backward_data(SparseWeights<Block<R, C>, E, S> const& w,
                            std::type_identity_t<Activations<S, E>> const& dy,
                            std::type_identity_t<Activations<S, E>> const& dx) {
    bsr_backward_data_host(w, dy, dx);
  }

  template <class E, class S>
  static void weight_gradient(SparseWeights<Block<R, C>, E, S> const& w,
                              std::type_identity_t<Activations<S, E>> const& dy,
                              std::type_identity_t<Activations<S, E>> const& x,
                              std::type_identity_t<WeightValues<S, E>> const& dw) {
    bsr_weight_gradient_host(w, dy, x, dw);
  }
};

} // namespace smup::detail

#endif // SMUP_HOST_SIMD
