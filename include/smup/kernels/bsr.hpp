#pragma once
/// SparseWeights<Block<R, C>, E, Scalar>: block compressed sparse rows (BSR). Kept
/// R x C blocks are stored dense and row-major, block after block in block-row
/// order, indexed by block-row pointers and block-column indices; a transposed
/// block map (block-column pointers, with each block's row and position) lets
/// backward-data gather per input feature instead of scattering with atomics.
/// The mask is fixed at construction (see smup/sparsity/block_mask.hpp).
///
///     smup::SparseWeights<smup::Block<32, 32>, Kokkos::DefaultExecutionSpace, float> w(
///         4096, 4096, smup::ratio{1, 8}, /*seed=*/7);
///     smup::forward(w, x, y);                  // y = W x        [4096][batch]
///     smup::backward_data(w, dy, dx);          // dx = W^T dy
///     smup::weight_gradient(w, dy, x, dw);     // dw: one value per kept weight
///
/// Every kernel is a small dense product per block. On host-accessible spaces a
/// register-blocked micro-kernel runs them (launched through Kokkos, so OpenMP
/// threads share the work); elsewhere a team-policy kernel does.

#include <Kokkos_Core.hpp>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
#include <immintrin.h>
#endif

#include <smup/core/error.hpp>
#include <smup/core/ratio.hpp>
#include <smup/kernels/extents.hpp>
#include <smup/kernels/sparse_weights.hpp>
#include <smup/kernels/views.hpp>
#include <smup/sparsity/block.hpp>
#include <smup/sparsity/block_mask.hpp>

namespace smup {

template <int R, int C, class ExecutionSpace, class Scalar>
class SparseWeights<Block<R, C>, ExecutionSpace, Scalar> {
  static_assert(std::is_floating_point_v<Scalar>);

public:
  using pattern = Block<R, C>;
  using execution_space = ExecutionSpace;
  using scalar_type = Scalar;
  using memory_space = typename ExecutionSpace::memory_space;
  using index_type = std::int32_t;
  using offset_type = std::int64_t;
  static constexpr int block_size = R * C;

  /// A rows x cols matrix keeping round(density * blocks) whole blocks (at least one).
  SparseWeights(std::int64_t rows, std::int64_t cols, ratio density, std::uint64_t seed)
      : rows_(rows), cols_(cols) {
    pattern::check_shape(rows, cols);
    checked_density(density);
    auto const mask = detail::make_block_mask(rows / R, cols / C, density, seed);
    if (mask.blocks() > std::numeric_limits<index_type>::max() / 2)
      detail::fail("smup::SparseWeights<Block<R, C>>: " + std::to_string(mask.blocks()) +
                   " kept blocks overflow the 32-bit block index. Use larger blocks or a "
                   "lower density.");
    block_rows_ = mask.block_rows;
    block_cols_ = mask.block_cols;
    blocks_ = mask.blocks();
    build(mask);
  }

  [[nodiscard]] std::int64_t rows() const { return rows_; }
  [[nodiscard]] std::int64_t cols() const { return cols_; }
  [[nodiscard]] std::int64_t kept() const { return blocks_ * block_size; }
  [[nodiscard]] double density() const { return double(kept()) / (double(rows_) * double(cols_)); }

  [[nodiscard]] std::int64_t block_rows() const { return block_rows_; }
  [[nodiscard]] std::int64_t block_cols() const { return block_cols_; }
  [[nodiscard]] std::int64_t blocks() const { return blocks_; }

