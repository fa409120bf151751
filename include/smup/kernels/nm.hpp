#pragma once
/// SparseWeights<NM<N, M>, E, Scalar>: N:M weights stored as packed values with 8-bit
/// in-group offsets. Every row keeps exactly cols / M * N weights, so entry k of row r
/// sits at r * kept_per_row() + k and no row pointers are needed; its column is
/// (k / N) * M + offset. A transposed index (per input column, the kept entries that
/// read it, by row) lets backward-data gather instead of scatter, without atomics.
///
///     smup::SparseWeights<smup::NM<2, 4>> w(/*rows=*/1024, /*cols=*/512, /*seed=*/7);
///     smup::Activations<float, Kokkos::DefaultExecutionSpace> x("x", 512, 256), y("y", 1024, 256);
///     smup::forward(w, x, y);   // y = W x, half the FLOPs of the dense product
///
/// On host execution spaces the kernels take a register-blocked path (GCC/Clang vector
/// extensions, launched through Kokkos on E); elsewhere, and through the
/// detail::nm_*_generic functions, they are plain Kokkos team kernels.

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>

#include <Kokkos_Core.hpp>

#include <smup/core/diagnostics.hpp>
#include <smup/core/error.hpp>
#include <smup/core/ratio.hpp>
#include <smup/kernels/extents.hpp>
#include <smup/kernels/sparse_weights.hpp>
#include <smup/kernels/views.hpp>
#include <smup/sparsity/nm.hpp>
#include <smup/sparsity/nm_mask.hpp>

#if defined(__GNUC__) && !defined(__CUDACC__) && !defined(__HIPCC__) &&                            \
    !defined(__SYCL_DEVICE_ONLY__)
#define SMUP_DETAIL_NM_HOST_SIMD 1
#else
#define SMUP_DETAIL_NM_HOST_SIMD 0
#endif

namespace smup {

namespace detail {

/// floor(n / d) for 0 <= n < 2^31 by one multiply and shift (Granlund and Montgomery,
/// 1994, theorem 4.2): the transposed index stores only value positions, and the row
/// of a position is position / kept_per_row, which would otherwise cost a division.
struct NmRowOf {
  std::uint64_t magic = std::uint64_t{1} << 31;
  int shift = 31;

