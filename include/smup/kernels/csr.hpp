#pragma once
/// SparseWeights<Unstructured, E, Scalar> and SparseWeights<BalancedUnstructured, E,
/// Scalar>: CSR (row offsets, column indices, values in row order) plus a transposed
/// map fixed with the mask: the same entries in column order (CSC offsets, their row
/// indices, and each one's position in values()). backward_data walks that map, so it
/// gathers like forward does and needs no atomics.
///
///     using E = Kokkos::DefaultExecutionSpace;
///     smup::SparseWeights<smup::Unstructured, E> w(4096, 4096, smup::ratio{1, 16}, 7);
///     smup::Activations<float, E> x("x", 4096, 256), y("y", 4096, 256);
///     smup::forward(w, x, y);   // y = W x
///     // Kokkos Kernels on the same matrix, sharing its arrays:
///     // KokkosSparse::CrsMatrix<float, int, E::device_type, void, std::size_t> a(
///     //     "w", w.rows(), w.cols(), w.kept(), w.values(), w.row_map(), w.column_indices());
///
/// Kernels: on host execution spaces a cache-blocked path (the fan-in is cut into
/// panels whose activations stay in L2, the batch into tiles held in vector registers)
/// runs through Kokkos on E's threads; elsewhere a team-policy path (a team per output
/// row, its threads across the batch). detail::csr_generic_* reach the latter anywhere.

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include <Kokkos_Core.hpp>

#include <smup/core/error.hpp>
#include <smup/core/ratio.hpp>
#include <smup/kernels/extents.hpp>
#include <smup/kernels/sparse_weights.hpp>
#include <smup/kernels/views.hpp>
#include <smup/sparsity/unstructured.hpp>
#include <smup/sparsity/unstructured_mask.hpp>