  /// Kept values, R * C per block, row-major inside a block, blocks in block-row order.
  [[nodiscard]] WeightValues<Scalar, ExecutionSpace> values() const { return values_; }
  /// Block row i owns blocks [row_ptr(i), row_ptr(i + 1)).
  [[nodiscard]] auto block_row_ptr() const { return row_ptr_; }
  /// Block column of each block.
  [[nodiscard]] auto block_col_index() const { return col_index_; }
  /// Block column j is met by the entries [col_ptr(j), col_ptr(j + 1)) of the transposed map.
  [[nodiscard]] auto block_col_ptr() const { return col_ptr_; }
  /// Block row of each transposed-map entry, ascending within a block column.
  [[nodiscard]] auto transposed_block_row() const { return t_row_; }
  /// Position (in block-row order) of each transposed-map entry's block.
  [[nodiscard]] auto transposed_block() const { return t_block_; }

  [[nodiscard]] std::size_t values_bytes() const { return std::size_t(kept()) * sizeof(Scalar); }
  [[nodiscard]] std::size_t index_bytes() const {
    return (row_ptr_.extent(0) + col_ptr_.extent(0)) * sizeof(offset_type) +
           (col_index_.extent(0) + t_row_.extent(0) + t_block_.extent(0)) * sizeof(index_type);
  }

  [[nodiscard]] Kokkos::View<Scalar**, Kokkos::LayoutRight, Kokkos::HostSpace>
  to_dense_host() const {
    Kokkos::View<Scalar**, Kokkos::LayoutRight, Kokkos::HostSpace> out("smup::bsr_dense", rows_,
                                                                       cols_);
    auto const v = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, values_);
    for_each_block([&](std::int64_t p, std::int64_t i, std::int64_t j) {
      for (int r = 0; r < R; ++r)
        for (int c = 0; c < C; ++c) out(i * R + r, j * C + c) = v(p * block_size + r * C + c);
    });
    return out;
  }

  [[nodiscard]] Kokkos::View<bool**, Kokkos::LayoutRight, Kokkos::HostSpace> mask_host() const {
    Kokkos::View<bool**, Kokkos::LayoutRight, Kokkos::HostSpace> out("smup::bsr_mask", rows_,
                                                                     cols_);
    for_each_block([&](std::int64_t, std::int64_t i, std::int64_t j) {
      for (int r = 0; r < R; ++r)
        for (int c = 0; c < C; ++c) out(i * R + r, j * C + c) = true;
    });
    return out;
  }

private:
  template <class F> void for_each_block(F&& f) const {
    auto const rp = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, row_ptr_);
    auto const ci = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, col_index_);
    for (std::int64_t i = 0; i < block_rows_; ++i)
      for (std::int64_t p = rp(i); p < rp(i + 1); ++p) f(p, i, std::int64_t(ci(p)));
  }

  void build(BlockMask const& mask) {
    values_ = WeightValues<Scalar, ExecutionSpace>("smup::bsr_values", std::size_t(kept()));
    row_ptr_ = Kokkos::View<offset_type*, memory_space>("smup::bsr_row_ptr", block_rows_ + 1);
    col_index_ = Kokkos::View<index_type*, memory_space>("smup::bsr_col_index", blocks_);
    col_ptr_ = Kokkos::View<offset_type*, memory_space>("smup::bsr_col_ptr", block_cols_ + 1);
    t_row_ = Kokkos::View<index_type*, memory_space>("smup::bsr_t_row", blocks_);
    t_block_ = Kokkos::View<index_type*, memory_space>("smup::bsr_t_block", blocks_);
    auto rp = Kokkos::create_mirror_view(row_ptr_);
    auto ci = Kokkos::create_mirror_view(col_index_);
    auto cp = Kokkos::create_mirror_view(col_ptr_);
    auto tr = Kokkos::create_mirror_view(t_row_);
    auto tb = Kokkos::create_mirror_view(t_block_);
    for (std::int64_t i = 0; i <= block_rows_; ++i) rp(i) = mask.row_ptr[std::size_t(i)];
    for (std::int64_t p = 0; p < blocks_; ++p) ci(p) = mask.col_index[std::size_t(p)];
    // Counting sort by block column; walking block rows in order keeps rows ascending.
    for (std::int64_t j = 0; j <= block_cols_; ++j) cp(j) = 0;
    for (std::int64_t p = 0; p < blocks_; ++p) ++cp(ci(p) + 1);
    for (std::int64_t j = 0; j < block_cols_; ++j) cp(j + 1) += cp(j);
    std::vector<offset_type> next(static_cast<std::size_t>(block_cols_));
    for (std::int64_t j = 0; j < block_cols_; ++j) next[std::size_t(j)] = cp(j);
    for (std::int64_t i = 0; i < block_rows_; ++i)
      for (std::int64_t p = rp(i); p < rp(i + 1); ++p) {
        auto const q = next[std::size_t(ci(p))]++;
        tr(q) = index_type(i);
        tb(q) = index_type(p);
      }
    Kokkos::deep_copy(row_ptr_, rp);
    Kokkos::deep_copy(col_index_, ci);
    Kokkos::deep_copy(col_ptr_, cp);
    Kokkos::deep_copy(t_row_, tr);
    Kokkos::deep_copy(t_block_, tb);
  }

  std::int64_t rows_ = 0, cols_ = 0;
  std::int64_t block_rows_ = 0, block_cols_ = 0, blocks_ = 0;
  WeightValues<Scalar, ExecutionSpace> values_;
  Kokkos::View<offset_type*, memory_space> row_ptr_;
  Kokkos::View<index_type*, memory_space> col_index_;
  Kokkos::View<offset_type*, memory_space> col_ptr_;
  Kokkos::View<index_type*, memory_space> t_row_;
  Kokkos::View<index_type*, memory_space> t_block_;
};

