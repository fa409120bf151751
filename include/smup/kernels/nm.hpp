#pragma once
/// The N:M kernels users call, for SparseWeights<NM<N, M>, E, Scalar> (storage:
/// nm/storage.hpp).
///
///     smup::SparseWeights<smup::NM<2, 4>> w(/*rows=*/1024, /*cols=*/512, /*seed=*/7);
///     smup::Activations<float, Kokkos::DefaultExecutionSpace> x("x", 512, 256), y("y", 1024, 256);
///     smup::forward(w, x, y);   // y = W x, half the FLOPs of the dense product
///
/// Where E runs on the host, the host path runs (nm/host.hpp: register chunks and packed
/// panels on E's threads); elsewhere the generic team kernels do (nm/device.hpp), which
/// detail::GenericKernels<NM<N, M>> reaches on any space. Activations may be padded
/// views: kernels address rows through their stride.

#include <cstdint>
#include <type_traits>

#include <smup/kernels/extents.hpp>
#include <smup/kernels/host_path.hpp>
#include <smup/kernels/nm/device.hpp>
#include <smup/kernels/nm/host.hpp>
#include <smup/kernels/nm/storage.hpp>
#include <smup/kernels/views.hpp>

namespace smup {

/// y = W x.   x: [cols][batch], y: [rows][batch].
template <int N, int M, class E, class Scalar>
void forward(SparseWeights<NM<N, M>, E, Scalar> const& w,
             std::type_identity_t<Activations<Scalar, E>> const& x,
             std::type_identity_t<Activations<Scalar, E>> const& y) {
  detail::check_product_extents("forward", w.rows(), w.cols(), x, y);
  detail::Kernels<NM<N, M>, E>::forward(w, x, y);
}

/// dx = W^T dy.   dy: [rows][batch], dx: [cols][batch].
template <int N, int M, class E, class Scalar>
void backward_data(SparseWeights<NM<N, M>, E, Scalar> const& w,
                   std::type_identity_t<Activations<Scalar, E>> const& dy,
                   std::type_identity_t<Activations<Scalar, E>> const& dx) {
  detail::check_product_extents("backward_data", w.cols(), w.rows(), dy, dx);
  detail::Kernels<NM<N, M>, E>::backward_data(w, dy, dx);
}

/// dw = (dy x^T) at kept entries, in values()' layout.
template <int N, int M, class E, class Scalar>
void weight_gradient(SparseWeights<NM<N, M>, E, Scalar> const& w,
                     std::type_identity_t<Activations<Scalar, E>> const& dy,
                     std::type_identity_t<Activations<Scalar, E>> const& x,
                     std::type_identity_t<WeightValues<Scalar, E>> const& dw) {
  detail::check_product_extents("weight_gradient", w.rows(), w.cols(), x, dy);
  detail::check_gradient_extent(static_cast<std::int64_t>(dw.extent(0)), w.kept());
  detail::Kernels<NM<N, M>, E>::weight_gradient(w, dy, x, dw);
}

} // namespace smup
