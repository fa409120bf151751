// A readout tied to the embedding under a parameterization whose output role has its
// own init (muP's Table 3 form) does not compile: one table cannot follow two rules.
// SMUP_EXPECT_ERROR: smup::TiedReadout: the parameterization gives its input and output roles
#include <string_view>

#include <smup/layers/tied_readout.hpp>
#include <smup/parameterization/mup.hpp>

struct MuPTable3 {
  using parameterization_concept = smup::parameterization_tag;
  static constexpr std::string_view name = "muP (Table 3)";
  static constexpr smup::Monomial init_variance(smup::Role r) {
    return r == smup::Role::output ? smup::inverse(smup::m_d * smup::m_d)
                                   : smup::MuP::init_variance(r);
  }
  static constexpr smup::Monomial learning_rate(smup::Role r, smup::OptimizerFamily f) {
    return r == smup::Role::output ? smup::inverse(smup::m_d) : smup::MuP::learning_rate(r, f);
  }
  static constexpr smup::Monomial multiplier(smup::Role) { return smup::unit_scaling; }
  static constexpr smup::ratio attention_logit_exponent{-1};
};

void tie(smup::Embedding<MuPTable3> const& embedding) {
  smup::TiedReadout<MuPTable3> readout(embedding, {.width = 64}, {});
}