namespace detail::bsr {

// ---- CPU fast path: out[m][n] += sum_k a(m, k) * in[k][n], n contiguous -------------

/// The widest vector the build targets, with an explicit FMA (ISO C++ modes do not
/// contract a * b + c).
template <class S> struct simd {
  using type = S;
  static constexpr int lanes = 1;
  static type load(S const* p) { return *p; }
  static void store(S* p, type v) { *p = v; }
  static type set1(S s) { return s; }
  static type fma(type a, type b, type c) { return a * b + c; }
  static S sum(type v) { return v; }
};
#if defined(__AVX512F__)
template <> struct simd<float> {
  using type = __m512;
  static constexpr int lanes = 16;
  static type load(float const* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, type v) { _mm512_storeu_ps(p, v); }
  static type set1(float s) { return _mm512_set1_ps(s); }
  static type fma(type a, type b, type c) { return _mm512_fmadd_ps(a, b, c); }
  // Halves through the masked extract with a zero source: the unmasked forms (and
  // _mm512_reduce_add_*) read an "undefined" vector that GCC 12 warns about.
  static __m256d half(__m512d v, int upper) {
    return upper ? _mm512_mask_extractf64x4_pd(_mm256_setzero_pd(), 0xF, v, 1)
                 : _mm512_mask_extractf64x4_pd(_mm256_setzero_pd(), 0xF, v, 0);
  }
  static float sum(type v) {
    __m512d const d = _mm512_castps_pd(v);
    __m256 const s8 = _mm256_add_ps(_mm256_castpd_ps(half(d, 0)), _mm256_castpd_ps(half(d, 1)));
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    return _mm_cvtss_f32(_mm_add_ss(h, _mm_movehdup_ps(h)));
  }
};
template <> struct simd<double> {
  using type = __m512d;
  static constexpr int lanes = 8;
  static type load(double const* p) { return _mm512_loadu_pd(p); }
  static void store(double* p, type v) { _mm512_storeu_pd(p, v); }
  static type set1(double s) { return _mm512_set1_pd(s); }
  static type fma(type a, type b, type c) { return _mm512_fmadd_pd(a, b, c); }
  static double sum(type v) {
    __m256d const s4 = _mm256_add_pd(simd<float>::half(v, 0), simd<float>::half(v, 1));
    __m128d const h = _mm_add_pd(_mm256_castpd256_pd128(s4), _mm256_extractf128_pd(s4, 1));
    return _mm_cvtsd_f64(_mm_add_sd(h, _mm_unpackhi_pd(h, h)));
  }
};
#elif defined(__AVX2__) && defined(__FMA__)
template <> struct simd<float> {
  using type = __m256;
  static constexpr int lanes = 8;
  static type load(float const* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, type v) { _mm256_storeu_ps(p, v); }
  static type set1(float s) { return _mm256_set1_ps(s); }
  static type fma(type a, type b, type c) { return _mm256_fmadd_ps(a, b, c); }
  static float sum(type v) {
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    return _mm_cvtss_f32(_mm_add_ss(h, _mm_movehdup_ps(h)));
  }
};
template <> struct simd<double> {
  using type = __m256d;
  static constexpr int lanes = 4;
  static type load(double const* p) { return _mm256_loadu_pd(p); }
  static void store(double* p, type v) { _mm256_storeu_pd(p, v); }
  static type set1(double s) { return _mm256_set1_pd(s); }
  static type fma(type a, type b, type c) { return _mm256_fmadd_pd(a, b, c); }
  static double sum(type v) {
    __m128d h = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    return _mm_cvtsd_f64(_mm_add_sd(h, _mm_unpackhi_pd(h, h)));
  }
};
#endif

/// An MR x (NV vectors) tile of `out`, held in registers over the whole k loop.
/// a(m, k) = a[m * sm + k * sk], so one kernel serves W, W^T and dY as the left factor.
template <int MR, int NV, class S>
inline void micro_tile(std::int64_t K, S const* a, std::int64_t sm, std::int64_t sk, S const* in,
                       std::int64_t ldi, S* out, std::int64_t ldo) {
  using V = simd<S>;
  constexpr int L = V::lanes;
  typename V::type acc[MR][NV];
#pragma GCC unroll 16
  for (int m = 0; m < MR; ++m)
#pragma GCC unroll 16
    for (int v = 0; v < NV; ++v) acc[m][v] = V::load(out + m * ldo + v * L);
  for (std::int64_t k = 0; k < K; ++k) {
    typename V::type x[NV];
#pragma GCC unroll 16
    for (int v = 0; v < NV; ++v) {
      x[v] = V::load(in + k * ldi + v * L);
#if defined(__GNUC__) && (defined(__AVX512F__) || defined(__AVX2__))
      // Keep x in a register: folded into each FMA as a memory operand, it would be
      // loaded MR times, and loads, not FMAs, would bound the kernel.
      __asm__("" : "+v"(x[v]));
#endif
    }
#pragma GCC unroll 16
    for (int m = 0; m < MR; ++m) {
      auto const w = V::set1(a[m * sm + k * sk]);
#pragma GCC unroll 16
      for (int v = 0; v < NV; ++v) acc[m][v] = V::fma(w, x[v], acc[m][v]);
    }
  }
#pragma GCC unroll 16
  for (int m = 0; m < MR; ++m)
#pragma GCC unroll 16
    for (int v = 0; v < NV; ++v) V::store(out + m * ldo + v * L, acc[m][v]);
}

/// out[r][c] = sum_b dy[r][b] * x[c][b] for an MR x MC tile: dot products along the
/// contiguous batch, for blocks too narrow to vectorise along their columns.
template <int MR, int MC, class S> inline void
micro_dot(std::int64_t batch, S const* dy, S const* x, std::int64_t ld, S* out, std::int64_t ldo) {
  using V = simd<S>;
  constexpr int L = V::lanes;
  typename V::type acc[MR][MC];
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r)
#pragma GCC unroll 16
    for (int c = 0; c < MC; ++c) acc[r][c] = V::set1(S(0));
  std::int64_t b = 0;
  for (; b + L <= batch; b += L) {
    typename V::type xv[MC];
#pragma GCC unroll 16
    for (int c = 0; c < MC; ++c) {
      xv[c] = V::load(x + c * ld + b);
#if defined(__GNUC__) && (defined(__AVX512F__) || defined(__AVX2__))
      __asm__("" : "+v"(xv[c])); // one load per vector, not one per FMA
#endif
    }
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
      auto const yv = V::load(dy + r * ld + b);
#pragma GCC unroll 16
      for (int c = 0; c < MC; ++c) acc[r][c] = V::fma(yv, xv[c], acc[r][c]);
    }
  }
  for (int r = 0; r < MR; ++r)
    for (int c = 0; c < MC; ++c) {
      S total = V::sum(acc[r][c]);
      for (std::int64_t t = b; t < batch; ++t) total += dy[r * ld + t] * x[c * ld + t];
      out[r * ldo + c] = total;
    }
}

