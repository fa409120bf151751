#pragma once
/// The host N:M kernels (HostKernels<NM<N, M>>), where SMUP_HOST_SIMD is 1: chunks of
/// the batch held in vector registers, and the operands a block of outputs reads packed
/// into panels that stay in L1, so each vector load feeds one FMA from L1 instead of L2
/// or L3. Work items are blocks of outputs (rows, or columns for backward-data) run as
/// single-thread teams on E, each with its panel in team scratch.

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include <Kokkos_Core.hpp>

#include <smup/kernels/host_path.hpp>
#include <smup/kernels/host_simd.hpp>
#include <smup/kernels/nm/storage.hpp>
#include <smup/kernels/unroll.hpp>
#include <smup/kernels/views.hpp>

#if SMUP_HOST_SIMD

namespace smup::detail {

/// Vectors per batch chunk of the forward pass: 8 accumulators.
inline constexpr int nm_forward_chunk = 8;
/// Backward-data and the gradient hold 16 vectors per chunk (AVX-512: a 256-float batch):
/// their inner loops carry more bookkeeping per entry, which a longer chunk amortises.
/// With 16 registers (AVX2) 16 still measured no slower than 8 (and 4 was slower).
inline constexpr int nm_backward_chunk = 16;
inline constexpr int nm_gradient_chunk = 16;
/// Kept entries per row (forward, gradient) or per column (backward) within one panel:
/// enough work per output chunk to amortise its load and store, few enough that the
/// packed panel stays in L1. Measured on Zen 4 with 4096 x 4096 weights, batch 256.
inline constexpr int nm_forward_panel_entries = 24;
inline constexpr int nm_backward_panel_entries = 16;
inline constexpr int nm_gradient_panel_entries = 16;
/// Rows ahead whose values and offsets are prefetched.
inline constexpr int nm_prefetch_rows = 4;

struct NmHostPlan {
  std::int64_t block;  // outputs (rows or columns) per Kokkos work item
  std::int64_t panel;  // groups (forward, gradient) or rows (backward) per panel
  std::int64_t blocks; // work items
  std::size_t scratch; // bytes of panel buffer per work item
};

template <int N, int M, class E, class Scalar>
NmHostPlan nm_host_plan(std::int64_t outputs, std::int64_t panel_units, std::int64_t unit_rows,
                        int chunk_vectors) {
  NmHostPlan plan{};
  std::int64_t const workers = E().concurrency();
  // Large blocks reuse each packed panel for many outputs; at least 4 per worker balance.
  std::int64_t block = (outputs + 4 * workers - 1) / (4 * workers);
  block = block < 8 ? 8 : (block > 256 ? 256 : block);
  plan.block = block;
  plan.blocks = (outputs + block - 1) / block;
  plan.panel = panel_units;
  plan.scratch = static_cast<std::size_t>(panel_units * unit_rows) *
                     static_cast<std::size_t>(chunk_vectors * HostSimd<Scalar>::lanes) *
                     sizeof(Scalar) +
                 64;
  return plan;
}

template <class Scalar> Scalar* nm_align64(void* p) {
  auto const a = reinterpret_cast<std::uintptr_t>(p);
  return reinterpret_cast<Scalar*>((a + 63) & ~std::uintptr_t{63});
}

/// Copies rows [first, first + count) of `src` (row stride ld), columns [b0, b0 + width)
/// into a dense buffer with row stride width.
template <class Scalar> void nm_pack(Scalar const* src, std::int64_t ld, std::int64_t first,
                                     std::int64_t count, std::int64_t b0, std::int64_t width,
                                     Scalar* dst) {
  for (std::int64_t i = 0; i < count; ++i)
    __builtin_memcpy(dst + i * width, src + (first + i) * ld + b0, width * sizeof(Scalar));
}

/// y[r][b0, b0 + C lanes) for r in [r0, r1), accumulated over groups [g0, g1) whose
/// inputs are packed in xp ((g - g0) * M + m rows of C vectors).
template <int N, int M, int C, class Scalar>
void nm_forward_tile(Scalar const* values, std::uint8_t const* offsets, std::int64_t k_row,
                     std::int64_t r0, std::int64_t r1, std::int64_t g0, std::int64_t g1,
                     Scalar const* xp, Scalar* y, std::int64_t ldy, std::int64_t b0, bool first) {
  using V = HostSimd<Scalar>;
  using vec = typename V::type;
  constexpr int width = C * V::lanes;
  for (std::int64_t r = r0; r < r1; ++r) {
    vec acc[C];
    Scalar* yr = y + r * ldy + b0;
    SMUP_UNROLL(16)
    for (int c = 0; c < C; ++c) acc[c] = first ? vec{} : V::load(yr + c * V::lanes);
    Scalar const* v = values + r * k_row + g0 * N;
    std::uint8_t const* o = offsets + r * k_row + g0 * N;
    // Rows are a row stride apart, which hardware prefetchers do not follow.
    if (r + nm_prefetch_rows < r1) {
      std::int64_t const bytes = (g1 - g0) * N * static_cast<std::int64_t>(sizeof(Scalar));
      char const* pv = reinterpret_cast<char const*>(v + nm_prefetch_rows * k_row);
      for (std::int64_t i = 0; i < bytes + 63; i += 64) __builtin_prefetch(pv + i);
      __builtin_prefetch(o + nm_prefetch_rows * k_row);
      __builtin_prefetch(o + nm_prefetch_rows * k_row + (g1 - g0) * N - 1);
    }
    Scalar const* xg = xp;
    for (std::int64_t g = g0; g < g1; ++g, v += N, o += N, xg += M * width) {
      SMUP_UNROLL(16)
      for (int n = 0; n < N; ++n) {
        vec const wv = V::splat(v[n]);
        Scalar const* xr = xg + o[n] * width;
        SMUP_UNROLL(16)
        for (int c = 0; c < C; ++c) acc[c] = V::fma(wv, V::load(xr + c * V::lanes), acc[c]);
      }
    }
    SMUP_UNROLL(16)
    for (int c = 0; c < C; ++c) V::store(yr + c * V::lanes, acc[c]);
  }
}

template <int N, int M, class E, class Scalar>
void nm_forward_host(SparseWeights<NM<N, M>, E, Scalar> const& w, Activations<Scalar, E> const& x,
                     Activations<Scalar, E> const& y) {
  using V = HostSimd<Scalar>;
  using W = SparseWeights<NM<N, M>, E, Scalar>;
  constexpr std::int64_t panel_groups = (nm_forward_panel_entries + N - 1) / N;
  std::int64_t const rows = w.rows(), groups = w.cols() / M, k_row = w.kept_per_row();
  std::int64_t const batch = static_cast<std::int64_t>(x.extent(1));
  std::int64_t const ldx = static_cast<std::int64_t>(x.stride(0));
  std::int64_t const ldy = static_cast<std::int64_t>(y.stride(0));
  NmHostPlan const plan = nm_host_plan<N, M, E, Scalar>(
      rows, panel_groups < groups ? panel_groups : groups, M, nm_forward_chunk);
  Scalar const* const values = w.values().data();
  std::uint8_t const* const offsets = w.offsets().data();
  Scalar const* const xd = x.data();
  Scalar* const yd = y.data();

  using policy = Kokkos::TeamPolicy<E, Kokkos::Schedule<Kokkos::Static>>;
  Kokkos::parallel_for(
      "smup::forward<nm,host>",
      policy(plan.blocks, 1).set_scratch_size(1, Kokkos::PerTeam(plan.scratch)),
      [=](typename policy::member_type const& team) {
        Scalar* const xp = nm_align64<Scalar>(team.team_scratch(1).get_shmem(plan.scratch));
        std::int64_t const r0 = team.league_rank() * plan.block;
        std::int64_t const r1 = r0 + plan.block < rows ? r0 + plan.block : rows;
        auto run = [&]<int C>(std::integral_constant<int, C>, std::int64_t b0) {
          constexpr int width = C * V::lanes;
          for (std::int64_t g0 = 0; g0 < groups; g0 += plan.panel) {
            std::int64_t const g1 = g0 + plan.panel < groups ? g0 + plan.panel : groups;
            nm_pack(xd, ldx, g0 * M, (g1 - g0) * M, b0, width, xp);
            nm_forward_tile<N, M, C>(values, offsets, k_row, r0, r1, g0, g1, xp, yd, ldy, b0,
                                     g0 == 0);
          }
        };
        std::int64_t b0 = 0;
        for (; b0 + nm_forward_chunk * V::lanes <= batch; b0 += nm_forward_chunk * V::lanes)
          run(std::integral_constant<int, nm_forward_chunk>{}, b0);
        for (; b0 + V::lanes <= batch; b0 += V::lanes) run(std::integral_constant<int, 1>{}, b0);
        for (std::int64_t r = r0; r < r1; ++r)
          for (std::int64_t b = b0; b < batch; ++b) {
            Scalar acc = 0;
            for (std::int64_t k = 0; k < k_row; ++k)
              acc += values[r * k_row + k] * xd[W::column(k, offsets[r * k_row + k]) * ldx + b];
            yd[r * ldy + b] = acc;
          }
      });
}

/// dx[c][b0, b0 + C lanes) for columns [c0, c1), accumulated over dy rows [p0, p1),
/// packed in dyp; cursor[c - c0] walks each column's entries from panel to panel.
template <int C, class Scalar>
void nm_backward_tile(Scalar const* values, std::int32_t const* starts, std::int32_t const* entries,
                      NmRowOf row_of, std::int64_t k_row, std::int64_t c0, std::int64_t c1,
                      std::int64_t p0, std::int64_t p1, std::int32_t* cursor, Scalar const* dyp,
                      Scalar* dx, std::int64_t ldx, std::int64_t b0, bool first) {
  using V = HostSimd<Scalar>;
  using vec = typename V::type;
  constexpr int width = C * V::lanes;
  // Positions below this bound belong to rows below p1.
  auto const bound = static_cast<std::int32_t>(p1 * k_row);
  for (std::int64_t c = c0; c < c1; ++c) {
    vec acc[C];
    Scalar* xr = dx + c * ldx + b0;
    SMUP_UNROLL(16)
    for (int j = 0; j < C; ++j) acc[j] = first ? vec{} : V::load(xr + j * V::lanes);
    std::int32_t e = cursor[c - c0];
    std::int32_t const end = starts[c + 1];
    for (; e < end; ++e) {
      std::int32_t const p = entries[e];
      if (p >= bound) break;
      vec const wv = V::splat(values[p]);
      Scalar const* dr = dyp + (row_of(p) - p0) * width;
      SMUP_UNROLL(16)
      for (int j = 0; j < C; ++j) acc[j] = V::fma(wv, V::load(dr + j * V::lanes), acc[j]);
    }
    cursor[c - c0] = e;
    __builtin_prefetch(entries + e + 16);
    SMUP_UNROLL(16)
    for (int j = 0; j < C; ++j) V::store(xr + j * V::lanes, acc[j]);
  }
}

template <int N, int M, class E, class Scalar>
void nm_backward_data_host(SparseWeights<NM<N, M>, E, Scalar> const& w,
                           Activations<Scalar, E> const& dy, Activations<Scalar, E> const& dx) {
  using V = HostSimd<Scalar>;
  // Rows per panel so that a column meets about nm_forward_panel_entries of its entries in it.
  constexpr std::int64_t panel_rows = (std::int64_t{nm_backward_panel_entries} * M + N - 1) / N;
  std::int64_t const rows = w.rows(), cols = w.cols(), k_row = w.kept_per_row();
  std::int64_t const batch = static_cast<std::int64_t>(dy.extent(1));
  std::int64_t const ldy = static_cast<std::int64_t>(dy.stride(0));
  std::int64_t const ldx = static_cast<std::int64_t>(dx.stride(0));
  NmHostPlan plan = nm_host_plan<N, M, E, Scalar>(cols, panel_rows < rows ? panel_rows : rows, 1,
                                                  nm_backward_chunk);
  std::size_t const pack_bytes = plan.scratch;
  plan.scratch += static_cast<std::size_t>(plan.block) * sizeof(std::int32_t);
  Scalar const* const values = w.values().data();
  std::int32_t const* const starts = w.transposed_starts().data();
  std::int32_t const* const entries = w.transposed_entries().data();
  NmRowOf const row_of = w.row_of();
  Scalar const* const dyd = dy.data();
  Scalar* const dxd = dx.data();

  using policy = Kokkos::TeamPolicy<E, Kokkos::Schedule<Kokkos::Static>>;
  Kokkos::parallel_for(
      "smup::backward_data<nm,host>",
      policy(plan.blocks, 1).set_scratch_size(1, Kokkos::PerTeam(plan.scratch)),
      [=](typename policy::member_type const& team) {
        char* const scratch = static_cast<char*>(team.team_scratch(1).get_shmem(plan.scratch));
        Scalar* const dyp = nm_align64<Scalar>(scratch);
        auto* const cursor = reinterpret_cast<std::int32_t*>(scratch + pack_bytes);
        std::int64_t const c0 = team.league_rank() * plan.block;
        std::int64_t const c1 = c0 + plan.block < cols ? c0 + plan.block : cols;
        auto run = [&]<int C>(std::integral_constant<int, C>, std::int64_t b0) {
          constexpr int width = C * V::lanes;
          for (std::int64_t c = c0; c < c1; ++c) cursor[c - c0] = starts[c];
          for (std::int64_t p0 = 0; p0 < rows; p0 += plan.panel) {
            std::int64_t const p1 = p0 + plan.panel < rows ? p0 + plan.panel : rows;
            nm_pack(dyd, ldy, p0, p1 - p0, b0, width, dyp);
            // The next panel's values of this column block: row segments a row stride
            // apart, which hardware prefetchers do not follow.
            {
              std::int64_t const q1 = p1 + plan.panel < rows ? p1 + plan.panel : rows;
              std::int64_t const k0 = c0 / M * N, k1 = (c1 + M - 1) / M * N;
              for (std::int64_t q = p1; q < q1; ++q) {
                char const* pv = reinterpret_cast<char const*>(values + q * k_row + k0);
                for (std::int64_t i = 0; i < (k1 - k0) * std::int64_t{sizeof(Scalar)} + 63; i += 64)
                  __builtin_prefetch(pv + i);
              }
            }
            nm_backward_tile<C>(values, starts, entries, row_of, k_row, c0, c1, p0, p1, cursor, dyp,
                                dxd, ldx, b0, p0 == 0);
          }
        };
        std::int64_t b0 = 0;
        for (; b0 + nm_backward_chunk * V::lanes <= batch; b0 += nm_backward_chunk * V::lanes)
          run(std::integral_constant<int, nm_backward_chunk>{}, b0);
        for (; b0 + V::lanes <= batch; b0 += V::lanes) run(std::integral_constant<int, 1>{}, b0);
        for (std::int64_t c = c0; c < c1; ++c)
          for (std::int64_t b = b0; b < batch; ++b) {
            Scalar acc = 0;
            for (std::int32_t e = starts[c]; e < starts[c + 1]; ++e)
              acc += values[entries[e]] * dyd[row_of(entries[e]) * ldy + b];
            dxd[c * ldx + b] = acc;
          }
      });
}

/// Sums of each of 8 vectors, in order, stored to out (or added to it): shuffles halve,
/// interleave and add the vectors until one vector (or two, or four) holds the 8 sums,
/// in log2(lanes) steps instead of 8 horizontal sums.
template <class Scalar, int Bytes = host_simd_bytes> inline void
nm_reduce8(typename HostSimd<Scalar, Bytes>::type const (&a)[8], Scalar* out, bool first) {
  using vec = typename HostSimd<Scalar, Bytes>::type;
  constexpr int lanes = HostSimd<Scalar, Bytes>::lanes;
  Scalar s[8];
  if constexpr (lanes == 16) {
    vec h[4], q[2];
    for (int i = 0; i < 4; ++i)
      h[i] = __builtin_shufflevector(a[2 * i], a[2 * i + 1], 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19,
                                     20, 21, 22, 23) +
             __builtin_shufflevector(a[2 * i], a[2 * i + 1], 8, 9, 10, 11, 12, 13, 14, 15, 24, 25,
                                     26, 27, 28, 29, 30, 31);
    for (int i = 0; i < 2; ++i)
      q[i] = __builtin_shufflevector(h[2 * i], h[2 * i + 1], 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18,
                                     19, 24, 25, 26, 27) +
             __builtin_shufflevector(h[2 * i], h[2 * i + 1], 4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22,
                                     23, 28, 29, 30, 31);
    vec const d = __builtin_shufflevector(q[0], q[1], 0, 1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21, 24,
                                          25, 28, 29) +
                  __builtin_shufflevector(q[0], q[1], 2, 3, 6, 7, 10, 11, 14, 15, 18, 19, 22, 23,
                                          26, 27, 30, 31);
    for (int i = 0; i < 8; ++i) s[i] = d[2 * i] + d[2 * i + 1];
  } else if constexpr (lanes == 8) {
    vec h[4], q[2];
    for (int i = 0; i < 4; ++i)
      h[i] = __builtin_shufflevector(a[2 * i], a[2 * i + 1], 0, 1, 2, 3, 8, 9, 10, 11) +
             __builtin_shufflevector(a[2 * i], a[2 * i + 1], 4, 5, 6, 7, 12, 13, 14, 15);
    for (int i = 0; i < 2; ++i)
      q[i] = __builtin_shufflevector(h[2 * i], h[2 * i + 1], 0, 1, 4, 5, 8, 9, 12, 13) +
             __builtin_shufflevector(h[2 * i], h[2 * i + 1], 2, 3, 6, 7, 10, 11, 14, 15);
    vec const d = __builtin_shufflevector(q[0], q[1], 0, 2, 4, 6, 8, 10, 12, 14) +
                  __builtin_shufflevector(q[0], q[1], 1, 3, 5, 7, 9, 11, 13, 15);
    for (int i = 0; i < 8; ++i) s[i] = d[i];
  } else if constexpr (lanes == 4) {
    vec h[4];
    for (int i = 0; i < 4; ++i)
      h[i] = __builtin_shufflevector(a[2 * i], a[2 * i + 1], 0, 1, 4, 5) +
             __builtin_shufflevector(a[2 * i], a[2 * i + 1], 2, 3, 6, 7);
    for (int i = 0; i < 2; ++i) {
      vec const q = __builtin_shufflevector(h[2 * i], h[2 * i + 1], 0, 2, 4, 6) +
                    __builtin_shufflevector(h[2 * i], h[2 * i + 1], 1, 3, 5, 7);
      for (int j = 0; j < 4; ++j) s[4 * i + j] = q[j];
    }
  } else if constexpr (lanes == 2) {
    for (int i = 0; i < 4; ++i) {
      vec const h = __builtin_shufflevector(a[2 * i], a[2 * i + 1], 0, 2) +
                    __builtin_shufflevector(a[2 * i], a[2 * i + 1], 1, 3);
      s[2 * i] = h[0];
      s[2 * i + 1] = h[1];
    }
  } else {
    for (int i = 0; i < 8; ++i) s[i] = HostSimd<Scalar, Bytes>::sum(a[i]);
  }
  for (int i = 0; i < 8; ++i) out[i] = first ? s[i] : out[i] + s[i];
}

/// dw for rows [r0, r1) and groups [g0, g1), partial sums over batch [b0, b0 + C lanes);
/// the inputs of those groups are packed in xp like nm_forward_tile's.
template <int N, int M, int C, class Scalar>
void nm_gradient_tile(std::uint8_t const* offsets, std::int64_t k_row, std::int64_t r0,
                      std::int64_t r1, std::int64_t g0, std::int64_t g1, Scalar const* xp,
                      Scalar const* dy, std::int64_t ldy, Scalar* dw, std::int64_t b0, bool first) {
  using V = HostSimd<Scalar>;
  using vec = typename V::type;
  constexpr int width = C * V::lanes;
  std::int64_t const k0 = g0 * N, k1 = g1 * N;
  for (std::int64_t r = r0; r < r1; ++r) {
    vec d[C];
    SMUP_UNROLL(16)
    for (int j = 0; j < C; ++j) d[j] = V::load(dy + r * ldy + b0 + j * V::lanes);
    std::uint8_t const* o = offsets + r * k_row;
    Scalar* out = dw + r * k_row;
    if (r + nm_prefetch_rows < r1) {
      std::int64_t const bytes = (k1 - k0) * static_cast<std::int64_t>(sizeof(Scalar));
      char const* pw = reinterpret_cast<char const*>(out + nm_prefetch_rows * k_row + k0);
      for (std::int64_t i = 0; i < bytes + 63; i += 64) __builtin_prefetch(pw + i, 1);
      __builtin_prefetch(o + nm_prefetch_rows * k_row + k0);
      __builtin_prefetch(o + nm_prefetch_rows * k_row + k1 - 1);
    }
    auto input = [&](std::int64_t k) { return xp + ((k / N - g0) * M + o[k]) * width; };
    std::int64_t k = k0;
    for (; k + 8 <= k1; k += 8) {
      vec acc[8];
      Scalar const* xr[8];
      SMUP_UNROLL(8)
      for (int e = 0; e < 8; ++e) {
        xr[e] = input(k + e);
        acc[e] = d[0] * V::load(xr[e]);
      }
      SMUP_UNROLL(16)
      for (int j = 1; j < C; ++j) {
        SMUP_UNROLL(8)
        for (int e = 0; e < 8; ++e) acc[e] = V::fma(d[j], V::load(xr[e] + j * V::lanes), acc[e]);
      }
      nm_reduce8<Scalar>(acc, out + k, first);
    }
    for (; k < k1; ++k) {
      Scalar const* xr = input(k);
      vec acc = d[0] * V::load(xr);
      SMUP_UNROLL(16)
      for (int j = 1; j < C; ++j) acc = V::fma(d[j], V::load(xr + j * V::lanes), acc);
      Scalar const s = V::sum(acc);
      out[k] = first ? s : out[k] + s;
    }
  }
}

template <int N, int M, class E, class Scalar>
void nm_weight_gradient_host(SparseWeights<NM<N, M>, E, Scalar> const& w,
                             Activations<Scalar, E> const& dy, Activations<Scalar, E> const& x,
                             WeightValues<Scalar, E> const& dw) {
  using V = HostSimd<Scalar>;
  using W = SparseWeights<NM<N, M>, E, Scalar>;
  // The dy chunk of a row stays in registers while the row's entries stream past it.
  constexpr int chunk = nm_gradient_chunk;
  constexpr std::int64_t panel_groups = (nm_gradient_panel_entries + N - 1) / N;
  std::int64_t const rows = w.rows(), groups = w.cols() / M, k_row = w.kept_per_row();
  std::int64_t const batch = static_cast<std::int64_t>(x.extent(1));
  std::int64_t const ldx = static_cast<std::int64_t>(x.stride(0));
  std::int64_t const ldy = static_cast<std::int64_t>(dy.stride(0));
  NmHostPlan const plan =
      nm_host_plan<N, M, E, Scalar>(rows, panel_groups < groups ? panel_groups : groups, M, chunk);
  std::uint8_t const* const offsets = w.offsets().data();
  Scalar const* const xd = x.data();
  Scalar const* const dyd = dy.data();
  Scalar* const dwd = dw.data();

  using policy = Kokkos::TeamPolicy<E, Kokkos::Schedule<Kokkos::Static>>;
  Kokkos::parallel_for("smup::weight_gradient<nm,host>",
                       policy(plan.blocks, 1).set_scratch_size(1, Kokkos::PerTeam(plan.scratch)),
                       [=](typename policy::member_type const& team) {
                         Scalar* const xp =
                             nm_align64<Scalar>(team.team_scratch(1).get_shmem(plan.scratch));
                         std::int64_t const r0 = team.league_rank() * plan.block;
                         std::int64_t const r1 = r0 + plan.block < rows ? r0 + plan.block : rows;
                         bool started = false;
                         auto run = [&]<int C>(std::integral_constant<int, C>, std::int64_t b0) {
                           constexpr int width = C * V::lanes;
                           for (std::int64_t g0 = 0; g0 < groups; g0 += plan.panel) {
                             std::int64_t const g1 =
                                 g0 + plan.panel < groups ? g0 + plan.panel : groups;
                             nm_pack(xd, ldx, g0 * M, (g1 - g0) * M, b0, width, xp);
                             nm_gradient_tile<N, M, C>(offsets, k_row, r0, r1, g0, g1, xp, dyd, ldy,
                                                       dwd, b0, !started);
                           }
                           started = true;
                         };
                         std::int64_t b0 = 0;
                         for (; b0 + chunk * V::lanes <= batch; b0 += chunk * V::lanes)
                           run(std::integral_constant<int, chunk>{}, b0);
                         for (; b0 + V::lanes <= batch; b0 += V::lanes)
                           run(std::integral_constant<int, 1>{}, b0);
                         if (b0 < batch || !started)
                           for (std::int64_t r = r0; r < r1; ++r)
                             for (std::int64_t k = 0; k < k_row; ++k) {
                               std::int64_t const c = W::column(k, offsets[r * k_row + k]);
                               Scalar s = 0;
                               for (std::int64_t b = b0; b < batch; ++b)
                                 s += dyd[r * ldy + b] * xd[c * ldx + b];
                               dwd[r * k_row + k] = started ? dwd[r * k_row + k] + s : s;
                             }
                       });
}

// Activations are addressed through their row stride, never their batch extent: a
// padded view (a column range of a wider one) has a longer stride than batch.
template <int N, int M> struct HostKernels<NM<N, M>> {
  template <class E, class Scalar>
  static void forward(SparseWeights<NM<N, M>, E, Scalar> const& w,
                      std::type_identity_t<Activations<Scalar, E>> const& x,
                      std::type_identity_t<Activations<Scalar, E>> const& y) {
    nm_forward_host(w, x, y);
  }

  template <class E, class Scalar>
  static void backward_data(SparseWeights<NM<N, M>, E, Scalar> const& w,
                            std::type_identity_t<Activations<Scalar, E>> const& dy,
                            std::type_identity_t<Activations<Scalar, E>> const& dx) {
    nm_backward_data_host(w, dy, dx);
  }

  template <class E, class Scalar>
  static void weight_gradient(SparseWeights<NM<N, M>, E, Scalar> const& w,
                              std::type_identity_t<Activations<Scalar, E>> const& dy,
                              std::type_identity_t<Activations<Scalar, E>> const& x,
                              std::type_identity_t<WeightValues<Scalar, E>> const& dw) {
    nm_weight_gradient_host(w, dy, x, dw);
  }
};

} // namespace smup::detail

#endif // SMUP_HOST_SIMD
