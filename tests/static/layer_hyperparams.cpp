// Per-tensor values from base hyper-parameters: layer_hyperparams and hp_table,
// checked against tables derived by hand from DESIGN.md section 1.
#include <smup/parameterization/layer_hyperparams.hpp>

#include <smup/parameterization/mup.hpp>
#include <smup/parameterization/sp.hpp>
#include <smup/parameterization/sparse_mup.hpp>

#include <cstddef>
#include <type_traits>

#include "support.hpp"

namespace {

using namespace smup_static_test;

using smup::HyperParams;
using smup::LayerHyperParams;
using smup::ratio;
using smup::Role;

// Tuned on a dense model of width 128; used at width 1024 (m_d = 8), density 1/16.
constexpr HyperParams hp{.sigma = 0.05,
                         .eta = 0x1p-9,
                         .alpha_in = 0.5,
                         .alpha_out = 2.0,
                         .lr_mult_non_hidden = 4.0,
                         .weight_decay = 0.1};
constexpr smup::BaseShape base{.width = 128};
constexpr smup::TargetShape target{.width = 1024, .density = {1, 16}, .hidden_layers = 4};

constexpr double sqrt2 = 1.4142135623730951;

// --- SmuP -------------------------------------------------------------------
constexpr auto smup_table = smup::hp_table<smup::SMuP, 4>(hp, base, target);
static_assert(std::is_same_v<decltype(smup_table), std::array<LayerHyperParams, 9> const>);

// Row order: input, hidden x4, output, bias, output_bias, norm_gain.
static_assert(smup_table[0].role == Role::input && smup_table[5].role == Role::output &&
              smup_table[6].role == Role::bias && smup_table[7].role == Role::output_bias &&
              smup_table[8].role == Role::norm_gain);
static_assert(smup_table[1].role == Role::hidden && smup_table[4].role == Role::hidden);

// Input: sigma, eta * 4 (non-hidden multiplier), SGD eta * 4 * m_d, alpha_in.
static_assert(smup_table[0].width_multiplier == ratio{8});
static_assert(smup_table[0].density_multiplier == ratio{1});
static_assert(smup_table[0].init_std == 0.05);
static_assert(smup_table[0].lr_adam == 0x1p-7);
static_assert(smup_table[0].lr_sgd == 0x1p-4);
static_assert(smup_table[0].weight_decay == 0.1);
static_assert(smup_table[0].multiplier == 0.5);

// Hidden: std sigma / sqrt(m_d m_rho) = 0.05 * sqrt(2), Adam eta / (m_d m_rho) = 2^-8,
// SGD eta / m_rho = 2^-5, multiplier 1, and only these rows carry the density.
static_assert([] {
  for (std::size_t i = 1; i <= 4; ++i) {
    LayerHyperParams const& r = smup_table[i];
    if (r.width_multiplier != ratio{8} || r.density_multiplier != ratio{1, 16}) return false;
    if (!close(r.init_std, 0.05 * sqrt2)) return false;
    if (r.lr_adam != 0x1p-8 || r.lr_sgd != 0x1p-5) return false;
    if (r.weight_decay != 0.1 || r.multiplier != 1.0) return false;
  }
  return true;
}());

// Output: sigma, eta * 4, SGD eta * 4 * m_d, alpha_out / m_d = 1/4.
static_assert(smup_table[5].density_multiplier == ratio{1});
static_assert(smup_table[5].init_std == 0.05);
static_assert(smup_table[5].lr_adam == 0x1p-7);
static_assert(smup_table[5].lr_sgd == 0x1p-4);
static_assert(smup_table[5].weight_decay == 0.1);
static_assert(smup_table[5].multiplier == 0.25);

// Biases and norm gain: no init std (they start at 0 and 1), no decay by default. The
// readout bias (row 7) has no width dimension: its SGD rate is eta * 4, without m_d.
static_assert([] {
  for (std::size_t i = 6; i <= 8; ++i) {
    LayerHyperParams const& r = smup_table[i];
    double const sgd = r.role == Role::output_bias ? 0x1p-7 : 0x1p-4;
    if (r.init_std != 0.0 || r.lr_adam != 0x1p-7 || r.lr_sgd != sgd) return false;
    if (r.weight_decay != 0.0 || r.multiplier != 1.0 || r.density_multiplier != ratio{1})
      return false;
  }
  return true;
}());

// --- muP on the same target: hidden ignores the density --------------------
constexpr auto mup_table = smup::hp_table<smup::MuP, 4>(hp, base, target);
static_assert(close(mup_table[1].init_std, 0.05 / (2.0 * sqrt2)));
static_assert(mup_table[1].lr_adam == 0x1p-12);
static_assert(mup_table[1].lr_sgd == 0x1p-9);
static_assert(mup_table[1].density_multiplier == ratio{1, 16});
static_assert(mup_table[0].lr_adam == 0x1p-7 && mup_table[0].lr_sgd == 0x1p-4);
static_assert(mup_table[0].multiplier == 0.5 && mup_table[5].multiplier == 0.25);
// SGD: the width-sized bias and the gains take eta * 4 * m_d; the readout bias, with no
// width dimension, eta * 4 (the non-hidden factor only).
static_assert(mup_table[6].lr_sgd == 0x1p-4 && mup_table[8].lr_sgd == 0x1p-4);
static_assert(mup_table[7].lr_sgd == 0x1p-7 && mup_table[7].lr_adam == 0x1p-7);

// --- SP: the base values everywhere ------------------------------------------
constexpr auto sp_table = smup::hp_table<smup::SP, 2>(hp, base, target);
static_assert(sp_table.size() == 7);
static_assert(sp_table[0].init_std == 0.05 && sp_table[1].init_std == 0.05 &&
              sp_table[2].init_std == 0.05 && sp_table[3].init_std == 0.05);
static_assert(sp_table[0].lr_adam == 0x1p-7 && sp_table[0].lr_sgd == 0x1p-7);
static_assert(sp_table[1].lr_adam == 0x1p-9 && sp_table[1].lr_sgd == 0x1p-9);
static_assert(sp_table[3].lr_adam == 0x1p-7 && sp_table[3].lr_sgd == 0x1p-7);
static_assert(sp_table[0].multiplier == 0.5 && sp_table[1].multiplier == 1.0 &&
              sp_table[3].multiplier == 2.0);
static_assert(sp_table[4].init_std == 0.0 && sp_table[5].init_std == 0.0 &&
              sp_table[6].init_std == 0.0);

// The brief's example with default multipliers: hidden init std 0.05 * sqrt(2).
constexpr auto plain = smup::hp_table<smup::SMuP, 1>(HyperParams{.sigma = 0.05, .eta = 0x1p-9},
                                                     base, {.width = 1024, .density = {1, 16}});
static_assert(close(plain[1].init_std, 0.07071067811865475));
static_assert(plain[1].lr_adam == 0x1p-8 && plain[0].lr_adam == 0x1p-9 &&
              plain[2].multiplier == 0.125);

// --- layer_hyperparams alone ---------------------------------------------------
// The table is made of these rows.
constexpr LayerHyperParams hidden_row =
    smup::layer_hyperparams<smup::SMuP>(hp, base, 1024, ratio{1, 16}, Role::hidden);
static_assert(hidden_row.lr_adam == smup_table[2].lr_adam &&
              hidden_row.init_std == smup_table[2].init_std);

// At the base shape every parameterization reproduces the base values.
template <class P> constexpr bool base_values_at_base_shape() {
  for (Role role : smup::all_roles) {
    LayerHyperParams const r = smup::layer_hyperparams<P>(hp, base, 128, ratio{1}, role);
    double const lr = role == Role::hidden ? hp.eta : hp.eta * hp.lr_mult_non_hidden;
    double const alpha = role == Role::input    ? hp.alpha_in
                         : role == Role::output ? hp.alpha_out
                                                : 1.0;
    double const init_std = smup::is_matrix(role) ? hp.sigma : 0.0;
    if (r.init_std != init_std || r.lr_adam != lr || r.lr_sgd != lr || r.multiplier != alpha)
      return false;
    if (r.width_multiplier != ratio{1} || r.density_multiplier != ratio{1}) return false;
  }
  return true;
}
static_assert(base_values_at_base_shape<smup::SP>());
static_assert(base_values_at_base_shape<smup::MuP>());
static_assert(base_values_at_base_shape<smup::SMuP>());

// A sparse base: m_rho = rho / rho_base (1/8 over 1/2 = 1/4), m_d = 512 / 256 = 2.
constexpr smup::BaseShape sparse_base{.width = 256, .density = {1, 2}};
constexpr LayerHyperParams sparse_row =
    smup::layer_hyperparams<smup::SMuP>(hp, sparse_base, 512, ratio{1, 8}, Role::hidden);
static_assert(sparse_row.density_multiplier == ratio{1, 4} &&
              sparse_row.width_multiplier == ratio{2});
static_assert(sparse_row.lr_adam == 0x1p-8 && sparse_row.lr_sgd == 0x1p-7);
static_assert(close(sparse_row.init_std, 0.05 * sqrt2));
// Denser than the base is a valid transfer too (m_rho = 2).
static_assert(smup::layer_hyperparams<smup::SMuP>(hp, sparse_base, 256, ratio{1}, Role::hidden)
                  .lr_adam == 0x1p-10);

// Weight decay reaches biases and gains only when asked.
constexpr HyperParams decay_all{.weight_decay = 0.25, .decay_biases_and_gains = true};
static_assert(smup::layer_hyperparams<smup::SMuP>(decay_all, base, 512, ratio{1}, Role::bias)
                  .weight_decay == 0.25);
static_assert(smup::layer_hyperparams<smup::SMuP>(decay_all, base, 512, ratio{1}, Role::norm_gain)
                  .weight_decay == 0.25);

// AdamW's decay rate per policy, for the hidden row (Adam lr 2^-8, base lr 2^-9) and the
// input row (lr 2^-7 at every width): coupled follows the tensor's rate, base_coupled
// the base shape's, independent is 1. By default SP couples, muP and SmuP base-couple.
template <class P> constexpr LayerHyperParams row_with(smup::WeightDecayPolicy policy, Role role) {
  HyperParams h = hp;
  h.weight_decay_policy = policy;
  return smup::layer_hyperparams<P>(h, base, 1024, role == Role::hidden ? ratio{1, 16} : ratio{1},
                                    role);
}
using enum smup::WeightDecayPolicy;
static_assert(row_with<smup::SMuP>(coupled, Role::hidden).decay_rate == 0x1p-8);
static_assert(row_with<smup::SMuP>(base_coupled, Role::hidden).decay_rate == 0x1p-9);
static_assert(row_with<smup::SMuP>(independent, Role::hidden).decay_rate == 1.0);
static_assert(row_with<smup::SMuP>(coupled, Role::input).decay_rate == 0x1p-7);
static_assert(row_with<smup::SMuP>(base_coupled, Role::input).decay_rate == 0x1p-7);
static_assert(row_with<smup::SMuP>(by_parameterization, Role::hidden).weight_decay_policy ==
              base_coupled);
static_assert(row_with<smup::MuP>(by_parameterization, Role::hidden).weight_decay_policy ==
              base_coupled);
static_assert(row_with<smup::MuP>(by_parameterization, Role::hidden).decay_rate == 0x1p-9);
static_assert(row_with<smup::SP>(by_parameterization, Role::hidden).weight_decay_policy == coupled);
static_assert(row_with<smup::SP>(by_parameterization, Role::hidden).decay_rate == 0x1p-9);
// At the base shape coupled and base_coupled agree for every role.
static_assert([] {
  for (Role role : smup::all_roles) {
    HyperParams c = hp, b = hp;
    c.weight_decay_policy = coupled;
    b.weight_decay_policy = base_coupled;
    if (smup::layer_hyperparams<smup::SMuP>(c, base, 128, ratio{1}, role).decay_rate !=
        smup::layer_hyperparams<smup::SMuP>(b, base, 128, ratio{1}, role).decay_rate)
      return false;
  }
  return true;
}());

// Negative: bad shapes and values are not constant expressions.
static_assert(constant_evaluable<decltype([] {
  return smup::layer_hyperparams<smup::SMuP>(hp, base, 1024, ratio{1}, Role::input);
})>);
static_assert(!constant_evaluable<decltype([] {
  return smup::layer_hyperparams<smup::SMuP>(hp, base, 1024, ratio{1, 2}, Role::input);
})>);
static_assert(!constant_evaluable<decltype([] {
  return smup::layer_hyperparams<smup::SMuP>(hp, base, 1024, ratio{1, 2}, Role::output);
})>);
static_assert(!constant_evaluable<decltype([] {
  return smup::layer_hyperparams<smup::SMuP>(hp, base, 1024, ratio{1, 2}, Role::bias);
})>);
static_assert(!constant_evaluable<decltype([] {
  return smup::layer_hyperparams<smup::SMuP>(hp, base, 1024, ratio{0}, Role::hidden);
})>);
static_assert(!constant_evaluable<decltype([] {
  return smup::layer_hyperparams<smup::SMuP>(hp, base, 1024, ratio{3, 2}, Role::hidden);
})>);
static_assert(!constant_evaluable<decltype([] {
  return smup::layer_hyperparams<smup::SMuP>(hp, base, 0, ratio{1}, Role::hidden);
})>);
static_assert(!constant_evaluable<decltype([] {
  return smup::layer_hyperparams<smup::SMuP>(hp, smup::BaseShape{}, 1024, ratio{1}, Role::hidden);
})>);
static_assert(!constant_evaluable<decltype([] {
  return smup::layer_hyperparams<smup::SP>(HyperParams{.eta = 0}, base, 128, ratio{1}, Role::bias);
})>);
static_assert(!constant_evaluable<decltype([] {
  return smup::hp_table<smup::SMuP, 2>(HyperParams{.sigma = 0}, base, target);
})>);
static_assert(!constant_evaluable<decltype([] {
  return smup::hp_table<smup::MuP, 2>(hp, base, {.width = 1024, .density = {0}});
})>);

// Only parameterizations are accepted.
struct NotTagged {};
template <class P>
concept tabulable = requires {
  smup::hp_table<P, 1>(hp, base, target);
};
static_assert(tabulable<smup::SMuP> && !tabulable<NotTagged>);

} // namespace
