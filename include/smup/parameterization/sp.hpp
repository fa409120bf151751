#pragma once
/// smup::SP, standard parameterization: the base values are used as they are at
/// every width and density. It is the control against which muP and SmuP are
/// measured; it is neither width- nor density-stable.
///
///     auto row = smup::layer_hyperparams<smup::SP>(base_hps, base_shape, target,
///     smup::Role::hidden);

#include <string_view>

#include <smup/core/monomial.hpp>
#include <smup/core/ratio.hpp>
#include <smup/core/role.hpp>
#include <smup/parameterization/concepts.hpp>

namespace smup {

struct SP {
  using parameterization_concept = parameterization_tag;
  static constexpr std::string_view name = "SP";

  static constexpr Monomial init_variance(Role) { return unit_scaling; }
  static constexpr Monomial learning_rate(Role, OptimizerFamily) { return unit_scaling; }
  static constexpr Monomial multiplier(Role) { return unit_scaling; }
  static constexpr ratio attention_logit_exponent{-1, 2};
};

} // namespace smup
