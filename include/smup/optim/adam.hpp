#pragma once
/// smup::Adam<P> and smup::AdamW<P>: each tensor's learning rate and weight decay come
/// from the parameterization's rules for its role (the model computed them from the
/// base hyper-parameters); only the optimizer's own constants are set here.
///
///     smup::MLP<smup::SMuP, smup::Unstructured> model(shape, base_shape, hp, 7);
///     smup::AdamW<smup::SMuP> adam(model, {.beta1 = 0.9, .beta2 = 0.95});
///     model.train_step(x, labels, adam);
///
/// The model is the one source of hyper-parameters: an optimizer given base values
/// other than the model's refuses to build (they would be ignored).
///
/// Weight decay: Adam adds weight_decay * w to the gradient (L2, as torch.optim.Adam);
/// AdamW decays the weights directly, by schedule(t) * rate * weight_decay * w per step,
/// the rate set by HyperParams::weight_decay_policy (smup::WeightDecayPolicy). State (first and
/// second moments) is stored in the weights' compressed layout: pruned weights have none, and a
/// pruned weight stays pruned because it does not exist.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <Kokkos_Core.hpp>

#include <smup/core/error.hpp>
#include <smup/core/identity.hpp>
#include <smup/kernels/views.hpp>
#include <smup/optim/adam_update.hpp>
#include <smup/optim/model_tensors.hpp>
#include <smup/optim/schedule.hpp>
#include <smup/optim/tensor.hpp>
#include <smup/parameterization/concepts.hpp>
#include <smup/parameterization/hyperparams.hpp>

namespace smup {

struct AdamConfig {
  double beta1 = 0.9;
  double beta2 = 0.999;
  double epsilon = 1e-8;
};

namespace detail {

template <Parameterization P, class E, class Scalar, bool Decoupled> class AdamImpl {
public:
  using parameterization = P;

  template <class Model>
  explicit AdamImpl(Model& model, AdamConfig config = {}, LrSchedule schedule = {})
      : config_(config), schedule_(schedule) {
    static_assert(check_optimizer_model<P, E, Scalar, Model>());
    if (!(config.beta1 >= 0 && config.beta1 < 1 && config.beta2 >= 0 && config.beta2 < 1 &&
          config.epsilon > 0))
      fail("smup::Adam: beta1 and beta2 must lie in [0, 1) and epsilon be positive. Moments "
           "with beta >= 1 never forget and epsilon guards a division. Use e.g. 0.9, 0.999, 1e-8.");
    schedule_.check();
    for (auto const& t : tensors_of<Scalar, E>(model))
      state_.push_back({WeightValues<Scalar, E>("smup::Adam::m", t.values.extent(0)),
                        WeightValues<Scalar, E>("smup::Adam::v", t.values.extent(0))});
  }

  /// The same, checking that `base` is what the model was built with (an error naming
  /// the first differing field otherwise): the rates come from the model's layers.
  template <class Model>
  AdamImpl(Model& model, HyperParams const& base, AdamConfig config = {}, LrSchedule schedule = {})
      : AdamImpl(model, config, schedule) {
    require_model_hyperparams(model, base, "smup::Adam");
  }

  /// One update of every tensor from its current gradient.
  template <class Model> void step(Model& model) {
    static_assert(check_optimizer_model<P, E, Scalar, Model>());
    auto const tensors = tensors_of<Scalar, E>(model);
    if (tensors.size() != state_.size())
      fail("smup::Adam::step: the model has " + std::to_string(tensors.size()) +
           " tensors but the optimizer was built for " + std::to_string(state_.size()) +
           ". An optimizer belongs to one model. Build one per model.");
    double const factor = schedule_.factor(steps_);
    ++steps_;
    double const c1 = 1.0 - integer_pow(config_.beta1, steps_);
    double const c2 = 1.0 - integer_pow(config_.beta2, steps_);
    for (std::size_t i = 0; i < tensors.size(); ++i) update(tensors[i], state_[i], factor, c1, c2);
  }

  [[nodiscard]] std::int64_t steps() const { return steps_; }
  [[nodiscard]] AdamConfig const& config() const { return config_; }

  /// Calls f(tensor index, "m" or "v", moments) for every state array, in a fixed order.
  template <class F> void for_each_state(F&& f) const {
    for (std::size_t i = 0; i < state_.size(); ++i) {
      f(i, std::string_view("m"), state_[i].m);
      f(i, std::string_view("v"), state_[i].v);
    }
  }
  /// Sets the step count (bias corrections and schedule position), for checkpoints.
  void restore_steps(std::int64_t steps) { steps_ = steps; }
  /// What a checkpoint must agree on: the kind and every constant (smup/io/checkpoint.hpp).
  [[nodiscard]] Identity identity() const {
    return {{"kind", Decoupled ? "AdamW" : "Adam"},   {"parameterization", std::string(P::name)},
            {"beta1", exact_text(config_.beta1)},     {"beta2", exact_text(config_.beta2)},
            {"epsilon", exact_text(config_.epsilon)}, {"schedule", schedule_.text()}};
  }
  /// Bytes of optimizer state (both moments), which scale with the kept weights.
  [[nodiscard]] std::size_t state_bytes() const {
    std::size_t bytes = 0;
    for (auto const& s : state_) bytes += 2 * s.m.span() * sizeof(Scalar);
    return bytes;
  }

private:
  using Moments = AdamMoments<Scalar, E>;

  static double integer_pow(double x, std::int64_t k) {
    double out = 1.0;
    for (std::int64_t i = 0; i < k; ++i) out *= x;
    return out;
  }

  void update(Tensor<Scalar, E> const& t, Moments const& s, double factor, double c1, double c2) {
    if (t.values.extent(0) != s.m.extent(0))
      fail("smup::Adam::step: a tensor changed size since the optimizer was built. An optimizer "
           "belongs to one model. Build one per model.");
    double const lr = t.rules.lr_adam * factor;
    double const wd = t.rules.weight_decay;
    // The tensor's rules chose the rate its decoupled decay follows (its policy).
    double const shrink = Decoupled ? factor * t.rules.decay_rate * wd : 0.0;
    adam_update<E>(t.values, t.grad, s,
                   {.lr = lr,
                    .beta1 = config_.beta1,
                    .beta2 = config_.beta2,
                    .epsilon = config_.epsilon,
                    .c1 = c1,
                    .c2 = c2,
                    .l2 = Decoupled ? 0.0 : wd,
                    .shrink = shrink});
  }

  AdamConfig config_;
  LrSchedule schedule_;
  std::vector<Moments> state_;
  std::int64_t steps_ = 0;
};

} // namespace detail

/// Adam with L2 weight decay added to the gradient.
template <Parameterization P, class E = Kokkos::DefaultExecutionSpace, class Scalar = float>
class Adam : public detail::AdamImpl<P, E, Scalar, false> {
  using detail::AdamImpl<P, E, Scalar, false>::AdamImpl;
};

/// Adam with decoupled weight decay (each tensor's weight_decay_policy says how).
template <Parameterization P, class E = Kokkos::DefaultExecutionSpace, class Scalar = float>
class AdamW : public detail::AdamImpl<P, E, Scalar, true> {
  using detail::AdamImpl<P, E, Scalar, true>::AdamImpl;
};

} // namespace smup
