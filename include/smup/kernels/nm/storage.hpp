#pragma once
/// SparseWeights<NM<N, M>, E, Scalar>: N:M weights stored as packed values with 8-bit
/// in-group offsets. Every row keeps exactly cols / M * N weights, so entry k of row r
/// sits at r * kept_per_row() + k and no row pointers are needed; its column is
/// (k / N) * M + offset. A transposed index (per input column, the kept entries that
/// read it, by row) lets backward-data gather instead of scatter, without atomics.
/// The kernels are in nm.hpp.
///
///     smup::SparseWeights<smup::NM<2, 4>> w(/*rows=*/1024, /*cols=*/512, /*seed=*/7);

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>

#include <Kokkos_Core.hpp>

#include <smup/core/diagnostics.hpp>
#include <smup/core/error.hpp>
#include <smup/core/ratio.hpp>
#include <smup/kernels/sparse_weights.hpp>
#include <smup/kernels/views.hpp>
#include <smup/sparsity/nm.hpp>
#include <smup/sparsity/nm_mask.hpp>

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

} // namespace smup
