#pragma once
/// smup::MuP, the maximal update parameterization (Yang & Hu; Yang et al., muTransfer):
/// hidden init variance and Adam learning rate shrink as 1/m_d, the readout is
/// multiplied by 1/m_d, attention logits are scaled by 1/d_head. Width-stable,
/// but hidden activations vanish as density falls.
///
///     static_assert(smup::MuP::init_variance(smup::Role::hidden) == smup::inverse(smup::m_d));

#include <string_view>

#include <smup/core/monomial.hpp>
#include <smup/core/ratio.hpp>
#include <smup/core/role.hpp>
#include <smup/parameterization/concepts.hpp>
#include <smup/parameterization/weight_decay_policy.hpp>

namespace smup {

struct MuP {
  using parameterization_concept = parameterization_tag;
  static constexpr std::string_view name = "muP";

  static constexpr Monomial init_variance(Role role) {
    return role == Role::hidden ? inverse(m_d) : unit_scaling;
  }

  static constexpr Monomial learning_rate(Role role, OptimizerFamily family) {
    if (family == OptimizerFamily::adam) return role == Role::hidden ? inverse(m_d) : unit_scaling;
    // SGD: hidden lr = eta * fan_out_mult / fan_in_mult = eta, and so is the readout
    // bias's, whose outputs are the logits themselves; every other tensor feeds a
    // width-sized output with a 1/m_d gradient, so it needs eta * m_d.
    return role == Role::hidden || role == Role::output_bias ? unit_scaling : m_d;
  }

  static constexpr Monomial multiplier(Role role) {
    return role == Role::output ? inverse(m_d) : unit_scaling;
  }

  /// Weight decay keeps the base model's per-step decay at every size, as
  /// microsoft/mup's MuAdamW does (docs/weight_decay.md measures why).
  static constexpr WeightDecayPolicy weight_decay_policy = WeightDecayPolicy::base_coupled;

  static constexpr ratio attention_logit_exponent{-1};
};

} // namespace smup
