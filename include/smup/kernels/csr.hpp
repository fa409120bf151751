#pragma once
/// The unstructured (CSR) kernels users call, for SparseWeights<Unstructured, E, Scalar>
/// and SparseWeights<BalancedUnstructured, E, Scalar> (storage: csr/storage.hpp).
///
///     using E = Kokkos::DefaultExecutionSpace;
///     smup::SparseWeights<smup::Unstructured, E> w(4096, 4096, smup::ratio{1, 16}, 7);
///     smup::Activations<float, E> x("x", 4096, 256), y("y", 4096, 256);
///     smup::forward(w, x, y);   // y = W x
///
/// Where E runs on the host, the host path runs (csr/host.hpp: cache panels and register
/// tiles on E's threads); elsewhere the generic team kernels do (csr/device.hpp), which
/// detail::GenericKernels<Unstructured> reaches on any space. Activations may be padded
/// views: kernels address rows through their stride.

#include <cstdint>
#include <type_traits>

#include <smup/kernels/csr/device.hpp>
#include <smup/kernels/csr/host.hpp>
#include <smup/kernels/csr/storage.hpp>
#include <smup/kernels/extents.hpp>
#include <smup/kernels/host_path.hpp>
#include <smup/kernels/views.hpp>

namespace smup {

/// y = W x.   x: [cols][batch], y: [rows][batch].
template <detail::CsrPattern P, class E, class Scalar>
void forward(SparseWeights<P, E, Scalar> const& w,
             std::type_identity_t<Activations<Scalar, E>> const& x,
             std::type_identity_t<Activations<Scalar, E>> const& y) {
  detail::check_product_extents("forward", w.rows(), w.cols(), x, y);
  detail::Kernels<P, E>::forward(w, x, y);
}

/// dx = W^T dy through the transposed map (a gather per input feature, no atomics).
template <detail::CsrPattern P, class E, class Scalar>
void backward_data(SparseWeights<P, E, Scalar> const& w,
                   std::type_identity_t<Activations<Scalar, E>> const& dy,
                   std::type_identity_t<Activations<Scalar, E>> const& dx) {
  detail::check_product_extents("backward_data", w.cols(), w.rows(), dy, dx);
  detail::Kernels<P, E>::backward_data(w, dy, dx);
}

/// dw(k) = dy[row(k)] . x[col(k)] for each kept entry k, in values() order.
template <detail::CsrPattern P, class E, class Scalar>
void weight_gradient(SparseWeights<P, E, Scalar> const& w,
                     std::type_identity_t<Activations<Scalar, E>> const& dy,
                     std::type_identity_t<Activations<Scalar, E>> const& x,
                     std::type_identity_t<WeightValues<Scalar, E>> const& dw) {
  detail::check_product_extents("weight_gradient", w.rows(), w.cols(), x, dy);
  detail::check_gradient_extent(static_cast<std::int64_t>(dw.extent(0)), w.kept());
  detail::Kernels<P, E>::weight_gradient(w, dy, x, dw);
}

} // namespace smup