namespace smup {

namespace detail {

template <class Pattern>
concept CsrPattern =
    std::same_as<Pattern, Unstructured> || std::same_as<Pattern, BalancedUnstructured>;

/// The CSR storage both unstructured patterns share; SparseWeights specialises to it.
template <class Pattern, class E, class Scalar> class CsrWeights {
public:
  using pattern = Pattern;
  using execution_space = E;
  using scalar_type = Scalar;
  using memory_space = typename E::memory_space;
  using size_type = std::size_t;     ///< offsets (KokkosSparse::CrsMatrix's default size_type)
  using ordinal_type = std::int32_t; ///< row and column indices, positions in the transposed map
  using RowMap = Kokkos::View<size_type*, memory_space>;
  using Indices = Kokkos::View<ordinal_type*, memory_space>;

  CsrWeights(std::int64_t rows, std::int64_t cols, ratio density, std::uint64_t seed)
      : CsrWeights(unstructured_mask<Pattern>(rows, cols, density, seed)) {}

  /// Storage for a mask made elsewhere (e.g. read from a checkpoint).
  explicit CsrWeights(UnstructuredMask const& mask)
      : rows_(checked_rows(mask)), cols_(mask.cols),
        row_ptr_("smup::SparseWeights<unstructured>::row_map", static_cast<std::size_t>(rows_ + 1)),
        col_("smup::SparseWeights<unstructured>::column_indices", mask.col_index.size()),
        col_ptr_("smup::SparseWeights<unstructured>::transposed_col_map",
                 static_cast<std::size_t>(cols_ + 1)),
        t_row_("smup::SparseWeights<unstructured>::transposed_row_indices", mask.col_index.size()),
        t_perm_("smup::SparseWeights<unstructured>::transposed_permutation", mask.col_index.size()),
        values_("smup::SparseWeights<unstructured>::values", mask.col_index.size()) {
    auto h_row_ptr = Kokkos::create_mirror_view(row_ptr_);
    auto h_col = Kokkos::create_mirror_view(col_);
    auto h_col_ptr = Kokkos::create_mirror_view(col_ptr_);
    auto h_t_row = Kokkos::create_mirror_view(t_row_);
    auto h_t_perm = Kokkos::create_mirror_view(t_perm_);
    for (std::int64_t r = 0; r <= rows_; ++r)
      h_row_ptr(r) = static_cast<size_type>(mask.row_ptr[r]);
    for (std::size_t k = 0; k < mask.col_index.size(); ++k) h_col(k) = mask.col_index[k];
    // Counting sort by column; rows come in ascending order, so each column's entries do too.
    for (std::int64_t c = 0; c <= cols_; ++c) h_col_ptr(c) = 0;
    for (auto const c : mask.col_index) ++h_col_ptr(static_cast<std::size_t>(c) + 1);
    for (std::int64_t c = 0; c < cols_; ++c) h_col_ptr(c + 1) += h_col_ptr(c);
    std::vector<size_type> next(h_col_ptr.data(), h_col_ptr.data() + cols_);
    for (std::int64_t r = 0; r < rows_; ++r)
      for (auto k = h_row_ptr(r); k < h_row_ptr(r + 1); ++k) {
        auto const slot = next[static_cast<std::size_t>(h_col(k))]++;
        h_t_row(slot) = static_cast<ordinal_type>(r);
        h_t_perm(slot) = static_cast<ordinal_type>(k);
      }
    Kokkos::deep_copy(row_ptr_, h_row_ptr);
    Kokkos::deep_copy(col_, h_col);
    Kokkos::deep_copy(col_ptr_, h_col_ptr);
    Kokkos::deep_copy(t_row_, h_t_row);
    Kokkos::deep_copy(t_perm_, h_t_perm);
  }

  [[nodiscard]] std::int64_t rows() const { return rows_; }
  [[nodiscard]] std::int64_t cols() const { return cols_; }
  [[nodiscard]] std::int64_t kept() const { return static_cast<std::int64_t>(values_.extent(0)); }
  [[nodiscard]] double density() const {
    return static_cast<double>(kept()) / (static_cast<double>(rows_) * static_cast<double>(cols_));
  }

  /// Kept weights in CSR (row-major) order; gradients and optimizer state share it.
  [[nodiscard]] WeightValues<Scalar, E> values() const { return values_; }
  /// CSR row offsets (rows() + 1), column indices (kept(), ascending in each row).
  [[nodiscard]] RowMap row_map() const { return row_ptr_; }
  [[nodiscard]] Indices column_indices() const { return col_; }
  /// The transposed map: CSC offsets (cols() + 1), the row of each entry in column
  /// order, and its position in values().
  [[nodiscard]] RowMap transposed_col_map() const { return col_ptr_; }
  [[nodiscard]] Indices transposed_row_indices() const { return t_row_; }
  [[nodiscard]] Indices transposed_permutation() const { return t_perm_; }

  [[nodiscard]] std::size_t values_bytes() const { return values_.span() * sizeof(Scalar); }
  [[nodiscard]] std::size_t index_bytes() const {
    return (row_ptr_.span() + col_ptr_.span()) * sizeof(size_type) +
           (col_.span() + t_row_.span() + t_perm_.span()) * sizeof(ordinal_type);
  }

  [[nodiscard]] Kokkos::View<Scalar**, Kokkos::LayoutRight, Kokkos::HostSpace>
  to_dense_host() const {
    Kokkos::View<Scalar**, Kokkos::LayoutRight, Kokkos::HostSpace> out(
        "smup::SparseWeights<unstructured>::dense", rows_, cols_);
    auto const v = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, values_);
    for_each_host([&](std::int64_t r, std::int64_t c, std::size_t k) { out(r, c) = v(k); });
    return out;
  }

  [[nodiscard]] Kokkos::View<bool**, Kokkos::LayoutRight, Kokkos::HostSpace> mask_host() const {
    Kokkos::View<bool**, Kokkos::LayoutRight, Kokkos::HostSpace> out(
        "smup::SparseWeights<unstructured>::mask", rows_, cols_);
    for_each_host([&](std::int64_t r, std::int64_t c, std::size_t) { out(r, c) = true; });
    return out;
  }

private:
  // Runs before any member is allocated. Indices are 32-bit to keep index memory small.
  static std::int64_t checked_rows(UnstructuredMask const& mask) {
    Pattern::check_shape(mask.rows, mask.cols);
    constexpr auto limit = std::numeric_limits<ordinal_type>::max();
    if (mask.rows > limit || mask.cols > limit || mask.kept() > limit)
      fail("smup::SparseWeights: unstructured storage indexes rows, columns and kept weights "
           "with 32-bit integers, and this matrix (" +
           std::to_string(mask.rows) + " x " + std::to_string(mask.cols) + ", " +
           std::to_string(mask.kept()) +
           " kept) exceeds that. Split the layer or lower its density.");
    if (!well_formed(mask))
      fail("smup::SparseWeights: the mask is not well-formed CSR. row_ptr needs rows + 1 "
           "non-decreasing offsets from 0 to the number of column indices, and each row's "
           "columns must ascend within [0, cols). Build masks with smup::unstructured_mask.");
    return mask.rows;
  }

