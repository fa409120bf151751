#pragma once
/// From base hyper-parameters to concrete per-tensor values: init std, learning
/// rates, weight decay and forward multiplier, for any parameterization.
///
///     constexpr smup::HyperParams hp{.sigma = 0.05, .eta = 0x1p-9};
///     constexpr smup::BaseShape base{.width = 128};
///     constexpr auto table = smup::hp_table<smup::SMuP, 4>(hp, base, {.width = 1024, .density =
///     {1, 16}}); static_assert(table[1].role == smup::Role::hidden);   // [input, hidden x4,
///     output, bias, output_bias, norm_gain]
///
/// Everything is constexpr, so a model of static shape gets its table at compile time.

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <smup/core/diagnostics.hpp>
#include <smup/core/error.hpp>
#include <smup/core/monomial.hpp>
#include <smup/core/ratio.hpp>
#include <smup/core/role.hpp>
#include <smup/parameterization/concepts.hpp>
#include <smup/parameterization/hyperparams.hpp>
#include <smup/parameterization/shape.hpp>

namespace smup {

/// The concrete values for one tensor of the target model.
struct LayerHyperParams {
  Role role = Role::hidden;
  ratio width_multiplier{1};   ///< m_d
  ratio density_multiplier{1}; ///< m_rho (1 for every role but hidden)
  /// Init standard deviation of a matrix. Biases start at 0 and norm gains at 1,
  /// whatever the parameterization, so their rows hold 0.
  double init_std = 0.0;
  double lr_adam = 0.0;      ///< learning rate for Adam-like optimizers
  double lr_sgd = 0.0;       ///< learning rate for SGD-like optimizers
  double weight_decay = 0.0; ///< coefficient: L2 for Adam and SGD, decoupled for AdamW
  /// AdamW shrinks the tensor by schedule * decay_rate * weight_decay per step; the
  /// policy (resolved for the parameterization) chose decay_rate.
  WeightDecayPolicy weight_decay_policy = WeightDecayPolicy::coupled;
  double decay_rate = 0.0;
  double multiplier = 1.0; ///< forward multiplier on the layer's output
};

/// The values for one tensor of role `role` in a model of hidden width `width`
/// whose hidden matrices have density `density` (non-hidden roles stay dense).
template <Parameterization P>
constexpr LayerHyperParams layer_hyperparams(HyperParams const& hp, BaseShape base,
                                             std::int64_t width, ratio density, Role role) {
  checked(hp);
  ratio const md = width_ratio(width, base.width);
  detail::require<SMUP_DIAG_SPARSE_NON_HIDDEN>(role == Role::hidden ||
                                               checked_density(density) == ratio{1});
  ratio const mr = role == Role::hidden ? density_ratio(density, base.density) : ratio{1};

  bool const hidden = role == Role::hidden;
  double const lr_factor = hidden ? 1.0 : hp.lr_mult_non_hidden;
  double const alpha = role == Role::input    ? hp.alpha_in
                       : role == Role::output ? hp.alpha_out
                                              : 1.0;
  bool const decays = role == Role::hidden                          ? true
                      : role == Role::input || role == Role::output ? hp.decay_input_and_readout
                                                                    : hp.decay_biases_and_gains;

  LayerHyperParams out;
  out.role = role;
  out.width_multiplier = md;
  out.density_multiplier = mr;
  out.init_std = is_matrix(role) ? hp.sigma * sqrt(P::init_variance(role)).at(md, mr) : 0.0;
  out.lr_adam = hp.eta * lr_factor * P::learning_rate(role, OptimizerFamily::adam).at(md, mr);
  out.lr_sgd = hp.eta * lr_factor * P::learning_rate(role, OptimizerFamily::sgd).at(md, mr);
  out.weight_decay = decays ? hp.weight_decay : 0.0;
  out.weight_decay_policy = resolved_weight_decay_policy<P>(hp.weight_decay_policy);
  out.decay_rate = out.weight_decay_policy == WeightDecayPolicy::coupled        ? out.lr_adam
                   : out.weight_decay_policy == WeightDecayPolicy::base_coupled ? hp.eta * lr_factor
                                                                                : 1.0;
  out.multiplier = alpha * P::multiplier(role).at(md, mr);
  return out;
}

namespace detail {

/// Row i of the canonical table: input, hidden x L, output, bias, output_bias, norm_gain.
constexpr Role table_role(std::size_t i, std::size_t hidden_layers) {
  if (i == 0) return Role::input;
  if (i <= hidden_layers) return Role::hidden;
  if (i == hidden_layers + 1) return Role::output;
  if (i == hidden_layers + 2) return Role::bias;
  return i == hidden_layers + 3 ? Role::output_bias : Role::norm_gain;
}

/// Only the hidden rows take the target's density; the rest of the model is dense.
template <class P> constexpr LayerHyperParams table_row(HyperParams const& hp, BaseShape base,
                                                        TargetShape target, Role role) {
  return layer_hyperparams<P>(hp, base, target.width,
                              role == Role::hidden ? target.density : ratio{1}, role);
}

} // namespace detail

/// The whole table for a target of static depth, usable at compile time.
/// Rows: input, HiddenLayers hidden, output, bias, output_bias, norm_gain. The depth is the
/// template argument (it sizes the array); target.hidden_layers is not read.
template <Parameterization P, std::size_t HiddenLayers>
constexpr std::array<LayerHyperParams, HiddenLayers + 5>
hp_table(HyperParams const& hp, BaseShape base, TargetShape target) {
  static_assert(HiddenLayers >= 1, SMUP_DIAG_SHAPE_DEPTH);
  std::array<LayerHyperParams, HiddenLayers + 5> rows{};
  for (std::size_t i = 0; i < rows.size(); ++i)
    rows[i] = detail::table_row<P>(hp, base, target, detail::table_role(i, HiddenLayers));
  return rows;
}

/// The same table for a depth known at run time (target.hidden_layers).
template <Parameterization P>
std::vector<LayerHyperParams> hp_table(HyperParams const& hp, BaseShape base, TargetShape target) {
  detail::require<SMUP_DIAG_SHAPE_DEPTH>(target.hidden_layers >= 1);
  auto const hidden = static_cast<std::size_t>(target.hidden_layers);
  std::vector<LayerHyperParams> rows(hidden + 5);
  for (std::size_t i = 0; i < rows.size(); ++i)
    rows[i] = detail::table_row<P>(hp, base, target, detail::table_role(i, hidden));
  return rows;
}

} // namespace smup