  NmRowOf() = default;
  explicit NmRowOf(std::uint64_t d) {
    int l = 0;
    while ((std::uint64_t{1} << l) < d) ++l;
    shift = 31 + l;
    magic = ((std::uint64_t{1} << shift) + d - 1) / d;
  }
  KOKKOS_INLINE_FUNCTION std::int64_t operator()(std::int32_t n) const {
    return static_cast<std::int64_t>((static_cast<std::uint64_t>(n) * magic) >> shift);
  }
};

} // namespace detail

template <int N, int M, class E, class Scalar> class SparseWeights<NM<N, M>, E, Scalar> {
  static_assert(std::is_floating_point_v<Scalar>,
                "smup::SparseWeights<NM<N, M>>: Scalar must be a floating-point type.");
  static_assert(M <= 256, "smup::SparseWeights<NM<N, M>>: in-group offsets are stored in 8 "
                          "bits, so M can be at most 256.");

public:
  using pattern = NM<N, M>;
  using execution_space = E;
  using scalar_type = Scalar;
  using memory_space = typename E::memory_space;
  /// In-group offsets, laid out like values().
  using offsets_view = Kokkos::View<std::uint8_t*, memory_space>;
  /// Transposed index: entries of column c are transposed_entries()(e) for e in
  /// [transposed_starts()(c), transposed_starts()(c + 1)), value positions by ascending row.
  using index_view = Kokkos::View<std::int32_t*, memory_space>;

  SparseWeights(std::int64_t rows, std::int64_t cols, std::uint64_t seed)
      : rows_(checked(rows, cols)), cols_(cols), kept_per_row_(cols / M * N),
        row_of_(static_cast<std::uint64_t>(kept_per_row_)) {
    build(seed);
  }

  /// For code generic over patterns: the density must be the pattern's own, N / M.
  SparseWeights(std::int64_t rows, std::int64_t cols, ratio density, std::uint64_t seed)
      : SparseWeights(
            (detail::require<SMUP_DIAG_STATIC_DENSITY_MISMATCH>(density == pattern::density), rows),
            cols, seed) {}

  [[nodiscard]] std::int64_t rows() const { return rows_; }
  [[nodiscard]] std::int64_t cols() const { return cols_; }
  [[nodiscard]] std::int64_t kept() const { return rows_ * kept_per_row_; }
  [[nodiscard]] double density() const { return static_cast<double>(N) / M; }
  /// The same in every row: cols() / M * N.
  [[nodiscard]] std::int64_t kept_per_row() const { return kept_per_row_; }

  /// Row-major packed values: entry k of row r at r * kept_per_row() + k.
  [[nodiscard]] WeightValues<Scalar, E> values() const { return values_; }
  [[nodiscard]] offsets_view offsets() const { return offsets_; }
  [[nodiscard]] index_view transposed_starts() const { return t_starts_; }
  [[nodiscard]] index_view transposed_entries() const { return t_entries_; }
  /// Maps a value position to its row.
  [[nodiscard]] detail::NmRowOf row_of() const { return row_of_; }

  [[nodiscard]] std::size_t values_bytes() const { return values_.span() * sizeof(Scalar); }
  [[nodiscard]] std::size_t index_bytes() const {
    return offsets_.span() * sizeof(std::uint8_t) +
           (t_starts_.span() + t_entries_.span()) * sizeof(std::int32_t);
  }

  [[nodiscard]] Kokkos::View<Scalar**, Kokkos::LayoutRight, Kokkos::HostSpace>
  to_dense_host() const {
    auto const v = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, values_);
    auto const o = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, offsets_);
    Kokkos::View<Scalar**, Kokkos::LayoutRight, Kokkos::HostSpace> out(
        "smup::SparseWeights<NM>::dense", rows_, cols_);
    for (std::int64_t r = 0; r < rows_; ++r)
      for (std::int64_t k = 0; k < kept_per_row_; ++k)
        out(r, column(k, o(r * kept_per_row_ + k))) = v(r * kept_per_row_ + k);
    return out;
  }

  [[nodiscard]] Kokkos::View<bool**, Kokkos::LayoutRight, Kokkos::HostSpace> mask_host() const {
    auto const o = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, offsets_);
    Kokkos::View<bool**, Kokkos::LayoutRight, Kokkos::HostSpace> out(
        "smup::SparseWeights<NM>::mask", rows_, cols_);
    for (std::int64_t r = 0; r < rows_; ++r)
      for (std::int64_t k = 0; k < kept_per_row_; ++k)
        out(r, column(k, o(r * kept_per_row_ + k))) = true;
    return out;
  }

  /// The column of entry k of a row whose in-group offset is `offset`.
  KOKKOS_INLINE_FUNCTION static std::int64_t column(std::int64_t k, std::uint8_t offset) {
    return k / N * M + offset;
  }