/// Rows [0, M) of vector columns [n0, n1) in MR-row tiles, then single rows.
template <int M, int MR, int NV, class S>
inline void row_tiles(std::int64_t n0, std::int64_t n1, std::int64_t K, S const* a, std::int64_t sm,
                      std::int64_t sk, S const* in, std::int64_t ldi, S* out, std::int64_t ldo) {
  constexpr std::int64_t width = NV * simd<S>::lanes;
  constexpr int full = M / MR * MR;
  // Row tiles outermost: the first one streams the right operand block row by row, in
  // address order, and the others find it in L1/L2.
  for (int m = 0; m < full; m += MR)
    for (std::int64_t n = n0; n + width <= n1; n += width)
      micro_tile<MR, NV>(K, a + m * sm, sm, sk, in + n, ldi, out + m * ldo + n, ldo);
  if constexpr (full < M)
    for (int m = full; m < M; ++m)
      for (std::int64_t n = n0; n + width <= n1; n += width)
        micro_tile<1, NV>(K, a + m * sm, sm, sk, in + n, ldi, out + m * ldo + n, ldo);
}

/// out (M x N, leading dimension ldo) += A (M x K) * in (K x N, leading dimension ldi).
/// Wide tiles where N allows, then narrower ones, then a scalar tail.
template <int M, class S> inline void gemm_acc(std::int64_t N, std::int64_t K, S const* a,
                                               std::int64_t sm, std::int64_t sk, S const* in,
                                               std::int64_t ldi, S* out, std::int64_t ldo) {
  constexpr std::int64_t L = simd<S>::lanes;
  std::int64_t n = 0;
  if constexpr (L > 1) {
    // 4 x 4 and 8 x 2 vectors: 16 accumulators cover the FMA latency, loads stay below FMAs.
    std::int64_t const n4 = N / (4 * L) * (4 * L);
    row_tiles<M, 4, 4>(0, n4, K, a, sm, sk, in, ldi, out, ldo);
    n = n4;
    std::int64_t const n2 = n + (N - n) / (2 * L) * (2 * L);
    row_tiles<M, 8, 2>(n, n2, K, a, sm, sk, in, ldi, out, ldo);
    n = n2;
    std::int64_t const n1 = n + (N - n) / L * L;
    row_tiles<M, 8, 1>(n, n1, K, a, sm, sk, in, ldi, out, ldo);
    n = n1;
  }
  for (int m = 0; m < M; ++m)
    for (std::int64_t j = n; j < N; ++j) {
      S acc = out[m * ldo + j];
      for (std::int64_t k = 0; k < K; ++k) acc += a[m * sm + k * sk] * in[k * ldi + j];
      out[m * ldo + j] = acc;
    }
}

