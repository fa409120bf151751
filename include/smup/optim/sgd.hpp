#pragma once
/// smup::SGD<P>: stochastic gradient descent with optional momentum; each tensor's
/// learning rate is the parameterization's SGD rule for its role (muP: eta * m_d for
/// input, readout and width-sized biases; SmuP: eta / m_rho for hidden matrices).
///
///     smup::SGD<smup::SMuP> sgd(model, {.momentum = 0.9});
///
/// Weight decay is L2: weight_decay * w is added to the gradient. Momentum buffers
/// use the weights' compressed layout, so pruned weights stay pruned.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <Kokkos_Core.hpp>

#include <smup/core/error.hpp>
#include <smup/core/identity.hpp>
#include <smup/kernels/views.hpp>
#include <smup/optim/model_tensors.hpp>
#include <smup/optim/schedule.hpp>
#include <smup/optim/tensor.hpp>
#include <smup/parameterization/concepts.hpp>
#include <smup/parameterization/hyperparams.hpp>

namespace smup {

struct SgdConfig {
  double momentum = 0.0; ///< 0 = plain SGD
};

template <Parameterization P, class E = Kokkos::DefaultExecutionSpace, class Scalar = float>
class SGD {
public:
  using parameterization = P;

  template <class Model> explicit SGD(Model& model, SgdConfig config = {}, LrSchedule schedule = {})
      : config_(config), schedule_(schedule) {
    static_assert(detail::check_optimizer_model<P, E, Scalar, Model>());
    if (!(config.momentum >= 0 && config.momentum < 1))
      detail::fail("smup::SGD: momentum must lie in [0, 1). A momentum of 1 or more never "
                   "forgets old gradients. Use e.g. 0.9, or 0 for plain SGD.");
    schedule_.check();
    for (auto const& t : detail::tensors_of<Scalar, E>(model))
      velocity_.push_back(WeightValues<Scalar, E>("smup::SGD::velocity",
                                                  config.momentum > 0 ? t.values.extent(0) : 0));
  }

  /// The same, checking that `base` is what the model was built with (an error naming
  /// the first differing field otherwise): the rates come from the model's layers.
  template <class Model>
  SGD(Model& model, HyperParams const& base, SgdConfig config = {}, LrSchedule schedule = {})
      : SGD(model, config, schedule) {
    detail::require_model_hyperparams(model, base, "smup::SGD");
  }

  template <class Model> void step(Model& model) {
    static_assert(detail::check_optimizer_model<P, E, Scalar, Model>());
    auto const tensors = detail::tensors_of<Scalar, E>(model);
    if (tensors.size() != velocity_.size())
      detail::fail("smup::SGD::step: the model has " + std::to_string(tensors.size()) +
                   " tensors but the optimizer was built for " + std::to_string(velocity_.size()) +
                   ". An optimizer belongs to one model. Build one per model.");
    double const factor = schedule_.factor(steps_++);
    for (std::size_t i = 0; i < tensors.size(); ++i) {
      auto const& t = tensors[i];
      double const lr = t.rules.lr_sgd * factor, wd = t.rules.weight_decay, mu = config_.momentum;
      auto const w = t.values, g = t.grad, vel = velocity_[i];
      bool const with_momentum = mu > 0;
      Kokkos::parallel_for(
          "smup::SGD::update", Kokkos::RangePolicy<E>(0, w.extent(0)),
          KOKKOS_LAMBDA(std::int64_t k) {
            double d = double(g(k)) + wd * double(w(k));
            if (with_momentum) {
              d = mu * double(vel(k)) + d;
              vel(k) = static_cast<Scalar>(d);
            }
            w(k) = static_cast<Scalar>(double(w(k)) - lr * d);
          });
    }
  }

  [[nodiscard]] std::int64_t steps() const { return steps_; }

  /// Calls f(tensor index, "velocity", buffer) for every momentum buffer (none without
  /// momentum), in a fixed order.
  template <class F> void for_each_state(F&& f) const {
    if (config_.momentum > 0)
      for (std::size_t i = 0; i < velocity_.size(); ++i)
        f(i, std::string_view("velocity"), velocity_[i]);
  }
  /// Sets the step count (the schedule's position), for checkpoints.
  void restore_steps(std::int64_t steps) { steps_ = steps; }
  /// What a checkpoint must agree on: the kind and every constant (smup/io/checkpoint.hpp).
  [[nodiscard]] Identity identity() const {
    return {{"kind", "SGD"},
            {"parameterization", std::string(P::name)},
            {"momentum", exact_text(config_.momentum)},
            {"schedule", schedule_.text()}};
  }

private:
  SgdConfig config_;
  LrSchedule schedule_;
  std::vector<WeightValues<Scalar, E>> velocity_;
  std::int64_t steps_ = 0;
};

} // namespace smup