private:
  // Runs before any member is allocated, so a bad shape allocates nothing.
  static std::int64_t checked(std::int64_t rows, std::int64_t cols) {
    pattern::check_shape(rows, cols);
    // The transposed index holds value positions in 32 bits.
    if (rows > INT32_MAX / (cols / M * N))
      detail::fail("smup::SparseWeights<NM<N, M>>: " + std::to_string(rows) + " x " +
                   std::to_string(cols) +
                   " keeps more than 2^31 - 1 weights. The transposed "
                   "index stores positions in 32 bits. Split the layer.");
    return rows;
  }

  void build(std::uint64_t seed) {
    std::int64_t const k_row = kept_per_row_, rows = rows_, cols = cols_;
    Kokkos::View<std::uint8_t*, Kokkos::HostSpace> o(
        Kokkos::view_alloc("smup::SparseWeights<NM>::offsets", Kokkos::WithoutInitializing),
        rows * k_row);
    // Each row is a pure function of (seed, row): any thread may draw it.
    Kokkos::parallel_for(
        "smup::nm_mask", Kokkos::RangePolicy<Kokkos::DefaultHostExecutionSpace>(0, rows),
        [=](std::int64_t r) { nm_row_offsets<N, M>(seed, r, cols, o.data() + r * k_row); });
    Kokkos::fence();

    // Counting sort by column; filling rows in order keeps each column's rows ascending.
    Kokkos::View<std::int32_t*, Kokkos::HostSpace> starts("smup::SparseWeights<NM>::t_starts",
                                                          cols + 1);
    Kokkos::View<std::int32_t*, Kokkos::HostSpace> entries(
        Kokkos::view_alloc("smup::SparseWeights<NM>::t_entries", Kokkos::WithoutInitializing),
        rows * k_row);
    for (std::int64_t p = 0; p < rows * k_row; ++p) ++starts(column(p % k_row, o(p)) + 1);
    for (std::int64_t c = 0; c < cols; ++c) starts(c + 1) += starts(c);
    {
      Kokkos::View<std::int32_t*, Kokkos::HostSpace> next(
          Kokkos::view_alloc("smup::SparseWeights<NM>::t_next", Kokkos::WithoutInitializing), cols);
      Kokkos::deep_copy(next, Kokkos::subview(starts, Kokkos::make_pair(std::int64_t{0}, cols)));
      for (std::int64_t p = 0; p < rows * k_row; ++p)
        entries(next(column(p % k_row, o(p)))++) = static_cast<std::int32_t>(p);
    }

    values_ = WeightValues<Scalar, E>("smup::SparseWeights<NM>::values", rows * k_row);
    offsets_ = Kokkos::create_mirror_view_and_copy(memory_space{}, o);
    t_starts_ = Kokkos::create_mirror_view_and_copy(memory_space{}, starts);
    t_entries_ = Kokkos::create_mirror_view_and_copy(memory_space{}, entries);
  }

  std::int64_t rows_;
  std::int64_t cols_;
  std::int64_t kept_per_row_;
  detail::NmRowOf row_of_;
  WeightValues<Scalar, E> values_;
  offsets_view offsets_;
  index_view t_starts_;
  index_view t_entries_;
};