template <class S> inline void zero_rows(S* p, std::int64_t rows, std::int64_t n, std::int64_t ld) {
  for (std::int64_t r = 0; r < rows; ++r) std::fill(p + r * ld, p + r * ld + n, S(0));
}

// Batch columns per work item: a multiple of every tile width, small enough that the
// operands of one item stay in L2.
inline constexpr std::int64_t batch_tile = 256;

template <int R, int C, class E, class S>
void forward_host(SparseWeights<Block<R, C>, E, S> const& w, Activations<S, E> const& x,
                  Activations<S, E> const& y) {
  std::int64_t const batch = std::int64_t(x.extent(1));
  std::int64_t const tiles = (batch + batch_tile - 1) / batch_tile;
  auto const rp = w.block_row_ptr().data();
  auto const ci = w.block_col_index().data();
  S const* const v = w.values().data();
  S const* const xp = x.data();
  S* const yp = y.data();
  Kokkos::parallel_for("smup::bsr_forward_host", Kokkos::RangePolicy<E>(0, w.block_rows() * tiles),
                       [=](std::int64_t item) {
                         std::int64_t const i = item / tiles, b0 = item % tiles * batch_tile;
                         std::int64_t const nb = std::min(batch_tile, batch - b0);
                         S* const out = yp + i * R * batch + b0;
                         zero_rows(out, R, nb, batch);
                         for (std::int64_t p = rp[i]; p < rp[i + 1]; ++p)
                           gemm_acc<R>(nb, C, v + p * R * C, C, 1,
                                       xp + std::int64_t(ci[p]) * C * batch + b0, batch, out,
                                       batch);
                       });
}

