#pragma once
/// Gathers a model's trainable tensors (anything with for_each_tensor) in the order
/// the model hands them out, and checks an optimizer is used with a model of its own
/// parameterization, execution space and scalar type.

#include <type_traits>
#include <vector>

#include <smup/core/diagnostics.hpp>
#include <smup/optim/tensor.hpp>

namespace smup::detail {

template <class P, class E, class Scalar, class Model> constexpr bool check_optimizer_model() {
  static_assert(std::is_same_v<typename Model::parameterization, P>,
                SMUP_DIAG_OPTIMIZER_PARAMETERIZATION);
  static_assert(std::is_same_v<typename Model::execution_space, E> &&
                    std::is_same_v<typename Model::scalar_type, Scalar>,
                "smup::optimizer: the optimizer's execution space or scalar type differs from the "
                "model's. Its state lives beside the weights. Declare it with the model's E and "
                "Scalar (e.g. smup::Adam<P, E, double>).");
  return true;
}

template <class Scalar, class E, class Model>
std::vector<Tensor<Scalar, E>> tensors_of(Model& model) {
  std::vector<Tensor<Scalar, E>> out;
  model.for_each_tensor([&out](Tensor<Scalar, E> const& t) { out.push_back(t); });
  return out;
}

} // namespace smup::detail