namespace detail {

template <class E, class Scalar>
void nm_check_gradient_extent(std::int64_t kept, WeightValues<Scalar, E> const& dw) {
  if (static_cast<std::int64_t>(dw.extent(0)) != kept)
    fail("smup::weight_gradient: the gradient has " + std::to_string(dw.extent(0)) +
         " entries but the weights keep " + std::to_string(kept) +
         ". Gradients share the values' compressed layout. Allocate kept() entries.");
}

// ---- Generic path: Kokkos teams, one per output row; threads run along the batch, so
// on GPUs neighbouring threads read neighbouring activations. ------------------------

template <int N, int M, class E, class Scalar>
void nm_forward_generic(SparseWeights<NM<N, M>, E, Scalar> const& w,
                        Activations<Scalar, E> const& x, Activations<Scalar, E> const& y) {
  using W = SparseWeights<NM<N, M>, E, Scalar>;
  using policy = Kokkos::TeamPolicy<E>;
  auto const values = w.values();
  auto const offsets = w.offsets();
  std::int64_t const k_row = w.kept_per_row();
  std::int64_t const batch = static_cast<std::int64_t>(x.extent(1));
  Kokkos::parallel_for(
      "smup::forward<nm>", policy(w.rows(), Kokkos::AUTO),
      KOKKOS_LAMBDA(typename policy::member_type const& team) {
        std::int64_t const r = team.league_rank();
        Kokkos::parallel_for(Kokkos::TeamThreadRange(team, batch), [&](std::int64_t b) {
          Scalar acc = 0;
          for (std::int64_t k = 0; k < k_row; ++k)
            acc += values(r * k_row + k) * x(W::column(k, offsets(r * k_row + k)), b);
          y(r, b) = acc;
        });
      });
}

template <int N, int M, class E, class Scalar>
void nm_backward_data_generic(SparseWeights<NM<N, M>, E, Scalar> const& w,
                              Activations<Scalar, E> const& dy, Activations<Scalar, E> const& dx) {
  using policy = Kokkos::TeamPolicy<E>;
  auto const values = w.values();
  auto const starts = w.transposed_starts();
  auto const entries = w.transposed_entries();
  auto const row_of = w.row_of();
  std::int64_t const batch = static_cast<std::int64_t>(dy.extent(1));
  Kokkos::parallel_for(
      "smup::backward_data<nm>", policy(w.cols(), Kokkos::AUTO),
      KOKKOS_LAMBDA(typename policy::member_type const& team) {
        std::int64_t const c = team.league_rank();
        Kokkos::parallel_for(Kokkos::TeamThreadRange(team, batch), [&](std::int64_t b) {
          Scalar acc = 0;
          for (std::int32_t e = starts(c); e < starts(c + 1); ++e) {
            std::int32_t const p = entries(e);
            acc += values(p) * dy(row_of(p), b);
          }
          dx(c, b) = acc;
        });
      });
}

template <int N, int M, class E, class Scalar>
void nm_weight_gradient_generic(SparseWeights<NM<N, M>, E, Scalar> const& w,
                                Activations<Scalar, E> const& dy, Activations<Scalar, E> const& x,
                                WeightValues<Scalar, E> const& dw) {
  using W = SparseWeights<NM<N, M>, E, Scalar>;
  using policy = Kokkos::TeamPolicy<E>;
  auto const offsets = w.offsets();
  std::int64_t const k_row = w.kept_per_row();
  std::int64_t const batch = static_cast<std::int64_t>(x.extent(1));
  int const lanes = policy::vector_length_max() < 32 ? policy::vector_length_max() : 32;
  Kokkos::parallel_for(
      "smup::weight_gradient<nm>", policy(w.rows(), Kokkos::AUTO, lanes),
      KOKKOS_LAMBDA(typename policy::member_type const& team) {
        std::int64_t const r = team.league_rank();
        Kokkos::parallel_for(Kokkos::TeamThreadRange(team, k_row), [&](std::int64_t k) {
          std::int64_t const c = W::column(k, offsets(r * k_row + k));
          Scalar sum = 0;
          Kokkos::parallel_reduce(
              Kokkos::ThreadVectorRange(team, batch),
              [&](std::int64_t b, Scalar& part) { part += dy(r, b) * x(c, b); }, sum);
          Kokkos::single(Kokkos::PerThread(team), [&] { dw(r * k_row + k) = sum; });
        });
      });
}

#if SMUP_DETAIL_NM_HOST_SIMD

// ---- Host path: 64-byte vectors held in registers, operands packed into panels that
// stay in L1, so each vector load feeds one FMA from L1 instead of L2 or L3. ------------

template <class Scalar> struct NmVec {
  static constexpr int lanes = 64 / static_cast<int>(sizeof(Scalar));
  typedef Scalar type __attribute__((vector_size(64)));
  static type load(Scalar const* p) {
    type v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
  }
  static void store(Scalar* p, type v) { __builtin_memcpy(p, &v, sizeof v); }
  static type splat(Scalar s) { return type{} + s; }
};

/// Vectors per batch chunk of the forward pass: a chunk of one input row is 512 bytes.
inline constexpr int nm_forward_chunk = 8;
/// Backward-data and the gradient hold 16 vectors (a 256-float batch) per chunk: their
/// inner loops carry more bookkeeping per entry, which a longer chunk amortises.
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
                     static_cast<std::size_t>(chunk_vectors * NmVec<Scalar>::lanes) *
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
  using V = NmVec<Scalar>;
  using vec = typename V::type;
  constexpr int width = C * V::lanes;
  for (std::int64_t r = r0; r < r1; ++r) {
    vec acc[C];
    Scalar* yr = y + r * ldy + b0;
#pragma GCC unroll 16
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
#pragma GCC unroll 16
      for (int n = 0; n < N; ++n) {
        vec const wv = V::splat(v[n]);
        Scalar const* xr = xg + o[n] * width;
#pragma GCC unroll 16
        for (int c = 0; c < C; ++c) acc[c] += wv * V::load(xr + c * V::lanes);
      }
    }
#pragma GCC unroll 16
    for (int c = 0; c < C; ++c) V::store(yr + c * V::lanes, acc[c]);
  }
}