template <int R, int C, class E, class S>
void backward_data_host(SparseWeights<Block<R, C>, E, S> const& w, Activations<S, E> const& dy,
                        Activations<S, E> const& dx) {
  std::int64_t const batch = std::int64_t(dy.extent(1));
  std::int64_t const tiles = (batch + batch_tile - 1) / batch_tile;
  auto const cp = w.block_col_ptr().data();
  auto const tr = w.transposed_block_row().data();
  auto const tb = w.transposed_block().data();
  S const* const v = w.values().data();
  S const* const dyp = dy.data();
  S* const dxp = dx.data();
  // Block columns hold a varying number of blocks: hand them out dynamically.
  Kokkos::parallel_for(
      "smup::bsr_backward_data_host",
      Kokkos::RangePolicy<E, Kokkos::Schedule<Kokkos::Dynamic>>(0, w.block_cols() * tiles),
      [=](std::int64_t item) {
        std::int64_t const j = item / tiles, b0 = item % tiles * batch_tile;
        std::int64_t const nb = std::min(batch_tile, batch - b0);
        S* const out = dxp + j * C * batch + b0;
        zero_rows(out, C, nb, batch);
        for (std::int64_t q = cp[j]; q < cp[j + 1]; ++q)
          gemm_acc<C>(nb, R, v + std::int64_t(tb[q]) * R * C, 1, C,
                      dyp + std::int64_t(tr[q]) * R * batch + b0, batch, out, batch);
      });
}

