// SMUP_EXPECT_ERROR: rule 'static constexpr smup::Monomial init_variance\(smup::Role\)' is missing
#include <string_view>

#include <smup/parameterization/concepts.hpp>

struct NoInitVariance {
  using parameterization_concept = smup::parameterization_tag;
  static constexpr std::string_view name = "NoInitVariance";
  static constexpr smup::Monomial learning_rate(smup::Role, smup::OptimizerFamily) { return {}; }
  static constexpr smup::Monomial multiplier(smup::Role) { return {}; }
  static constexpr smup::ratio attention_logit_exponent{-1};
};

static_assert(smup::check_parameterization<NoInitVariance>());