template <int N, int M, class E, class Scalar>
void nm_forward_host(SparseWeights<NM<N, M>, E, Scalar> const& w, Activations<Scalar, E> const& x,
                     Activations<Scalar, E> const& y) {
  using V = NmVec<Scalar>;
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
  using V = NmVec<Scalar>;
  using vec = typename V::type;
  constexpr int width = C * V::lanes;
  // Positions below this bound belong to rows below p1.
  auto const bound = static_cast<std::int32_t>(p1 * k_row);
  for (std::int64_t c = c0; c < c1; ++c) {
    vec acc[C];
    Scalar* xr = dx + c * ldx + b0;
#pragma GCC unroll 16
    for (int j = 0; j < C; ++j) acc[j] = first ? vec{} : V::load(xr + j * V::lanes);
    std::int32_t e = cursor[c - c0];
    std::int32_t const end = starts[c + 1];
    for (; e < end; ++e) {
      std::int32_t const p = entries[e];
      if (p >= bound) break;
      vec const wv = V::splat(values[p]);
      Scalar const* dr = dyp + (row_of(p) - p0) * width;
#pragma GCC unroll 16
      for (int j = 0; j < C; ++j) acc[j] += wv * V::load(dr + j * V::lanes);
    }
    cursor[c - c0] = e;
    __builtin_prefetch(entries + e + 16);
#pragma GCC unroll 16
    for (int j = 0; j < C; ++j) V::store(xr + j * V::lanes, acc[j]);
  }
}

template <int N, int M, class E, class Scalar>
void nm_backward_data_host(SparseWeights<NM<N, M>, E, Scalar> const& w,
                           Activations<Scalar, E> const& dy, Activations<Scalar, E> const& dx) {
  using V = NmVec<Scalar>;
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

/// Sums of each of 8 vectors, in order, stored to out (or added to it).
template <class Scalar>
inline void nm_reduce8(typename NmVec<Scalar>::type const (&a)[8], Scalar* out, bool first) {
  using vec = typename NmVec<Scalar>::type;
  Scalar s[8];
  if constexpr (NmVec<Scalar>::lanes == 16) {
    vec h[4], q[2];
    // Halve, interleave and add until lane pairs hold the 8 sums.
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
  } else {
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
  }
  for (int i = 0; i < 8; ++i) out[i] = first ? s[i] : out[i] + s[i];
}

/// dw for rows [r0, r1) and groups [g0, g1), partial sums over batch [b0, b0 + C lanes);
/// the inputs of those groups are packed in xp like nm_forward_tile's.
template <int N, int M, int C, class Scalar>
void nm_gradient_tile(std::uint8_t const* offsets, std::int64_t k_row, std::int64_t r0,
                      std::int64_t r1, std::int64_t g0, std::int64_t g1, Scalar const* xp,
                      Scalar const* dy, std::int64_t ldy, Scalar* dw, std::int64_t b0, bool first) {
  using V = NmVec<Scalar>;
  using vec = typename V::type;
  constexpr int width = C * V::lanes;
  std::int64_t const k0 = g0 * N, k1 = g1 * N;
  for (std::int64_t r = r0; r < r1; ++r) {
    vec d[C];
#pragma GCC unroll 16
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
#pragma GCC unroll 8
      for (int e = 0; e < 8; ++e) {
        xr[e] = input(k + e);
        acc[e] = d[0] * V::load(xr[e]);
      }
#pragma GCC unroll 16
      for (int j = 1; j < C; ++j)
#pragma GCC unroll 8
        for (int e = 0; e < 8; ++e) acc[e] += d[j] * V::load(xr[e] + j * V::lanes);
      nm_reduce8<Scalar>(acc, out + k, first);
    }
    for (; k < k1; ++k) {
      Scalar const* xr = input(k);
      vec acc = d[0] * V::load(xr);
#pragma GCC unroll 16
      for (int j = 1; j < C; ++j) acc += d[j] * V::load(xr + j * V::lanes);
      Scalar s = 0;
      for (int l = 0; l < V::lanes; ++l) s += acc[l];
      out[k] = first ? s : out[k] + s;
    }
  }
}