template <int R, int C, class E, class S>
void weight_gradient_host(SparseWeights<Block<R, C>, E, S> const& w, Activations<S, E> const& dy,
                          Activations<S, E> const& x, WeightValues<S, E> const& dw) {
  std::int64_t const batch = std::int64_t(x.extent(1));
  auto const cp = w.block_col_ptr().data();
  auto const tr = w.transposed_block_row().data();
  auto const tb = w.transposed_block().data();
  S const* const dyp = dy.data();
  S const* const xp = x.data();
  S* const dwp = dw.data();
  if constexpr (C % simd<S>::lanes != 0) {
    // Narrow blocks: dot products along the batch, block rows shared out evenly.
    constexpr int MR = R % 4 == 0 ? 4 : R % 2 == 0 ? 2 : 1;
    constexpr int MC = C % 4 == 0 ? 4 : C % 2 == 0 ? 2 : 1;
    auto const rp = w.block_row_ptr().data();
    auto const ci = w.block_col_index().data();
    Kokkos::parallel_for("smup::bsr_weight_gradient_host",
                         Kokkos::RangePolicy<E>(0, w.block_rows()), [=](std::int64_t i) {
                           for (std::int64_t p = rp[i]; p < rp[i + 1]; ++p) {
                             S const* const xb = xp + std::int64_t(ci[p]) * C * batch;
                             S* const out = dwp + p * R * C;
                             for (int r = 0; r < R; r += MR)
                               for (int c = 0; c < C; c += MC)
                                 micro_dot<MR, MC>(batch, dyp + (i * R + r) * batch, xb + c * batch,
                                                   batch, out + r * C + c, C);
                           }
                         });
    return;
  }
  // dW_blk = dY_blk (R x batch) * X_blk^T (batch x C). X_blk is packed transposed once
  // per block column, so the product vectorises along C with no horizontal sums.
  using Policy = Kokkos::TeamPolicy<E, Kokkos::Schedule<Kokkos::Dynamic>>;
  using Scratch = Kokkos::View<S*, typename E::scratch_memory_space, Kokkos::MemoryUnmanaged>;
  std::size_t const scratch = Scratch::shmem_size(std::size_t(batch * C));
  Kokkos::parallel_for("smup::bsr_weight_gradient_host",
                       Policy(w.block_cols(), 1).set_scratch_size(0, Kokkos::PerTeam(scratch)),
                       [=](typename Policy::member_type const& team) {
                         std::int64_t const j = team.league_rank();
                         if (cp[j] == cp[j + 1]) return;
                         Scratch packed(team.team_scratch(0), std::size_t(batch * C));
                         S* const xt = packed.data();
                         S const* const xb = xp + j * C * batch;
                         for (std::int64_t c = 0; c < C; ++c)
                           for (std::int64_t b = 0; b < batch; ++b)
                             xt[b * C + c] = xb[c * batch + b];
                         for (std::int64_t q = cp[j]; q < cp[j + 1]; ++q) {
                           S* const out = dwp + std::int64_t(tb[q]) * R * C;
                           zero_rows(out, 1, R * C, 0);
                           gemm_acc<R>(C, batch, dyp + std::int64_t(tr[q]) * R * batch, batch, 1,
                                       xt, C, out, C);
                         }
                       });
}

// ---- Generic path: team policies, one team per block row / column / block row ------

template <int R, int C, class E, class S>
void forward_generic(SparseWeights<Block<R, C>, E, S> const& w, Activations<S, E> const& x,
                     Activations<S, E> const& y) {
  std::int64_t const batch = std::int64_t(x.extent(1));
  auto const rp = w.block_row_ptr();
  auto const ci = w.block_col_index();
  auto const v = w.values();
  using Policy = Kokkos::TeamPolicy<E>;
  // Consecutive threads take consecutive batch entries: coalesced on GPUs.
  Kokkos::parallel_for(
      "smup::bsr_forward", Policy(w.block_rows(), Kokkos::AUTO),
      KOKKOS_LAMBDA(typename Policy::member_type const& team) {
        std::int64_t const i = team.league_rank();
        Kokkos::parallel_for(Kokkos::TeamThreadRange(team, std::int64_t(R) * batch),
                             [&](std::int64_t e) {
                               std::int64_t const r = e / batch, b = e % batch;
                               S acc = 0;
                               for (std::int64_t p = rp(i); p < rp(i + 1); ++p) {
                                 std::int64_t const x0 = std::int64_t(ci(p)) * C;
                                 std::int64_t const v0 = p * R * C + r * C;
                                 for (std::int64_t c = 0; c < C; ++c)
                                   acc += v(v0 + c) * x(x0 + c, b);
                               }
                               y(i * R + r, b) = acc;
                             });
      });
}

