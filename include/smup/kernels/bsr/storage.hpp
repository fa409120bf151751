#pragma once
/// SparseWeights<Block<R, C>, E, Scalar>: block compressed sparse rows (BSR). Kept
/// R x C blocks are stored dense and row-major, block after block in block-row
/// order, indexed by block-row pointers and block-column indices; a transposed
/// block map (block-column pointers, with each block's row and position) lets
/// backward-data gather per input feature instead of scattering with atomics.
/// The mask is fixed at construction (see smup/sparsity/block_mask.hpp). The kernels
/// are in bsr.hpp.
///
///     smup::SparseWeights<smup::Block<32, 32>, Kokkos::DefaultExecutionSpace, float> w(
///         4096, 4096, smup::ratio{1, 8}, /*seed=*/7);

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include <Kokkos_Core.hpp>

#include <smup/core/error.hpp>
#include <smup/core/ratio.hpp>
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

} // namespace smup