template <int N, int M, class E, class Scalar>
void nm_weight_gradient_host(SparseWeights<NM<N, M>, E, Scalar> const& w,
                             Activations<Scalar, E> const& dy, Activations<Scalar, E> const& x,
                             WeightValues<Scalar, E> const& dw) {
  using V = NmVec<Scalar>;
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

#endif // SMUP_DETAIL_NM_HOST_SIMD

/// The host path runs where E executes on the host and its memory is host memory.
template <class E> inline constexpr bool nm_use_host_path = SMUP_DETAIL_NM_HOST_SIMD&&
    Kokkos::SpaceAccessibility<Kokkos::HostSpace, typename E::memory_space>::accessible&&
        Kokkos::SpaceAccessibility<E, Kokkos::HostSpace>::accessible;

} // namespace detail

/// y = W x.   x: [cols][batch], y: [rows][batch].
template <int N, int M, class E, class Scalar>
void forward(SparseWeights<NM<N, M>, E, Scalar> const& w, Activations<Scalar, E> const& x,
             Activations<Scalar, E> const& y) {
  detail::check_product_extents("forward", w.rows(), w.cols(), x, y);
#if SMUP_DETAIL_NM_HOST_SIMD
  if constexpr (detail::nm_use_host_path<E>) {
    detail::nm_forward_host(w, x, y);
  } else
#endif
  {
    detail::nm_forward_generic(w, x, y);
  }
}

/// dx = W^T dy.   dy: [rows][batch], dx: [cols][batch].
template <int N, int M, class E, class Scalar>
void backward_data(SparseWeights<NM<N, M>, E, Scalar> const& w, Activations<Scalar, E> const& dy,
                   Activations<Scalar, E> const& dx) {
  detail::check_product_extents("backward_data", w.cols(), w.rows(), dy, dx);
#if SMUP_DETAIL_NM_HOST_SIMD
  if constexpr (detail::nm_use_host_path<E>) {
    detail::nm_backward_data_host(w, dy, dx);
  } else
#endif
  {
    detail::nm_backward_data_generic(w, dy, dx);
  }
}

/// dw = (dy x^T) at kept entries, in values()' layout.
template <int N, int M, class E, class Scalar>
void weight_gradient(SparseWeights<NM<N, M>, E, Scalar> const& w, Activations<Scalar, E> const& dy,
                     Activations<Scalar, E> const& x, WeightValues<Scalar, E> const& dw) {
  detail::check_product_extents("weight_gradient", w.rows(), w.cols(), x, dy);
  detail::nm_check_gradient_extent<E>(w.kept(), dw);
#if SMUP_DETAIL_NM_HOST_SIMD
  if constexpr (detail::nm_use_host_path<E>) {
    detail::nm_weight_gradient_host(w, dy, x, dw);
  } else
#endif
  {
    detail::nm_weight_gradient_generic(w, dy, x, dw);
  }
}

} // namespace smup
