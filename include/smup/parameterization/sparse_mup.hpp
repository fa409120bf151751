#pragma once
/// smup::SMuP, the sparse maximal update parameterization (Dey et al., 2024):
/// muP with density entering like width in the hidden rows. A sparse hidden
/// matrix of density rho behaves like a dense one of fan-in rho * fan_in, so its
/// init variance and Adam learning rate shrink as 1/(m_d * m_rho) and its SGD
/// learning rate as 1/m_rho. Stable in width and in density.
///
///     static_assert(smup::SMuP::init_variance(smup::Role::hidden) ==
///                   smup::inverse(smup::m_d * smup::m_rho));

#include <string_view>

#include <smup/core/monomial.hpp>
#include <smup/core/ratio.hpp>
#include <smup/core/role.hpp>
#include <smup/parameterization/concepts.hpp>
#include <smup/parameterization/mup.hpp>
#include <smup/parameterization/weight_decay_policy.hpp>

namespace smup {

struct SMuP {
  using parameterization_concept = parameterization_tag;
  static constexpr std::string_view name = "SmuP";

  static constexpr Monomial init_variance(Role role) {
    return role == Role::hidden ? inverse(m_d * m_rho) : MuP::init_variance(role);
  }

  static constexpr Monomial learning_rate(Role role, OptimizerFamily family) {
    if (role != Role::hidden) return MuP::learning_rate(role, family);
    return family == OptimizerFamily::adam ? inverse(m_d * m_rho) : inverse(m_rho);
  }

  static constexpr Monomial multiplier(Role role) { return MuP::multiplier(role); }

  /// As muP: the base model's per-step decay at every width and density.
  static constexpr WeightDecayPolicy weight_decay_policy = MuP::weight_decay_policy;

  static constexpr ratio attention_logit_exponent = MuP::attention_logit_exponent;
};

} // namespace smup
