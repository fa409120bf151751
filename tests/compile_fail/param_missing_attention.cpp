// SMUP_EXPECT_ERROR: the rule 'static constexpr smup::ratio attention_logit_exponent' is missing
#include <string_view>

#include <smup/parameterization/concepts.hpp>

struct NoAttention {
  using parameterization_concept = smup::parameterization_tag;
  static constexpr std::string_view name = "NoAttention";
  static constexpr smup::Monomial init_variance(smup::Role) { return {}; }
  static constexpr smup::Monomial learning_rate(smup::Role, smup::OptimizerFamily) { return {}; }
  static constexpr smup::Monomial multiplier(smup::Role) { return {}; }
};

static_assert(smup::check_parameterization<NoAttention>());
