// SMUP_EXPECT_ERROR: smup::Monomial learning_rate\(smup::Role, smup::OptimizerFamily\)' is missing
#include <string_view>

#include <smup/parameterization/concepts.hpp>

// Present but not constexpr: the compiler could not check it, so it is refused.
struct RuntimeLearningRate {
  using parameterization_concept = smup::parameterization_tag;
  static constexpr std::string_view name = "RuntimeLearningRate";
  static constexpr smup::Monomial init_variance(smup::Role) { return {}; }
  static smup::Monomial learning_rate(smup::Role, smup::OptimizerFamily) { return {}; }
  static constexpr smup::Monomial multiplier(smup::Role) { return {}; }
  static constexpr smup::ratio attention_logit_exponent{-1};
};

static_assert(smup::check_parameterization<RuntimeLearningRate>());