  static bool well_formed(UnstructuredMask const& m) {
    if (m.row_ptr.size() != static_cast<std::size_t>(m.rows) + 1 || m.row_ptr.front() != 0 ||
        m.row_ptr.back() != m.kept())
      return false;
    for (std::int64_t r = 0; r < m.rows; ++r) {
      if (m.row_ptr[r + 1] < m.row_ptr[r]) return false;
      for (auto k = m.row_ptr[r]; k < m.row_ptr[r + 1]; ++k) {
        auto const c = m.col_index[static_cast<std::size_t>(k)];
        if (c < 0 || c >= m.cols) return false;
        if (k > m.row_ptr[r] && m.col_index[static_cast<std::size_t>(k) - 1] >= c) return false;
      }
    }
    return true;
  }

  template <class F> void for_each_host(F&& f) const {
    auto const p = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, row_ptr_);
    auto const c = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, col_);
    for (std::int64_t r = 0; r < rows_; ++r)
      for (auto k = p(r); k < p(r + 1); ++k) f(r, static_cast<std::int64_t>(c(k)), k);
  }

  std::int64_t rows_;
  std::int64_t cols_;
  RowMap row_ptr_;
  Indices col_;
  RowMap col_ptr_;
  Indices t_row_;
  Indices t_perm_;
  WeightValues<Scalar, E> values_;
};

} // namespace detail

/// Bernoulli(rho) unstructured weights in CSR; see the top of this header.
template <class E, class Scalar> class SparseWeights<Unstructured, E, Scalar>
    : public detail::CsrWeights<Unstructured, E, Scalar> {
public:
  using detail::CsrWeights<Unstructured, E, Scalar>::CsrWeights;
};

/// Row-balanced unstructured weights (round(rho * cols) per row) in CSR.
template <class E, class Scalar> class SparseWeights<BalancedUnstructured, E, Scalar>
    : public detail::CsrWeights<BalancedUnstructured, E, Scalar> {
public:
  using detail::CsrWeights<BalancedUnstructured, E, Scalar>::CsrWeights;
};