template <int R, int C, class E, class S>
void backward_data_generic(SparseWeights<Block<R, C>, E, S> const& w, Activations<S, E> const& dy,
                           Activations<S, E> const& dx) {
  std::int64_t const batch = std::int64_t(dy.extent(1));
  auto const cp = w.block_col_ptr();
  auto const tr = w.transposed_block_row();
  auto const tb = w.transposed_block();
  auto const v = w.values();
  using Policy = Kokkos::TeamPolicy<E>;
  Kokkos::parallel_for(
      "smup::bsr_backward_data", Policy(w.block_cols(), Kokkos::AUTO),
      KOKKOS_LAMBDA(typename Policy::member_type const& team) {
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
      });
}

template <int R, int C, class E, class S>
void weight_gradient_generic(SparseWeights<Block<R, C>, E, S> const& w, Activations<S, E> const& dy,
                             Activations<S, E> const& x, WeightValues<S, E> const& dw) {
  std::int64_t const batch = std::int64_t(x.extent(1));
  auto const rp = w.block_row_ptr();
  auto const ci = w.block_col_index();
  using Policy = Kokkos::TeamPolicy<E>;
  Kokkos::parallel_for(
      "smup::bsr_weight_gradient", Policy(w.block_rows(), Kokkos::AUTO, Kokkos::AUTO),
      KOKKOS_LAMBDA(typename Policy::member_type const& team) {
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
                  [&](std::int64_t b, S& acc) { acc += dy(y0, b) * x(x0, b); }, sum);
              Kokkos::single(Kokkos::PerThread(team), [&] { dw(k) = sum; });
            });
      });
}

template <class E> inline constexpr bool host_fast_path =
    Kokkos::SpaceAccessibility<Kokkos::HostSpace, typename E::memory_space>::accessible;

} // namespace detail::bsr

/// y = W x. x: [cols][batch], y: [rows][batch].
template <int R, int C, class E, class S>
void forward(SparseWeights<Block<R, C>, E, S> const& w,
             std::type_identity_t<Activations<S, E>> const& x,
             std::type_identity_t<Activations<S, E>> const& y) {
  detail::check_product_extents("forward", w.rows(), w.cols(), x, y);
  if constexpr (detail::bsr::host_fast_path<E>)
    detail::bsr::forward_host(w, x, y);
  else
    detail::bsr::forward_generic(w, x, y);
}

/// dx = W^T dy, gathered per block column through the transposed block map.
template <int R, int C, class E, class S>
void backward_data(SparseWeights<Block<R, C>, E, S> const& w,
                   std::type_identity_t<Activations<S, E>> const& dy,
                   std::type_identity_t<Activations<S, E>> const& dx) {
  detail::check_product_extents("backward_data", w.cols(), w.rows(), dy, dx);
  if constexpr (detail::bsr::host_fast_path<E>)
    detail::bsr::backward_data_host(w, dy, dx);
  else
    detail::bsr::backward_data_generic(w, dy, dx);
}

/// dw[k] = sum_b dy[row(k)][b] * x[col(k)][b] for every kept weight k, in values() order.
template <int R, int C, class E, class S>
void weight_gradient(SparseWeights<Block<R, C>, E, S> const& w,
                     std::type_identity_t<Activations<S, E>> const& dy,
                     std::type_identity_t<Activations<S, E>> const& x,
                     std::type_identity_t<WeightValues<S, E>> const& dw) {
  detail::check_product_extents("weight_gradient", w.rows(), w.cols(), x, dy);
  if (std::int64_t(dw.extent(0)) != w.kept())
    detail::fail("smup::weight_gradient: the gradient holds " + std::to_string(dw.extent(0)) +
                 " values but the weights keep " + std::to_string(w.kept()) +
                 ". The gradient is compressed like the weights. Allocate kept() values.");
  if constexpr (detail::bsr::host_fast_path<E>)
    detail::bsr::weight_gradient_host(w, dy, x, dw);
  else
    detail::bsr::weight_gradient_generic(w, dy, x, dw);
}

} // namespace smup
