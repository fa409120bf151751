#pragma once
/// Gathers a model's trainable tensors (anything with for_each_tensor) in the order
/// the model hands them out, and checks an optimizer is used with a model of its own
/// parameterization, execution space and scalar type, and with its hyper-parameters.

#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <smup/core/diagnostics.hpp>
#include <smup/core/error.hpp>
#include <smup/optim/tensor.hpp>
#include <smup/parameterization/hyperparams.hpp>

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

/// An optimizer given base hyper-parameters must be given the model's own: every rate
/// was fixed into the layers when the model was built, so other values would be
/// silently ignored. Models that do not record theirs cannot be checked.
template <class Model> void require_model_hyperparams(Model const& model, HyperParams const& given,
                                                      std::string_view optimizer) {
  static_assert(
      requires { model.hyperparams(); },
      "smup::optimizer: this model does not record the hyper-parameters it was built "
      "with (no hyperparams()), so base hyper-parameters given to the optimizer cannot "
      "be checked. Build the optimizer from the model alone: Adam<P>(model, config).");
  auto const diff = first_difference(given, model.hyperparams());
  if (!diff.empty())
    fail(std::string(optimizer) + ": the hyper-parameters given differ from the model's (" + diff +
         ", given vs model). Every tensor's learning rate and decay were fixed when the model "
         "was built; build the optimizer from the model alone, e.g. smup::AdamW<P>(model, "
         "config), or pass model.hyperparams().");
}

template <class Scalar, class E, class Model>
std::vector<Tensor<Scalar, E>> tensors_of(Model& model) {
  std::vector<Tensor<Scalar, E>> out;
  model.for_each_tensor([&out](Tensor<Scalar, E> const& t) { out.push_back(t); });
  return out;
}

} // namespace smup::detail
