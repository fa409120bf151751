// smup::HyperParams: base values, their defaults and the checks on them.
#include <smup/parameterization/hyperparams.hpp>

#include <limits>
#include <type_traits>

#include "support.hpp"

namespace {

using namespace smup_static_test;

using smup::HyperParams;

constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr double inf = std::numeric_limits<double>::infinity();

// Defaults: a usable model with no multipliers, no decay, the parameterization's decay policy.
constexpr HyperParams defaults{};
static_assert(defaults.sigma == 0.02 && defaults.eta == 1e-3);
static_assert(defaults.alpha_in == 1.0 && defaults.alpha_out == 1.0);
static_assert(defaults.lr_mult_non_hidden == 1.0);
static_assert(defaults.weight_decay == 0.0);
static_assert(defaults.weight_decay_policy == smup::WeightDecayPolicy::by_parameterization);
static_assert(!defaults.decay_biases_and_gains && defaults.decay_input_and_readout);
// An aggregate, so designated initialisers name what is tuned.
static_assert(std::is_aggregate_v<HyperParams>);
constexpr HyperParams tuned{.sigma = 0.05, .eta = 0x1p-9, .alpha_out = 2.0};
static_assert(tuned.sigma == 0.05 && tuned.eta == 0x1p-9 && tuned.alpha_in == 1.0 &&
              tuned.alpha_out == 2.0);

// checked() passes good values through unchanged (same object).
static_assert(&smup::checked(defaults) == &defaults);
static_assert(constant_evaluable<decltype([] { return smup::checked(HyperParams{}).sigma; })>);
static_assert(constant_evaluable<decltype([] {
  return smup::checked(HyperParams{.sigma = 1e-300,
                                   .eta = 1e300,
                                   .alpha_in = 0.5,
                                   .alpha_out = 64.0,
                                   .lr_mult_non_hidden = 8.0,
                                   .weight_decay = 0.1,
                                   .weight_decay_policy = smup::WeightDecayPolicy::independent,
                                   .decay_biases_and_gains = true})
      .sigma;
})>);

// sigma and eta: positive and finite.
static_assert(
    !constant_evaluable<decltype([] { return smup::checked(HyperParams{.sigma = 0.0}).eta; })>);
static_assert(
    !constant_evaluable<decltype([] { return smup::checked(HyperParams{.sigma = -0.02}).eta; })>);
static_assert(
    !constant_evaluable<decltype([] { return smup::checked(HyperParams{.sigma = nan}).eta; })>);
static_assert(
    !constant_evaluable<decltype([] { return smup::checked(HyperParams{.sigma = inf}).eta; })>);
static_assert(
    !constant_evaluable<decltype([] { return smup::checked(HyperParams{.eta = 0.0}).eta; })>);
static_assert(
    !constant_evaluable<decltype([] { return smup::checked(HyperParams{.eta = -1e-3}).eta; })>);
static_assert(
    !constant_evaluable<decltype([] { return smup::checked(HyperParams{.eta = nan}).eta; })>);
static_assert(
    !constant_evaluable<decltype([] { return smup::checked(HyperParams{.eta = inf}).eta; })>);
// Multipliers: positive and finite.
static_assert(
    !constant_evaluable<decltype([] { return smup::checked(HyperParams{.alpha_in = 0.0}).eta; })>);
static_assert(
    !constant_evaluable<decltype([] { return smup::checked(HyperParams{.alpha_out = -1}).eta; })>);
static_assert(
    !constant_evaluable<decltype([] { return smup::checked(HyperParams{.alpha_out = inf}).eta; })>);
static_assert(!constant_evaluable<decltype([] {
  return smup::checked(HyperParams{.lr_mult_non_hidden = nan}).eta;
})>);
static_assert(!constant_evaluable<decltype([] {
  return smup::checked(HyperParams{.lr_mult_non_hidden = 0.0}).eta;
})>);
// Weight decay: zero or positive and finite.
static_assert(!constant_evaluable<decltype([] {
  return smup::checked(HyperParams{.weight_decay = -0.1}).eta;
})>);
static_assert(!constant_evaluable<decltype([] {
  return smup::checked(HyperParams{.weight_decay = nan}).eta;
})>);
static_assert(!constant_evaluable<decltype([] {
  return smup::checked(HyperParams{.weight_decay = inf}).eta;
})>);
static_assert(constant_evaluable<decltype([] {
  return smup::checked(HyperParams{.weight_decay = -0.0}).eta;
})>);

} // namespace
