#pragma once
/// Gradient clipping by global norm: when the L2 norm of all of a model's gradients
/// together exceeds max_norm, every gradient is scaled by max_norm / norm.
///
///     double norm = smup::clip_grad_norm(model, 1.0);   // the norm before clipping

#include <cmath>
#include <string>

#include <Kokkos_Core.hpp>

#include <smup/core/error.hpp>
#include <smup/optim/tensor.hpp>

namespace smup {

template <class Model> double clip_grad_norm(Model& model, double max_norm) {
  using E = typename Model::execution_space;
  using Scalar = typename Model::scalar_type;
  if (!(max_norm > 0))
    detail::fail("smup::clip_grad_norm: max_norm must be positive (got " +
                 std::to_string(max_norm) +
                 "). It is the largest allowed gradient norm. Pass e.g. 1.0.");
  double squares = 0.0;
  model.for_each_tensor([&squares](Tensor<Scalar, E> const& t) {
    auto const g = t.grad;
    double part = 0.0;
    Kokkos::parallel_reduce(
        "smup::clip_grad_norm::norm", Kokkos::RangePolicy<E>(0, g.extent(0)),
        KOKKOS_LAMBDA(std::int64_t k, double& sum) { sum += double(g(k)) * double(g(k)); }, part);
    squares += part;
  });
  double const norm = std::sqrt(squares);
  if (norm > max_norm) {
    auto const factor = static_cast<Scalar>(max_norm / norm);
    model.for_each_tensor([factor](Tensor<Scalar, E> const& t) {
      auto const g = t.grad;
      Kokkos::parallel_for(
          "smup::clip_grad_norm::scale", Kokkos::RangePolicy<E>(0, g.extent(0)),
          KOKKOS_LAMBDA(std::int64_t k) { g(k) *= factor; });
    });
  }
  return norm;
}

} // namespace smup
