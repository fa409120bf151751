// SMUP_EXPECT_ERROR: smup::Monomial learning_rate\(smup::Role, smup::OptimizerFamily\)' is missing
#include <string_view>

#include <smup/parameterization/concepts.hpp>
#include <smup/parameterization/stability.hpp>

struct NoLearningRate {
  using parameterization_concept = smup::parameterization_tag;
  static constexpr std::string_view name = "NoLearningRate";
  static constexpr smup::Monomial init_variance(smup::Role) { return {}; }
  static constexpr smup::Monomial multiplier(smup::Role) { return {}; }
  static constexpr smup::ratio attention_logit_exponent{-1};
};

// Through assert_stable: it checks the policy before analysing it.
static_assert(smup::assert_stable<NoLearningRate>());
