#pragma once
/// SparseWeights<Dense, E, Scalar>: every weight kept, stored dense row-major, and the
/// three kernels as KokkosBlas::gemm calls, which hand the product to the BLAS library
/// (OpenBLAS, cuBLAS) when Kokkos Kernels has one. The baseline every sparse format is
/// measured against, and the format for layers SmuP keeps dense.
///
///     smup::SparseWeights<smup::Dense> w(/*rows=*/1024, /*cols=*/512, /*seed=*/7);
///     smup::Activations<float, Kokkos::DefaultExecutionSpace> x("x", 512, 256), y("y", 1024, 256);
///     smup::forward(w, x, y);   // y = W x

#include <cstddef>
#include <cstdint>
#include <string>

#include <KokkosBlas3_gemm.hpp>
#include <Kokkos_Core.hpp>

#include <smup/core/diagnostics.hpp>
#include <smup/core/error.hpp>
#include <smup/core/ratio.hpp>
#include <smup/kernels/extents.hpp>
#include <smup/kernels/sparse_weights.hpp>
#include <smup/kernels/views.hpp>
#include <smup/sparsity/dense.hpp>

namespace smup {

template <class E, class Scalar> class SparseWeights<Dense, E, Scalar> {
public:
  using pattern = Dense;
  using execution_space = E;
  using scalar_type = Scalar;

  /// The seed is accepted for a uniform interface: a dense matrix has no mask to draw.
  SparseWeights(std::int64_t rows, std::int64_t cols, std::uint64_t /*seed*/ = 0)
      : rows_(checked(rows, cols)), cols_(cols),
        values_("smup::SparseWeights<Dense>::values", static_cast<std::size_t>(rows * cols)) {}

  /// For code generic over patterns: the density must be Dense's own, 1.
  SparseWeights(std::int64_t rows, std::int64_t cols, ratio density, std::uint64_t seed)
      : SparseWeights(
            (detail::require<SMUP_DIAG_STATIC_DENSITY_MISMATCH>(density == Dense::density), rows),
            cols, seed) {}

  [[nodiscard]] std::int64_t rows() const { return rows_; }
  [[nodiscard]] std::int64_t cols() const { return cols_; }
  [[nodiscard]] std::int64_t kept() const { return rows_ * cols_; }
  [[nodiscard]] double density() const { return 1.0; }

  /// Row-major W: entry (i, j) at i * cols() + j.
  [[nodiscard]] WeightValues<Scalar, E> values() const { return values_; }
  [[nodiscard]] std::size_t values_bytes() const { return values_.span() * sizeof(Scalar); }
  [[nodiscard]] std::size_t index_bytes() const { return 0; }

  [[nodiscard]] Kokkos::View<Scalar**, Kokkos::LayoutRight, Kokkos::HostSpace>
  to_dense_host() const {
    auto const flat = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, values_);
    Kokkos::View<Scalar**, Kokkos::LayoutRight, Kokkos::HostSpace> out(
        "smup::SparseWeights<Dense>::dense", rows_, cols_);
    for (std::int64_t i = 0; i < rows_; ++i)
      for (std::int64_t j = 0; j < cols_; ++j) out(i, j) = flat(i * cols_ + j);
    return out;
  }

  [[nodiscard]] Kokkos::View<bool**, Kokkos::LayoutRight, Kokkos::HostSpace> mask_host() const {
    Kokkos::View<bool**, Kokkos::LayoutRight, Kokkos::HostSpace> out(
        Kokkos::view_alloc("smup::SparseWeights<Dense>::mask", Kokkos::WithoutInitializing), rows_,
        cols_);
    Kokkos::deep_copy(out, true);
    return out;
  }

private:
  // Runs before any member is allocated, so a bad shape allocates nothing.
  static std::int64_t checked(std::int64_t rows, std::int64_t cols) {
    Dense::check_shape(rows, cols);
    return rows;
  }

  std::int64_t rows_;
  std::int64_t cols_;
  WeightValues<Scalar, E> values_;
};

namespace detail {

// Every operand of one gemm call shares one device type, E's: Kokkos Kernels picks its
// BLAS specialisation only when all three match, and E is where the product should run.
template <class Scalar, class E> using GemmMatrix =
    Kokkos::View<Scalar**, Kokkos::LayoutRight, Kokkos::Device<E, typename E::memory_space>,
                 Kokkos::MemoryTraits<Kokkos::Unmanaged>>;

template <class E, class Scalar>
GemmMatrix<Scalar const, E> dense_matrix(SparseWeights<Dense, E, Scalar> const& w) {
  return GemmMatrix<Scalar const, E>(w.values().data(), static_cast<std::size_t>(w.rows()),
                                     static_cast<std::size_t>(w.cols()));
}

} // namespace detail

/// y = W x.   x: [cols][batch], y: [rows][batch].
template <class E, class Scalar> void forward(SparseWeights<Dense, E, Scalar> const& w,
                                              Activations<Scalar, E> const& x,
                                              Activations<Scalar, E> const& y) {
  detail::check_product_extents("forward", w.rows(), w.cols(), x, y);
  detail::GemmMatrix<Scalar const, E> const in = x;
  detail::GemmMatrix<Scalar, E> const out = y;
  KokkosBlas::gemm("N", "N", Scalar{1}, detail::dense_matrix(w), in, Scalar{0}, out);
}

/// dx = W^T dy.   dy: [rows][batch], dx: [cols][batch].
template <class E, class Scalar> void backward_data(SparseWeights<Dense, E, Scalar> const& w,
                                                    Activations<Scalar, E> const& dy,
                                                    Activations<Scalar, E> const& dx) {
  detail::check_product_extents("backward_data", w.cols(), w.rows(), dy, dx);
  detail::GemmMatrix<Scalar const, E> const in = dy;
  detail::GemmMatrix<Scalar, E> const out = dx;
  KokkosBlas::gemm("T", "N", Scalar{1}, detail::dense_matrix(w), in, Scalar{0}, out);
}

/// dw = dy x^T, row-major like values(): every entry is kept, so nothing is masked.
template <class E, class Scalar>
void weight_gradient(SparseWeights<Dense, E, Scalar> const& w, Activations<Scalar, E> const& dy,
                     Activations<Scalar, E> const& x, WeightValues<Scalar, E> const& dw) {
  detail::check_product_extents("weight_gradient", w.rows(), w.cols(), x, dy);
  if (static_cast<std::int64_t>(dw.extent(0)) != w.kept())
    detail::fail("smup::weight_gradient: the gradient has " + std::to_string(dw.extent(0)) +
                 " entries but the weights keep " + std::to_string(w.kept()) +
                 ". Gradients share the values' compressed layout. Allocate kept() entries.");
  detail::GemmMatrix<Scalar const, E> const lhs = dy;
  detail::GemmMatrix<Scalar const, E> const rhs = x;
  detail::GemmMatrix<Scalar, E> const out(dw.data(), static_cast<std::size_t>(w.rows()),
                                          static_cast<std::size_t>(w.cols()));
  KokkosBlas::gemm("N", "T", Scalar{1}, lhs, rhs, Scalar{0}, out);
}

} // namespace smup