namespace detail {

// ---- generic path: any execution space ------------------------------------------------

/// out = A in, where A is W (Transposed = false: CSR) or W^T (true: the transposed map).
template <bool Transposed, class W, class In, class Out>
void csr_generic_product(W const& w, In const& in, Out const& out) {
  using E = typename W::execution_space;
  using Scalar = typename W::scalar_type;
  using Team = typename Kokkos::TeamPolicy<E>::member_type;
  auto const ptr = Transposed ? w.transposed_col_map() : w.row_map();
  auto const idx = Transposed ? w.transposed_row_indices() : w.column_indices();
  auto const perm = w.transposed_permutation();
  auto const val = w.values();
  auto const batch = static_cast<std::int64_t>(in.extent(1));
  auto const n = static_cast<std::int64_t>(out.extent(0));
  Kokkos::parallel_for(
      Transposed ? "smup::backward_data<unstructured>" : "smup::forward<unstructured>",
      Kokkos::TeamPolicy<E>(n, Kokkos::AUTO), KOKKOS_LAMBDA(Team const& team) {
        auto const r = team.league_rank();
        auto const first = ptr(r), last = ptr(r + 1);
        Kokkos::parallel_for(Kokkos::TeamThreadRange(team, batch), [&](std::int64_t b) {
          Scalar acc = 0;
          for (auto k = first; k < last; ++k) {
            if constexpr (Transposed)
              acc += val(perm(k)) * in(idx(k), b);
            else
              acc += val(k) * in(idx(k), b);
          }
          out(r, b) = acc;
        });
      });
}

template <class W, class DY, class X, class DW>
void csr_generic_weight_gradient(W const& w, DY const& dy, X const& x, DW const& dw) {
  using E = typename W::execution_space;
  using Scalar = typename W::scalar_type;
  using Team = typename Kokkos::TeamPolicy<E>::member_type;
  auto const ptr = w.row_map();
  auto const col = w.column_indices();
  auto const batch = static_cast<std::int64_t>(x.extent(1));
  Kokkos::parallel_for(
      "smup::weight_gradient<unstructured>", Kokkos::TeamPolicy<E>(w.rows(), Kokkos::AUTO),
      KOKKOS_LAMBDA(Team const& team) {
        auto const r = team.league_rank();
        Kokkos::parallel_for(Kokkos::TeamThreadRange(team, ptr(r), ptr(r + 1)), [&](auto k) {
          Scalar s = 0;
          Kokkos::parallel_reduce(
              Kokkos::ThreadVectorRange(team, batch),
              [&](std::int64_t b, Scalar& acc) { acc += dy(r, b) * x(col(k), b); }, s);
          Kokkos::single(Kokkos::PerThread(team), [&] { dw(k) = s; });
        });
      });
}

template <class W, class X, class Y> void csr_generic_forward(W const& w, X const& x, Y const& y) {
  csr_generic_product<false>(w, x, y);
}
template <class W, class DY, class DX>
void csr_generic_backward_data(W const& w, DY const& dy, DX const& dx) {
  csr_generic_product<true>(w, dy, dx);
}

// ---- host path: cache blocking and register tiles --------------------------------------

/// E runs on the host and its memory is host memory (OpenMP, Serial, Threads; not a GPU
/// space even with host-accessible UVM memory).
template <class E> inline constexpr bool runs_on_host =
    (Kokkos::SpaceAccessibility<E, Kokkos::HostSpace>::accessible &&
     Kokkos::SpaceAccessibility<Kokkos::HostSpace, typename E::memory_space>::accessible);

// GCC/Clang vector extensions; device compilers keep the scalar loops of the host path.
#if defined(__GNUC__) && !defined(__CUDACC__) && !defined(__HIPCC__)
#define SMUP_CSR_HOST_VECTORS 1
#if defined(__AVX512F__)
inline constexpr int host_vector_bytes = 64;
inline constexpr int host_tile_vectors = 16; // of 32 registers: 16 accumulate, the rest stream
#elif defined(__AVX__)
inline constexpr int host_vector_bytes = 32;
inline constexpr int host_tile_vectors = 8; // of 16 registers
#else
inline constexpr int host_vector_bytes = 16;
inline constexpr int host_tile_vectors = 8;
#endif
template <class Scalar> struct HostVector {
  typedef Scalar type __attribute__((vector_size(host_vector_bytes)));
};

// The panel of activations a kernel revisits (panel rows x tile width) is sized to stay
// in a core's L2 with room for the streamed operands.
inline constexpr std::size_t host_panel_bytes = std::size_t{256} << 10;

template <class Scalar, int Bytes> struct HostVectorOf {
  typedef Scalar type __attribute__((vector_size(Bytes)));
};

/// Sum of the lanes as a tree of half-width adds (log2(lanes) steps, not lanes).
template <class Scalar, int Bytes = host_vector_bytes>
Scalar horizontal_sum(typename HostVectorOf<Scalar, Bytes>::type v) {
  if constexpr (Bytes == 2 * sizeof(Scalar)) {
    return v[0] + v[1];
  } else {
    typename HostVectorOf<Scalar, Bytes / 2>::type lo, hi;
    __builtin_memcpy(&lo, &v, Bytes / 2);
    __builtin_memcpy(&hi, reinterpret_cast<char const*>(&v) + Bytes / 2, Bytes / 2);
    return horizontal_sum<Scalar, Bytes / 2>(lo + hi);
  }
}

#endif

/// Raw pointers and extents one host kernel call works on.
template <class Scalar> struct HostCsr {
  std::size_t const* ptr;   // offsets of the walked side (CSR rows or CSC columns)
  std::int32_t const* idx;  // the other index of each entry
  std::int32_t const* perm; // position in val, or null for CSR order
  Scalar const* val;
  std::int64_t inner; // extent of the gathered side (cut into panels)
};

#if defined(SMUP_CSR_HOST_VECTORS)

/// out[r][b0 : b0 + NV * lanes] = sum_k val(k) in[idx(k)][...] for r in [r0, r1),
/// panel by panel over the gathered rows of `in`.
template <int NV, bool Permuted, class Scalar>
void host_product_tile(HostCsr<Scalar> const& a, std::int64_t r0, std::int64_t r1, Scalar const* in,
                       std::size_t ld_in, Scalar* out, std::size_t ld_out, std::int64_t b0,
                       std::size_t* cursor) {
  using V = typename HostVector<Scalar>::type;
  constexpr std::int64_t lanes = sizeof(V) / sizeof(Scalar);
  auto const panel =
      std::max<std::int64_t>(16, static_cast<std::int64_t>(host_panel_bytes / (NV * sizeof(V))));
  for (std::int64_t r = r0; r < r1; ++r) cursor[r - r0] = a.ptr[r];
  for (std::int64_t p0 = 0; p0 < a.inner; p0 += panel) {
    auto const p1 = static_cast<std::int32_t>(std::min(a.inner, p0 + panel));
    for (std::int64_t r = r0; r < r1; ++r) {
      auto k = cursor[r - r0];
      auto const end = a.ptr[r + 1];
      Scalar* o = out + static_cast<std::size_t>(r) * ld_out + b0;
      V acc[NV];
      if (p0 == 0) {
        for (int j = 0; j < NV; ++j) acc[j] = V{};
      } else {
        if (k == end || a.idx[k] >= p1) continue;
        for (int j = 0; j < NV; ++j) __builtin_memcpy(&acc[j], o + j * lanes, sizeof(V));
      }
      for (; k < end && a.idx[k] < p1; ++k) {
        Scalar const wk = Permuted ? a.val[a.perm[k]] : a.val[k];
        Scalar const* x = in + static_cast<std::size_t>(a.idx[k]) * ld_in + b0;
#pragma GCC unroll 16
        for (int j = 0; j < NV; ++j) {
          V xv;
          __builtin_memcpy(&xv, x + j * lanes, sizeof(V));
          acc[j] += wk * xv;
        }
      }
      cursor[r - r0] = k;
      for (int j = 0; j < NV; ++j) __builtin_memcpy(o + j * lanes, &acc[j], sizeof(V));
    }
  }
}

/// dw(k) (+)= dy[r][b0 : ...] . x[col(k)][b0 : ...] for the entries of rows [r0, r1).
template <int NV, class Scalar>
void host_gradient_tile(HostCsr<Scalar> const& a, std::int64_t r0, std::int64_t r1,
                        Scalar const* dy, std::size_t ld_dy, Scalar const* x, std::size_t ld_x,
                        Scalar* dw, std::int64_t b0, bool accumulate, std::size_t* cursor) {
  using V = typename HostVector<Scalar>::type;
  constexpr std::int64_t lanes = sizeof(V) / sizeof(Scalar);
  auto const panel =
      std::max<std::int64_t>(16, static_cast<std::int64_t>(host_panel_bytes / (NV * sizeof(V))));
  for (std::int64_t r = r0; r < r1; ++r) cursor[r - r0] = a.ptr[r];
  for (std::int64_t p0 = 0; p0 < a.inner; p0 += panel) {
    auto const p1 = static_cast<std::int32_t>(std::min(a.inner, p0 + panel));
    for (std::int64_t r = r0; r < r1; ++r) {
      auto k = cursor[r - r0];
      auto const end = a.ptr[r + 1];
      if (k == end || a.idx[k] >= p1) continue;
      Scalar const* d = dy + static_cast<std::size_t>(r) * ld_dy + b0;
      V dv[NV];
      for (int j = 0; j < NV; ++j) __builtin_memcpy(&dv[j], d + j * lanes, sizeof(V));
      for (; k < end && a.idx[k] < p1; ++k) {
        Scalar const* xr = x + static_cast<std::size_t>(a.idx[k]) * ld_x + b0;
        // Two chains halve the dependent-FMA latency of one long dot product.
        V s0{}, s1{};
#pragma GCC unroll 16
        for (int j = 0; j < NV; ++j) {
          V xv;
          __builtin_memcpy(&xv, xr + j * lanes, sizeof(V));
          if (j % 2 == 0)
            s0 += dv[j] * xv;
          else
            s1 += dv[j] * xv;
        }
        Scalar const s = horizontal_sum<Scalar>(s0 + s1);
        dw[k] = accumulate ? dw[k] + s : s;
      }
      cursor[r - r0] = k;
    }
  }
}
#endif

/// Rows [0, n) cut into `parts` ranges of about equal kept entries.
inline std::vector<std::int64_t> balanced_ranges(std::size_t const* ptr, std::int64_t n,
                                                 int parts) {
  std::vector<std::int64_t> bounds(static_cast<std::size_t>(parts) + 1, n);
  bounds[0] = 0;
  auto const total = ptr[n];
  for (int t = 1; t < parts; ++t) {
    auto const target = total * static_cast<std::size_t>(t) / static_cast<std::size_t>(parts);
    bounds[static_cast<std::size_t>(t)] = std::lower_bound(ptr, ptr + n + 1, target) - ptr;
  }
  for (int t = 1; t <= parts; ++t)
    bounds[static_cast<std::size_t>(t)] =
        std::max(bounds[static_cast<std::size_t>(t)], bounds[static_cast<std::size_t>(t) - 1]);
  return bounds;
}

/// One Kokkos work item per thread of E, each owning a range of output rows.
template <class E, class F>
void host_parallel_rows(std::size_t const* ptr, std::int64_t n, char const* label, F const& f) {
  int const parts = std::max(1, E().concurrency());
  auto const bounds = balanced_ranges(ptr, n, parts);
  Kokkos::parallel_for(label, Kokkos::RangePolicy<E, Kokkos::Schedule<Kokkos::Static>>(0, parts),
                       [=](int t) {
                         auto const r0 = bounds[static_cast<std::size_t>(t)];
                         auto const r1 = bounds[static_cast<std::size_t>(t) + 1];
                         if (r0 < r1) f(r0, r1);
                       });
}

template <class E, bool Permuted, class Scalar>
void host_product(HostCsr<Scalar> const& a, std::int64_t n, Scalar const* in, std::size_t ld_in,
                  Scalar* out, std::size_t ld_out, std::int64_t batch, char const* label) {
  host_parallel_rows<E>(a.ptr, n, label, [=](std::int64_t r0, std::int64_t r1) {
    std::int64_t b = 0;
#if defined(SMUP_CSR_HOST_VECTORS)
    using V = typename HostVector<Scalar>::type;
    constexpr std::int64_t lanes = sizeof(V) / sizeof(Scalar);
    std::vector<std::size_t> cursor(static_cast<std::size_t>(r1 - r0));
    for (; b + host_tile_vectors * lanes <= batch; b += host_tile_vectors * lanes)
      host_product_tile<host_tile_vectors, Permuted>(a, r0, r1, in, ld_in, out, ld_out, b,
                                                     cursor.data());
    for (; b + 4 * lanes <= batch; b += 4 * lanes)
      host_product_tile<4, Permuted>(a, r0, r1, in, ld_in, out, ld_out, b, cursor.data());
    for (; b + lanes <= batch; b += lanes)
      host_product_tile<1, Permuted>(a, r0, r1, in, ld_in, out, ld_out, b, cursor.data());
#endif
    if (b == batch) return;
    // The last lanes of a batch that is not a multiple of the vector width.
    for (std::int64_t r = r0; r < r1; ++r)
      for (std::int64_t bt = b; bt < batch; ++bt) {
        Scalar acc = 0;
        for (auto k = a.ptr[r]; k < a.ptr[r + 1]; ++k)
          acc += (Permuted ? a.val[a.perm[k]] : a.val[k]) *
                 in[static_cast<std::size_t>(a.idx[k]) * ld_in + static_cast<std::size_t>(bt)];
        out[static_cast<std::size_t>(r) * ld_out + static_cast<std::size_t>(bt)] = acc;
      }
  });
}

template <class E, class Scalar> void host_weight_gradient(HostCsr<Scalar> const& a, std::int64_t n,
                                                           Scalar const* dy, std::size_t ld_dy,
                                                           Scalar const* x, std::size_t ld_x,
                                                           Scalar* dw, std::int64_t batch) {
  host_parallel_rows<E>(
      a.ptr, n, "smup::weight_gradient<unstructured>", [=](std::int64_t r0, std::int64_t r1) {
        std::int64_t b = 0;
#if defined(SMUP_CSR_HOST_VECTORS)
        using V = typename HostVector<Scalar>::type;
        constexpr std::int64_t lanes = sizeof(V) / sizeof(Scalar);
        std::vector<std::size_t> cursor(static_cast<std::size_t>(r1 - r0));
        for (; b + host_tile_vectors * lanes <= batch; b += host_tile_vectors * lanes)
          host_gradient_tile<host_tile_vectors>(a, r0, r1, dy, ld_dy, x, ld_x, dw, b, b != 0,
                                                cursor.data());
        for (; b + 4 * lanes <= batch; b += 4 * lanes)
          host_gradient_tile<4>(a, r0, r1, dy, ld_dy, x, ld_x, dw, b, b != 0, cursor.data());
        for (; b + lanes <= batch; b += lanes)
          host_gradient_tile<1>(a, r0, r1, dy, ld_dy, x, ld_x, dw, b, b != 0, cursor.data());
#endif
        if (b == batch && b != 0) return;
        for (std::int64_t r = r0; r < r1; ++r)
          for (auto k = a.ptr[r]; k < a.ptr[r + 1]; ++k) {
            Scalar s = b == 0 ? Scalar{0} : dw[k];
            for (std::int64_t bt = b; bt < batch; ++bt)
              s += dy[static_cast<std::size_t>(r) * ld_dy + static_cast<std::size_t>(bt)] *
                   x[static_cast<std::size_t>(a.idx[k]) * ld_x + static_cast<std::size_t>(bt)];
            dw[k] = s;
          }
      });
}

template <class P, class E, class Scalar>
HostCsr<Scalar> host_csr(CsrWeights<P, E, Scalar> const& w, bool transposed) {
  if (transposed)
    return {w.transposed_col_map().data(), w.transposed_row_indices().data(),
            w.transposed_permutation().data(), w.values().data(), w.rows()};
  return {w.row_map().data(), w.column_indices().data(), nullptr, w.values().data(), w.cols()};
}

inline void check_gradient_extent(std::int64_t entries, std::int64_t kept) {
  if (entries != kept)
    fail("smup::weight_gradient: the gradient has " + std::to_string(entries) +
         " entries but the weights keep " + std::to_string(kept) +
         ". Gradients share the values' compressed layout. Allocate kept() entries.");
}

} // namespace detail

