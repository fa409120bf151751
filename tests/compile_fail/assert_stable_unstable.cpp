// SMUP_EXPECT_ERROR: smup::assert_stable: the parameterization is not stable in width and density
#include <string_view>

#include <smup/parameterization/sparse_mup.hpp>
#include <smup/parameterization/stability.hpp>

// SmuP with an SP-style readout (no 1/m_d multiplier): logits grow with width.
struct LoudReadout {
  using parameterization_concept = smup::parameterization_tag;
  static constexpr std::string_view name = "LoudReadout";
  static constexpr smup::Monomial init_variance(smup::Role r) {
    return smup::SMuP::init_variance(r);
  }
  static constexpr smup::Monomial learning_rate(smup::Role r, smup::OptimizerFamily f) {
    return smup::SMuP::learning_rate(r, f);
  }
  static constexpr smup::Monomial multiplier(smup::Role) { return smup::unit_scaling; }
  static constexpr smup::ratio attention_logit_exponent{-1};
};

static_assert(smup::assert_stable<LoudReadout>());
