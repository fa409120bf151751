#pragma once
/// smup::WeightDecayPolicy: how AdamW's decoupled weight decay scales from tensor to
/// tensor, and the parameterization's default.
///
///     static_assert(smup::resolved_weight_decay_policy<smup::SMuP>(
///                       smup::WeightDecayPolicy::by_parameterization) ==
///                   smup::WeightDecayPolicy::base_coupled);

#include <concepts>
#include <string_view>

namespace smup {

/// How AdamW's decoupled weight decay scales from tensor to tensor. Each shrinks a
/// weight by rate * weight_decay * w per step (times the schedule); they differ in the
/// rate. At the base shape the first two agree, so a wd tuned there keeps its value.
/// docs/weight_decay.md compares them with microsoft/mup and measures which one keeps
/// the optimal weight decay in place across width and density.
enum class WeightDecayPolicy {
  /// The parameterization's own choice (Parameterization::weight_decay_policy, else
  /// coupled): coupled for SP, base_coupled for muP and SmuP.
  by_parameterization,
  /// PyTorch AdamW: rate = the tensor's learning rate. Under muP / SmuP a hidden
  /// matrix then decays m_d * m_rho times less per step than at the base shape.
  coupled,
  /// rate = the learning rate the tensor would have at the base shape (eta times the
  /// role's factor), whatever the width and density: the per-step decay of the base
  /// model at every size. microsoft/mup's MuAdamW does this for width (it multiplies
  /// weight_decay by m_d where it divides the learning rate by m_d).
  base_coupled,
  /// rate = 1: the decay per step is weight_decay itself, for every tensor, whatever
  /// eta (Loshchilov & Hutter's fully decoupled form).
  independent,
};

[[nodiscard]] constexpr std::string_view to_string(WeightDecayPolicy policy) {
  switch (policy) {
  case WeightDecayPolicy::by_parameterization: return "by_parameterization";
  case WeightDecayPolicy::coupled: return "coupled";
  case WeightDecayPolicy::base_coupled: return "base_coupled";
  case WeightDecayPolicy::independent: return "independent";
  }
  return "unknown";
}

/// The policy `requested` stands for under P: itself, unless it defers to P.
template <class P>
constexpr WeightDecayPolicy resolved_weight_decay_policy(WeightDecayPolicy requested) {
  if (requested != WeightDecayPolicy::by_parameterization) return requested;
  if constexpr (requires {
                  { P::weight_decay_policy } -> std::convertible_to<WeightDecayPolicy>;
                }) {
    static_assert(P::weight_decay_policy != WeightDecayPolicy::by_parameterization,
                  "smup: a parameterization's weight_decay_policy must name a policy (coupled, "
                  "base_coupled or independent), not defer to itself.");
    return P::weight_decay_policy;
  } else {
    return WeightDecayPolicy::coupled;
  }
}

} // namespace smup
