#pragma once
/// SparseWeights<Unstructured, E, Scalar> and SparseWeights<BalancedUnstructured, E,
/// Scalar>: CSR (row offsets, column indices, values in row order) plus a transposed
/// map fixed with the mask: the same entries in column order (CSC offsets, their row
/// indices, and each one's position in values()). backward_data walks that map, so it
/// gathers like forward does and needs no atomics. The kernels are in csr.hpp.
///
///     using E = Kokkos::DefaultExecutionSpace;
///     smup::SparseWeights<smup::Unstructured, E> w(4096, 4096, smup::ratio{1, 16}, 7);
///     // Kokkos Kernels on the same matrix, sharing its arrays:
///     // KokkosSparse::CrsMatrix<float, int, E::device_type, void, std::size_t> a(
///     //     "w", w.rows(), w.cols(), w.kept(), w.values(), w.row_map(), w.column_indices());

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
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

} // namespace smup
