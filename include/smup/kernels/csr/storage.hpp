#pragma once
/// SparseWeights<Unstructured, E, Scalar> and SparseWeights<BalancedUnstructured, E,
/// Scalar>: CSR with 16-bit column indices, plus a transposed map fixed with the mask
/// (the same entries in column order: offsets and 16-bit row indices). backward_data walks
/// that map, so it gathers like forward does and needs no atomics; no permutation is
/// stored, because each row's entries ascend by column: the host kernel keeps a cursor
/// per row, the generic kernel finds an entry's position by binary search in its row.
///
/// A 16-bit index reaches 65536 columns. A wider matrix cuts each row into segments of
/// 65536 columns: row_map() holds rows x column_segments() + 1 offsets, and the entry at
/// k of segment s of row r lies in column s * 65536 + column_indices()(k) (one segment,
/// the usual CSR, whenever cols <= 65536). The transposed map does the same with rows.
/// Index memory is 4 bytes per kept weight plus the offsets, against 4 for the value.
///
///     using E = Kokkos::DefaultExecutionSpace;
///     smup::SparseWeights<smup::Unstructured, E> w(4096, 4096, smup::ratio{1, 16}, 7);

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <Kokkos_Core.hpp>

#include <smup/core/error.hpp>
#include <smup/core/ratio.hpp>
#include <smup/kernels/sparse_weights.hpp>
#include <smup/kernels/views.hpp>
#include <smup/sparsity/unstructured.hpp>
#include <smup/sparsity/unstructured_mask.hpp>