/// y = W x.   x: [cols][batch], y: [rows][batch].
template <detail::CsrPattern P, class E, class Scalar>
void forward(SparseWeights<P, E, Scalar> const& w, Activations<Scalar, E> const& x,
             Activations<Scalar, E> const& y) {
  detail::check_product_extents("forward", w.rows(), w.cols(), x, y);
  if constexpr (detail::runs_on_host<E>)
    detail::host_product<E, false>(detail::host_csr(w, false), w.rows(), x.data(), x.stride(0),
                                   y.data(), y.stride(0), static_cast<std::int64_t>(x.extent(1)),
                                   "smup::forward<unstructured>");
  else
    detail::csr_generic_forward(w, x, y);
}

/// dx = W^T dy through the transposed map (a gather per input feature, no atomics).
template <detail::CsrPattern P, class E, class Scalar>
void backward_data(SparseWeights<P, E, Scalar> const& w, Activations<Scalar, E> const& dy,
                   Activations<Scalar, E> const& dx) {
  detail::check_product_extents("backward_data", w.cols(), w.rows(), dy, dx);
  if constexpr (detail::runs_on_host<E>)
    detail::host_product<E, true>(detail::host_csr(w, true), w.cols(), dy.data(), dy.stride(0),
                                  dx.data(), dx.stride(0), static_cast<std::int64_t>(dy.extent(1)),
                                  "smup::backward_data<unstructured>");
  else
    detail::csr_generic_backward_data(w, dy, dx);
}

/// dw(k) = dy[row(k)] . x[col(k)] for each kept entry k, in values() order.
template <detail::CsrPattern P, class E, class Scalar>
void weight_gradient(SparseWeights<P, E, Scalar> const& w, Activations<Scalar, E> const& dy,
                     Activations<Scalar, E> const& x, WeightValues<Scalar, E> const& dw) {
  detail::check_product_extents("weight_gradient", w.rows(), w.cols(), x, dy);
  detail::check_gradient_extent(static_cast<std::int64_t>(dw.extent(0)), w.kept());
  if constexpr (detail::runs_on_host<E>)
    detail::host_weight_gradient<E>(detail::host_csr(w, false), w.rows(), dy.data(), dy.stride(0),
                                    x.data(), x.stride(0), dw.data(),
                                    static_cast<std::int64_t>(x.extent(1)));
  else
    detail::csr_generic_weight_gradient(w, dy, x, dw);
}

} // namespace smup
