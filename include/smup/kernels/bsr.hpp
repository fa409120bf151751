#pragma once
/// The block-sparse (BSR) kernels users call, for SparseWeights<Block<R, C>, E, Scalar>
/// (storage: bsr/storage.hpp).
///
///     smup::SparseWeights<smup::Block<32, 32>, Kokkos::DefaultExecutionSpace, float> w(
///         4096, 4096, smup::ratio{1, 8}, /*seed=*/7);
///     smup::forward(w, x, y);                  // y = W x        [4096][batch]
///     smup::backward_data(w, dy, dx);          // dx = W^T dy
///     smup::weight_gradient(w, dy, x, dw);     // dw: one value per kept weight
///
/// Where E runs on the host, the host path runs (bsr/host.hpp: register-tiled dense
/// products per block on E's threads); elsewhere the generic team kernels do
/// (bsr/device.hpp), which detail::GenericKernels<Block<R, C>> reaches on any space.
/// Activations may be padded views: kernels address rows through their stride.

#include <cstdint>
#include <type_traits>

#include <smup/kernels/bsr/device.hpp>
#include <smup/kernels/bsr/host.hpp>
#include <smup/kernels/bsr/storage.hpp>
#include <smup/kernels/extents.hpp>
#include <smup/kernels/host_path.hpp>
#include <smup/kernels/views.hpp>

namespace smup {

/// y = W x. x: [cols][batch], y: [rows][batch].
template <int R, int C, class E, class S>
void forward(SparseWeights<Block<R, C>, E, S> const& w,
             std::type_identity_t<Activations<S, E>> const& x,
             std::type_identity_t<Activations<S, E>> const& y) {
  detail::check_product_extents("forward", w.rows(), w.cols(), x, y);
  detail::Kernels<Block<R, C>, E>::forward(w, x, y);
}

/// dx = W^T dy, gathered per block column through the transposed block map.
template <int R, int C, class E, class S>
void backward_data(SparseWeights<Block<R, C>, E, S> const& w,
                   std::type_identity_t<Activations<S, E>> const& dy,
                   std::type_identity_t<Activations<S, E>> const& dx) {
  detail::check_product_extents("backward_data", w.cols(), w.rows(), dy, dx);
  detail::Kernels<Block<R, C>, E>::backward_data(w, dy, dx);
}

/// dw[k] = sum_b dy[row(k)][b] * x[col(k)][b] for every kept weight k, in values() order.
template <int R, int C, class E, class S>
void weight_gradient(SparseWeights<Block<R, C>, E, S> const& w,
                     std::type_identity_t<Activations<S, E>> const& dy,
                     std::type_identity_t<Activations<S, E>> const& x,
                     std::type_identity_t<WeightValues<S, E>> const& dw) {
  detail::check_product_extents("weight_gradient", w.rows(), w.cols(), x, dy);
  detail::check_gradient_extent(static_cast<std::int64_t>(dw.extent(0)), w.kept());
  detail::Kernels<Block<R, C>, E>::weight_gradient(w, dy, x, dw);
}

} // namespace smup