namespace smup {

namespace detail {

template <class Pattern>
concept CsrPattern =
    std::same_as<Pattern, Unstructured> || std::same_as<Pattern, BalancedUnstructured>;

/// Columns (rows, in the transposed map) one 16-bit index segment spans.
inline constexpr std::int64_t csr_segment_span = std::int64_t{1} << 16;

/// Segments a line of `extent` indices is cut into (at least one).
constexpr std::int64_t csr_segments(std::int64_t extent) {
  return std::max<std::int64_t>(1, (extent + csr_segment_span - 1) / csr_segment_span);
}

/// The CSR storage both unstructured patterns share; SparseWeights specialises to it.
template <class Pattern, class E, class Scalar> class CsrWeights {
public:
  using pattern = Pattern;
  using execution_space = E;
  using scalar_type = Scalar;
  using memory_space = typename E::memory_space;
  using size_type = std::size_t;    ///< offsets into the kept entries
  using index_type = std::uint16_t; ///< a column (row, transposed) within its segment
  using RowMap = Kokkos::View<size_type*, memory_space>;
  using Indices = Kokkos::View<index_type*, memory_space>;

  CsrWeights(std::int64_t rows, std::int64_t cols, ratio density, std::uint64_t seed)
      : CsrWeights(unstructured_mask<Pattern>(rows, cols, density, seed)) {}

  /// Storage for a mask made elsewhere (e.g. read from a checkpoint).
  explicit CsrWeights(UnstructuredMask const& mask)
      : rows_(checked_rows(mask)), cols_(mask.cols), col_segments_(csr_segments(cols_)),
        row_segments_(csr_segments(rows_)),
        row_ptr_("smup::SparseWeights<unstructured>::row_map",
                 static_cast<std::size_t>(rows_ * col_segments_ + 1)),
        col_("smup::SparseWeights<unstructured>::column_indices", mask.col_index.size()),
        col_ptr_("smup::SparseWeights<unstructured>::transposed_col_map",
                 static_cast<std::size_t>(cols_ * row_segments_ + 1)),
        t_row_("smup::SparseWeights<unstructured>::transposed_row_indices", mask.col_index.size()),
        values_("smup::SparseWeights<unstructured>::values", mask.col_index.size()) {
    auto h_row_ptr = Kokkos::create_mirror_view(row_ptr_);
    auto h_col = Kokkos::create_mirror_view(col_);
    auto h_col_ptr = Kokkos::create_mirror_view(col_ptr_);
    auto h_t_row = Kokkos::create_mirror_view(t_row_);
    // Row r's segment s starts at its first column >= s * span (columns ascend in a row).
    for (std::int64_t r = 0; r < rows_; ++r) {
      auto k = static_cast<std::size_t>(mask.row_ptr[r]);
      for (std::int64_t s = 0; s < col_segments_; ++s) {
        h_row_ptr(r * col_segments_ + s) = k;
        while (k < static_cast<std::size_t>(mask.row_ptr[r + 1]) &&
               mask.col_index[k] < (s + 1) * csr_segment_span)
          ++k;
      }
    }
    h_row_ptr(rows_ * col_segments_) = mask.col_index.size();
    for (std::size_t k = 0; k < mask.col_index.size(); ++k)
      h_col(k) = static_cast<index_type>(mask.col_index[k] % csr_segment_span);
    // Counting sort by (column, row segment); rows come in ascending order, so each
    // column's entries do too.
    auto const line = [&](std::int64_t c, std::int64_t r) {
      return static_cast<std::size_t>(c * row_segments_ + r / csr_segment_span);
    };
    for (std::size_t i = 0; i < col_ptr_.extent(0); ++i) h_col_ptr(i) = 0;
    for (std::int64_t r = 0; r < rows_; ++r)
      for (auto k = mask.row_ptr[r]; k < mask.row_ptr[r + 1]; ++k)
        ++h_col_ptr(line(mask.col_index[static_cast<std::size_t>(k)], r) + 1);
    for (std::size_t i = 1; i < col_ptr_.extent(0); ++i) h_col_ptr(i) += h_col_ptr(i - 1);
    std::vector<size_type> next(h_col_ptr.data(), h_col_ptr.data() + col_ptr_.extent(0) - 1);
    for (std::int64_t r = 0; r < rows_; ++r)
      for (auto k = mask.row_ptr[r]; k < mask.row_ptr[r + 1]; ++k)
        h_t_row(next[line(mask.col_index[static_cast<std::size_t>(k)], r)]++) =
            static_cast<index_type>(r % csr_segment_span);
    Kokkos::deep_copy(row_ptr_, h_row_ptr);
    Kokkos::deep_copy(col_, h_col);
    Kokkos::deep_copy(col_ptr_, h_col_ptr);
    Kokkos::deep_copy(t_row_, h_t_row);
  }

  [[nodiscard]] std::int64_t rows() const { return rows_; }
  [[nodiscard]] std::int64_t cols() const { return cols_; }
  [[nodiscard]] std::int64_t kept() const { return static_cast<std::int64_t>(values_.extent(0)); }
  [[nodiscard]] double density() const {
    return static_cast<double>(kept()) / (static_cast<double>(rows_) * static_cast<double>(cols_));
  }

  /// Kept weights in CSR (row-major) order; gradients and optimizer state share it.
  [[nodiscard]] WeightValues<Scalar, E> values() const { return values_; }
  /// Offsets of each row's segments (rows() x column_segments() + 1) and each entry's
  /// column within its segment (kept(), ascending in each segment).
  [[nodiscard]] RowMap row_map() const { return row_ptr_; }
  [[nodiscard]] Indices column_indices() const { return col_; }
  [[nodiscard]] std::int64_t column_segments() const { return col_segments_; }
  /// The transposed map: offsets of each column's segments (cols() x row_segments() + 1)
  /// and the row of each entry in column order, within its segment.
  [[nodiscard]] RowMap transposed_col_map() const { return col_ptr_; }
  [[nodiscard]] Indices transposed_row_indices() const { return t_row_; }
  [[nodiscard]] std::int64_t row_segments() const { return row_segments_; }

  [[nodiscard]] std::size_t values_bytes() const { return values_.span() * sizeof(Scalar); }
  [[nodiscard]] std::size_t index_bytes() const {
    return (row_ptr_.span() + col_ptr_.span()) * sizeof(size_type) +
           (col_.span() + t_row_.span()) * sizeof(index_type);
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
  // Runs before any member is allocated.
  static std::int64_t checked_rows(UnstructuredMask const& mask) {
    Pattern::check_shape(mask.rows, mask.cols);
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
      for (std::int64_t s = 0; s < col_segments_; ++s)
        for (auto k = p(r * col_segments_ + s); k < p(r * col_segments_ + s + 1); ++k)
          f(r, s * csr_segment_span + c(k), k);
  }

  std::int64_t rows_;
  std::int64_t cols_;
  std::int64_t col_segments_;
  std::int64_t row_segments_;
  RowMap row_ptr_;
  Indices col_;
  RowMap col_ptr_;
  Indices t_row_;
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

} // namespace smup
