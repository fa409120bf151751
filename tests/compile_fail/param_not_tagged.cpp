// SMUP_EXPECT_ERROR: smup::Parameterization: the type does not opt in\. A parameterization declares
#include <string_view>

#include <smup/parameterization/concepts.hpp>

// Every rule present, but no parameterization_concept member alias.
struct Untagged {
  static constexpr std::string_view name = "Untagged";
  static constexpr smup::Monomial init_variance(smup::Role) { return {}; }
  static constexpr smup::Monomial learning_rate(smup::Role, smup::OptimizerFamily) { return {}; }
  static constexpr smup::Monomial multiplier(smup::Role) { return {}; }
  static constexpr smup::ratio attention_logit_exponent{-1};
};

static_assert(smup::check_parameterization<Untagged>());
