#pragma once
/// The host CSR kernels (HostKernels<Unstructured> and <BalancedUnstructured>), where
/// SMUP_HOST_SIMD is 1: cache blocking and register tiles. The gathered side (the fan-in,
/// or the fan-out for backward-data) is cut into panels whose activations stay in L2; the
/// batch into tiles of vectors held in registers across a row's entries. Each of E's
/// threads owns a range of output rows holding about equal numbers of kept entries.

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

#include <Kokkos_Core.hpp>

#include <smup/kernels/csr/storage.hpp>
#include <smup/kernels/host_path.hpp>
#include <smup/kernels/host_simd.hpp>
#include <smup/kernels/unroll.hpp>
#include <smup/kernels/views.hpp>

#if SMUP_HOST_SIMD

namespace smup::detail {

/// Vectors per batch tile: half the registers accumulate, the rest stream operands.
inline constexpr int csr_tile_vectors = host_simd_registers / 2;

// The panel of activations a kernel revisits (panel rows x tile width) is sized to stay
// in a core's L2 with room for the streamed operands.
inline constexpr std::size_t csr_panel_bytes = std::size_t{256} << 10;

/// Gathered rows per panel for tiles of NV vectors: a power of two, so that panels never
/// straddle two 16-bit index segments.
template <int NV, class Scalar> constexpr std::int64_t csr_panel_rows() {
  constexpr auto fit = csr_panel_bytes / (NV * sizeof(typename HostSimd<Scalar>::type));
  return std::clamp<std::int64_t>(static_cast<std::int64_t>(std::bit_floor(fit)), 16,
                                  csr_segment_span);
}

/// Raw pointers and extents one host kernel call works on.
template <class Scalar> struct CsrHostMatrix {
  std::size_t const* ptr;   // segment offsets of the walked side (CSR rows or CSC columns)
  std::uint16_t const* idx; // the other index of each entry, within its segment
  std::int64_t segments;    // segments per walked line
  Scalar const* val;
  std::int64_t inner; // extent of the gathered side (cut into panels)
  // A transposed walk finds its weights in the CSR rows: their offsets and columns.
  std::size_t const* csr_ptr = nullptr;
  std::uint16_t const* csr_col = nullptr;
  std::int64_t csr_segments = 1;
};

/// For a transposed walk over the columns from c0 on: where each CSR row's first entry
/// at a column >= c0 sits. The walk visits a row's entries in column order, so from
/// there on its weights follow each other in values().
template <class Scalar>
void csr_first_positions(CsrHostMatrix<Scalar> const& a, std::int64_t c0, std::size_t* at) {
  auto const s = c0 / csr_segment_span;
  auto const target = static_cast<std::uint16_t>(c0 % csr_segment_span);
  for (std::int64_t g = 0; g < a.inner; ++g) {
    auto const line = static_cast<std::size_t>(g * a.csr_segments + s);
    at[g] = static_cast<std::size_t>(
        std::lower_bound(a.csr_col + a.csr_ptr[line], a.csr_col + a.csr_ptr[line + 1], target) -
        a.csr_col);
  }
}

/// out[r][b0 : b0 + NV * lanes] = sum_k w(k) in[g(k)][...] for r in [r0, r1), panel by
/// panel over the gathered rows of `in`. Transposed: w(k) = val[at[g]++] (see above).
template <int NV, bool Transposed, class Scalar>
void csr_product_tile(CsrHostMatrix<Scalar> const& a, std::int64_t r0, std::int64_t r1,
                      Scalar const* in, std::size_t ld_in, Scalar* out, std::size_t ld_out,
                      std::int64_t b0, std::size_t* cursor, std::size_t* at) {
  using V = HostSimd<Scalar>;
  using vec = typename V::type;
  constexpr auto panel = csr_panel_rows<NV, Scalar>();
  for (std::int64_t r = r0; r < r1; ++r) cursor[r - r0] = a.ptr[r * a.segments];
  for (std::int64_t p0 = 0; p0 < a.inner; p0 += panel) {
    auto const s = p0 / csr_segment_span;
    auto const base = s * csr_segment_span;
    auto const p1 = std::min(a.inner, p0 + panel) - base; // within the segment
    Scalar const* in_s = in + static_cast<std::size_t>(base) * ld_in + b0;
    for (std::int64_t r = r0; r < r1; ++r) {
      auto k = cursor[r - r0];
      auto const end = a.ptr[r * a.segments + s + 1];
      Scalar* o = out + static_cast<std::size_t>(r) * ld_out + b0;
      vec acc[NV];
      if (p0 == 0) {
        for (int j = 0; j < NV; ++j) acc[j] = vec{};
      } else {
        if (k == end || a.idx[k] >= p1) continue;
        for (int j = 0; j < NV; ++j) acc[j] = V::load(o + j * V::lanes);
      }
      for (; k < end && a.idx[k] < p1; ++k) {
        vec const wk = V::splat(Transposed ? a.val[at[base + a.idx[k]]++] : a.val[k]);
        Scalar const* x = in_s + static_cast<std::size_t>(a.idx[k]) * ld_in;
        SMUP_UNROLL(16)
        for (int j = 0; j < NV; ++j) acc[j] = V::fma(wk, V::load(x + j * V::lanes), acc[j]);
      }
      cursor[r - r0] = k;
      for (int j = 0; j < NV; ++j) V::store(o + j * V::lanes, acc[j]);
    }
  }
}

/// dw(k) (+)= dy[r][b0 : ...] . x[col(k)][b0 : ...] for the entries of rows [r0, r1).
template <int NV, class Scalar>
void csr_gradient_tile(CsrHostMatrix<Scalar> const& a, std::int64_t r0, std::int64_t r1,
                       Scalar const* dy, std::size_t ld_dy, Scalar const* x, std::size_t ld_x,
                       Scalar* dw, std::int64_t b0, bool accumulate, std::size_t* cursor) {
  using V = HostSimd<Scalar>;
  using vec = typename V::type;
  constexpr auto panel = csr_panel_rows<NV, Scalar>();
  for (std::int64_t r = r0; r < r1; ++r) cursor[r - r0] = a.ptr[r * a.segments];
  for (std::int64_t p0 = 0; p0 < a.inner; p0 += panel) {
    auto const s = p0 / csr_segment_span;
    auto const base = s * csr_segment_span;
    auto const p1 = std::min(a.inner, p0 + panel) - base;
    Scalar const* x_s = x + static_cast<std::size_t>(base) * ld_x + b0;
    for (std::int64_t r = r0; r < r1; ++r) {
      auto k = cursor[r - r0];
      auto const end = a.ptr[r * a.segments + s + 1];
      if (k == end || a.idx[k] >= p1) continue;
      Scalar const* d = dy + static_cast<std::size_t>(r) * ld_dy + b0;
      vec dv[NV];
      for (int j = 0; j < NV; ++j) dv[j] = V::load(d + j * V::lanes);
      for (; k < end && a.idx[k] < p1; ++k) {
        Scalar const* xr = x_s + static_cast<std::size_t>(a.idx[k]) * ld_x;
        // Two chains halve the dependent-FMA latency of one long dot product.
        vec s0{}, s1{};
        SMUP_UNROLL(16)
        for (int j = 0; j < NV; ++j) {
          if (j % 2 == 0)
            s0 = V::fma(dv[j], V::load(xr + j * V::lanes), s0);
          else
            s1 = V::fma(dv[j], V::load(xr + j * V::lanes), s1);
        }
        Scalar const sum = V::sum(s0 + s1);
        dw[k] = accumulate ? dw[k] + sum : sum;
      }
      cursor[r - r0] = k;
    }
  }
}

/// Lines [0, n) of segment offsets `ptr` cut into `parts` ranges of about equal kept
/// entries.
inline std::vector<std::int64_t> csr_balanced_ranges(std::size_t const* ptr, std::int64_t segments,
                                                     std::int64_t n, int parts) {
  std::vector<std::int64_t> bounds(static_cast<std::size_t>(parts) + 1, n);
  bounds[0] = 0;
  auto const total = ptr[n * segments];
  for (int t = 1; t < parts; ++t) {
    auto const target = total * static_cast<std::size_t>(t) / static_cast<std::size_t>(parts);
    // The first line whose entries start at or after target.
    std::int64_t lo = 0, hi = n;
    while (lo < hi) {
      auto const mid = lo + (hi - lo) / 2;
      if (ptr[mid * segments] < target)
        lo = mid + 1;
      else
        hi = mid;
    }
    bounds[static_cast<std::size_t>(t)] = lo;
  }
  for (int t = 1; t <= parts; ++t)
    bounds[static_cast<std::size_t>(t)] =
        std::max(bounds[static_cast<std::size_t>(t)], bounds[static_cast<std::size_t>(t) - 1]);
  return bounds;
}

/// One Kokkos work item per thread of E, each owning a range of output lines.
template <class E, class Scalar, class F> void
csr_parallel_rows(CsrHostMatrix<Scalar> const& a, std::int64_t n, char const* label, F const& f) {
  int const parts = std::max(1, E().concurrency());
  auto const bounds = csr_balanced_ranges(a.ptr, a.segments, n, parts);
  Kokkos::parallel_for(label, Kokkos::RangePolicy<E, Kokkos::Schedule<Kokkos::Static>>(0, parts),
                       [=](int t) {
                         auto const r0 = bounds[static_cast<std::size_t>(t)];
                         auto const r1 = bounds[static_cast<std::size_t>(t) + 1];
                         if (r0 < r1) f(r0, r1);
                       });
}

template <class E, bool Transposed, class Scalar>
void csr_host_product(CsrHostMatrix<Scalar> const& a, std::int64_t n, Scalar const* in,
                      std::size_t ld_in, Scalar* out, std::size_t ld_out, std::int64_t batch,
                      char const* label) {
  csr_parallel_rows<E>(a, n, label, [=](std::int64_t r0, std::int64_t r1) {
    constexpr std::int64_t lanes = HostSimd<Scalar>::lanes;
    std::vector<std::size_t> cursor(static_cast<std::size_t>(r1 - r0));
    // Transposed: each tile walks the CSR rows' weights from the same first positions.
    std::vector<std::size_t> first, at;
    if constexpr (Transposed) {
      first.resize(static_cast<std::size_t>(a.inner));
      csr_first_positions(a, r0, first.data());
    }
    auto const restart = [&] {
      if constexpr (Transposed) at = first;
      return at.data();
    };
    std::int64_t b = 0;
    for (; b + csr_tile_vectors * lanes <= batch; b += csr_tile_vectors * lanes)
      csr_product_tile<csr_tile_vectors, Transposed>(a, r0, r1, in, ld_in, out, ld_out, b,
                                                     cursor.data(), restart());
    for (; b + 4 * lanes <= batch; b += 4 * lanes)
      csr_product_tile<4, Transposed>(a, r0, r1, in, ld_in, out, ld_out, b, cursor.data(),
                                      restart());
    for (; b + lanes <= batch; b += lanes)
      csr_product_tile<1, Transposed>(a, r0, r1, in, ld_in, out, ld_out, b, cursor.data(),
                                      restart());
    if (b == batch) return;
    // The last lanes of a batch that is not a multiple of the vector width, summed in
    // the same order as the tiles.
    auto* const weight_at = restart();
    for (std::int64_t r = r0; r < r1; ++r) {
      Scalar* o = out + static_cast<std::size_t>(r) * ld_out;
      for (std::int64_t bt = b; bt < batch; ++bt) o[bt] = 0;
      for (std::int64_t s = 0; s < a.segments; ++s)
        for (auto k = a.ptr[r * a.segments + s]; k < a.ptr[r * a.segments + s + 1]; ++k) {
          auto const g = s * csr_segment_span + a.idx[k];
          Scalar const w = Transposed ? a.val[weight_at[g]++] : a.val[k];
          Scalar const* x = in + static_cast<std::size_t>(g) * ld_in;
          for (std::int64_t bt = b; bt < batch; ++bt) o[bt] += w * x[bt];
        }
    }
  });
}

template <class E, class Scalar>
void csr_host_weight_gradient(CsrHostMatrix<Scalar> const& a, std::int64_t n, Scalar const* dy,
                              std::size_t ld_dy, Scalar const* x, std::size_t ld_x, Scalar* dw,
                              std::int64_t batch) {
  csr_parallel_rows<E>(
      a, n, "smup::weight_gradient<unstructured,host>", [=](std::int64_t r0, std::int64_t r1) {
        constexpr std::int64_t lanes = HostSimd<Scalar>::lanes;
        std::vector<std::size_t> cursor(static_cast<std::size_t>(r1 - r0));
        std::int64_t b = 0;
        for (; b + csr_tile_vectors * lanes <= batch; b += csr_tile_vectors * lanes)
          csr_gradient_tile<csr_tile_vectors>(a, r0, r1, dy, ld_dy, x, ld_x, dw, b, b != 0,
                                              cursor.data());
        for (; b + 4 * lanes <= batch; b += 4 * lanes)
          csr_gradient_tile<4>(a, r0, r1, dy, ld_dy, x, ld_x, dw, b, b != 0, cursor.data());
        for (; b + lanes <= batch; b += lanes)
          csr_gradient_tile<1>(a, r0, r1, dy, ld_dy, x, ld_x, dw, b, b != 0, cursor.data());
        if (b == batch && b != 0) return;
        // The tail lanes, or the whole batch when it is shorter than a vector.
        for (std::int64_t r = r0; r < r1; ++r)
          for (std::int64_t s = 0; s < a.segments; ++s)
            for (auto k = a.ptr[r * a.segments + s]; k < a.ptr[r * a.segments + s + 1]; ++k) {
              auto const c = static_cast<std::size_t>(s * csr_segment_span + a.idx[k]);
              Scalar sum = b == 0 ? Scalar{0} : dw[k];
              for (std::int64_t bt = b; bt < batch; ++bt)
                sum += dy[static_cast<std::size_t>(r) * ld_dy + static_cast<std::size_t>(bt)] *
                       x[c * ld_x + static_cast<std::size_t>(bt)];
              dw[k] = sum;
            }
      });
}

template <class P, class E, class Scalar>
CsrHostMatrix<Scalar> csr_host_matrix(CsrWeights<P, E, Scalar> const& w, bool transposed) {
  if (transposed)
    return {w.transposed_col_map().data(),
            w.transposed_row_indices().data(),
            w.row_segments(),
            w.values().data(),
            w.rows(),
            w.row_map().data(),
            w.column_indices().data(),
            w.column_segments()};
  return {w.row_map().data(), w.column_indices().data(), w.column_segments(), w.values().data(),
          w.cols()};
}

// Activations are addressed through their row stride, never their batch extent: a
// padded view (a column range of a wider one) has a longer stride than batch.
template <CsrPattern P> struct HostKernels<P> {
  template <class E, class Scalar>
  static void forward(CsrWeights<P, E, Scalar> const& w,
                      std::type_identity_t<Activations<Scalar, E>> const& x,
                      std::type_identity_t<Activations<Scalar, E>> const& y) {
    csr_host_product<E, false>(csr_host_matrix(w, false), w.rows(), x.data(), x.stride(0), y.data(),
                               y.stride(0), static_cast<std::int64_t>(x.extent(1)),
                               "smup::forward<unstructured,host>");
  }

  template <class E, class Scalar>
  static void backward_data(CsrWeights<P, E, Scalar> const& w,
                            std::type_identity_t<Activations<Scalar, E>> const& dy,
                            std::type_identity_t<Activations<Scalar, E>> const& dx) {
    csr_host_product<E, true>(csr_host_matrix(w, true), w.cols(), dy.data(), dy.stride(0),
                              dx.data(), dx.stride(0), static_cast<std::int64_t>(dy.extent(1)),
                              "smup::backward_data<unstructured,host>");
  }

  template <class E, class Scalar>
  static void weight_gradient(CsrWeights<P, E, Scalar> const& w,
                              std::type_identity_t<Activations<Scalar, E>> const& dy,
                              std::type_identity_t<Activations<Scalar, E>> const& x,
                              std::type_identity_t<WeightValues<Scalar, E>> const& dw) {
    csr_host_weight_gradient<E>(csr_host_matrix(w, false), w.rows(), dy.data(), dy.stride(0),
                                x.data(), x.stride(0), dw.data(),
                                static_cast<std::int64_t>(x.extent(1)));
  }
};

} // namespace smup::detail

#endif // SMUP_HOST_SIMD
