// Which parameterizations can tie the readout to the embedding: those whose input and
// output roles share init variance and learning rates (the multipliers may differ).
#include <smup/parameterization/weight_tying.hpp>

#include <smup/parameterization/mup.hpp>
#include <smup/parameterization/sp.hpp>
#include <smup/parameterization/sparse_mup.hpp>

#include <string_view>

namespace {

using smup::OptimizerFamily;
using smup::Role;

// muP in Tensor Programs V's Table 3 form: no readout multiplier, so the readout's
// init variance and learning rates carry the 1/m_d instead.
struct MuPTable3 {
  using parameterization_concept = smup::parameterization_tag;
  static constexpr std::string_view name = "muP (Table 3)";
  static constexpr smup::Monomial init_variance(Role r) {
    return r == Role::output ? smup::inverse(smup::m_d * smup::m_d) : smup::MuP::init_variance(r);
  }
  static constexpr smup::Monomial learning_rate(Role r, OptimizerFamily f) {
    return r == Role::output ? smup::inverse(smup::m_d) : smup::MuP::learning_rate(r, f);
  }
  static constexpr smup::Monomial multiplier(Role) { return smup::unit_scaling; }
  static constexpr smup::ratio attention_logit_exponent{-1};
};

// Differs from the input role in the SGD learning rate only.
struct ReadoutSgdOnly {
  using parameterization_concept = smup::parameterization_tag;
  static constexpr std::string_view name = "readout SGD differs";
  static constexpr smup::Monomial init_variance(Role r) { return smup::MuP::init_variance(r); }
  static constexpr smup::Monomial learning_rate(Role r, OptimizerFamily f) {
    return r == Role::output && f == OptimizerFamily::sgd ? smup::unit_scaling
                                                          : smup::MuP::learning_rate(r, f);
  }
  static constexpr smup::Monomial multiplier(Role r) { return smup::MuP::multiplier(r); }
  static constexpr smup::ratio attention_logit_exponent{-1};
};

static_assert(smup::ties_input_and_output<smup::SP>);
static_assert(smup::ties_input_and_output<smup::MuP>); // the readout's 1/m_d is a multiplier
static_assert(smup::ties_input_and_output<smup::SMuP>);
static_assert(smup::Parameterization<MuPTable3>);
static_assert(!smup::ties_input_and_output<MuPTable3>);
static_assert(!smup::ties_input_and_output<ReadoutSgdOnly>);

} // namespace
