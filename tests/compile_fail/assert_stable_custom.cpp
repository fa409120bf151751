// SMUP_EXPECT_ERROR: Adam step scales as m_d\^\(1\).*Multiply the hidden learning rate rule
#include <string_view>

#include <smup/parameterization/sparse_mup.hpp>
#include <smup/parameterization/stability.hpp>

// SmuP with the width factor forgotten in the hidden Adam learning rate.
struct ForgotWidth {
  using parameterization_concept = smup::parameterization_tag;
  static constexpr std::string_view name = "ForgotWidth";
  static constexpr smup::Monomial init_variance(smup::Role r) {
    return smup::SMuP::init_variance(r);
  }
  static constexpr smup::Monomial learning_rate(smup::Role r, smup::OptimizerFamily f) {
    return r == smup::Role::hidden && f == smup::OptimizerFamily::adam
               ? smup::inverse(smup::m_rho)
               : smup::SMuP::learning_rate(r, f);
  }
  static constexpr smup::Monomial multiplier(smup::Role r) { return smup::SMuP::multiplier(r); }
  static constexpr smup::ratio attention_logit_exponent{-1};
};

static_assert(smup::assert_stable<ForgotWidth>());
