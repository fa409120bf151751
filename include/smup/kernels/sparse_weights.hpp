#pragma once
/// smup::SparseWeights<Pattern, ExecutionSpace, Scalar>: a weight matrix stored in
/// the format its sparsity pattern selects (Dense: dense row-major; Unstructured:
/// CSR plus a transposed map; NM<N, M>: packed values and in-group offsets;
/// Block<R, C>: BSR). Each pattern specialises this template in its own header
/// under kernels/, together with its three kernels:
///
///     smup::forward(w, x, y);                  // y = W x          [out][batch]
///     smup::backward_data(w, dy, dx);          // dx = W^T dy      [in][batch]
///     smup::weight_gradient(w, dy, x, dw);     // dw = (dy x^T) at kept entries only
///
/// A pattern without a specialisation reaches the primary template, which says so.

#include <Kokkos_Core.hpp>

#include <smup/sparsity/concepts.hpp>

namespace smup {

namespace detail {
template <class> inline constexpr bool no_storage_for_pattern = false;
} // namespace detail

template <class Pattern, class ExecutionSpace = Kokkos::DefaultExecutionSpace, class Scalar = float>
class SparseWeights {
  static_assert(check_sparsity_pattern<Pattern>());
  static_assert(detail::no_storage_for_pattern<Pattern>,
                "smup::SparseWeights: this sparsity pattern has no storage format. Every "
                "pattern needs a specialisation of SparseWeights with its kernels. Include the "
                "pattern's header under smup/kernels/ or write the specialisation.");
};

namespace detail {

// Code that has members named forward/backward_data (layers) calls the kernels
// through these: unqualified calls here find each pattern's overload by
// argument-dependent lookup, wherever its header was included.
template <class W, class X, class Y> void run_forward(W const& w, X const& x, Y const& y) {
  forward(w, x, y);
}
template <class W, class DY, class DX>
void run_backward_data(W const& w, DY const& dy, DX const& dx) {
  backward_data(w, dy, dx);
}
template <class W, class DY, class X, class DW>
void run_weight_gradient(W const& w, DY const& dy, X const& x, DW const& dw) {
  weight_gradient(w, dy, x, dw);
}

} // namespace detail

} // namespace smup
