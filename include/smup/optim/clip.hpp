#pragma once
/// Gradient clipping by global norm: when the L2 norm of all of a model's gradients
/// together exceeds max_norm, every gradient is scaled by max_norm / norm.
///
///     double norm = smup::clip_grad_norm(model, 1.0);   // the norm before clipping
///     double norm = smup::gradient_norm(model);          // the norm alone, nothing scaled
///
/// A non-finite norm scales nothing (clipping cannot repair it): check it before the
/// optimizer step with smup::require_finite_step (optim/divergence.hpp).

#include <cmath>
#include <cstdint>
#include <string>

#include <Kokkos_Core.hpp>

#include <smup/core/error.hpp>
#include <smup/kernels/fixed_order_sum.hpp>
#include <smup/optim/tensor.hpp>

namespace smup {

/// The L2 norm of all of the model's gradients together; nan or inf when any gradient is
/// not finite (see smup::require_finite_step).
template <class Model> double gradient_norm(Model& model) {
  using E = typename Model::execution_space;
  using Scalar = typename Model::scalar_type;
  double squares = 0.0;
  model.for_each_tensor([&squares](Tensor<Scalar, E> const& t) {
    auto const g = t.grad;
    // In a fixed order: clipping divides by this norm, so its bits reach the weights.
    squares += detail::fixed_order_sum<E>(
        "smup::gradient_norm", static_cast<std::int64_t>(g.extent(0)),
        KOKKOS_LAMBDA(std::int64_t k) { return double(g(k)) * double(g(k)); });
  });
  return std::sqrt(squares);
}

template <class Model> double clip_grad_norm(Model& model, double max_norm) {
  using E = typename Model::execution_space;
  using Scalar = typename Model::scalar_type;
  if (!(max_norm > 0))
    detail::fail("smup::clip_grad_norm: max_norm must be positive (got " +
                 std::to_string(max_norm) +
                 "). It is the largest allowed gradient norm. Pass e.g. 1.0.");
  double const norm = gradient_norm(model);
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
