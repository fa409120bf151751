// The compile-time stability analysis: verdicts, report contents, user policies.
#include <smup/parameterization/stability.hpp>

#include <smup/core/monomial.hpp>
#include <smup/core/ratio.hpp>
#include <smup/core/role.hpp>
#include <smup/parameterization/concepts.hpp>
#include <smup/parameterization/mup.hpp>
#include <smup/parameterization/sp.hpp>
#include <smup/parameterization/sparse_mup.hpp>

#include <string_view>

namespace {

using smup::Monomial;
using smup::OptimizerFamily;
using smup::ratio;
using smup::Role;
using smup::ScalingAxis;
using smup::StabilityQuantity;

// The verdicts of docs/stability.md section 5.
static_assert(smup::is_width_stable_v<smup::SMuP> && smup::is_density_stable_v<smup::SMuP>);
static_assert(smup::is_width_stable_v<smup::MuP> && !smup::is_density_stable_v<smup::MuP>);
static_assert(!smup::is_width_stable_v<smup::SP> && !smup::is_density_stable_v<smup::SP>);
static_assert(smup::assert_stable<smup::SMuP>());

// SmuP: nothing to report.
constexpr smup::StabilityReport smup_report = smup::stability_report<smup::SMuP>();
static_assert(smup_report.stable() && smup_report.issue_count == 0);

// muP: hidden activations at init shrink like m_rho^(1/2); fix: init variance * m_rho^-1.
// Also broken: hidden Adam and SGD updates, both like m_rho.
constexpr smup::StabilityReport mup_report = smup::stability_report<smup::MuP>();
static_assert(mup_report.width_stable && !mup_report.density_stable && !mup_report.stable());
static_assert(mup_report.issue_count == 3);
static_assert(mup_report.first_issue.role == Role::hidden);
static_assert(mup_report.first_issue.quantity == StabilityQuantity::activation_at_init);
static_assert(mup_report.first_issue.axis == ScalingAxis::density);
static_assert(mup_report.first_issue.exponent == ratio{1, 2});
static_assert(mup_report.first_issue.fix == ratio{-1});
static_assert(mup_report.first_issue.rule == "init variance");

// SP: hidden activation, Adam and SGD updates in width and density (6) and the
// readout's activation, Adam and SGD updates in width (3).
constexpr smup::StabilityReport sp_report = smup::stability_report<smup::SP>();
static_assert(!sp_report.width_stable && !sp_report.density_stable);
static_assert(sp_report.issue_count == 9);
static_assert(sp_report.first_issue.role == Role::hidden);
static_assert(sp_report.first_issue.quantity == StabilityQuantity::activation_at_init);
static_assert(sp_report.first_issue.axis == ScalingAxis::width);
static_assert(sp_report.first_issue.exponent == ratio{1, 2});
static_assert(sp_report.first_issue.fix == ratio{-1});
static_assert(sp_report.first_issue.rule == "init variance");

// The labels used in the diagnostics.
static_assert(smup::to_string(StabilityQuantity::activation_at_init) == "activation at init");
static_assert(smup::to_string(StabilityQuantity::adam_update) ==
              "output change after one Adam step");
static_assert(smup::to_string(StabilityQuantity::sgd_update) == "output change after one SGD step");
static_assert(smup::to_string(static_cast<StabilityQuantity>(9)) == "unknown");
static_assert(smup::to_string(ScalingAxis::width) == "width");
static_assert(smup::to_string(ScalingAxis::density) == "density");

// A different stable policy: unit init variance for hidden matrices, the scale
// moved into the forward multiplier (an abc-symmetry of SmuP). The analysis must
// accept it, not just recognise SmuP.
struct UnitInitSMuP {
  using parameterization_concept = smup::parameterization_tag;
  static constexpr std::string_view name = "UnitInitSMuP";
  static constexpr Monomial half_inv = smup::pow(smup::m_d * smup::m_rho, ratio{-1, 2});
  static constexpr Monomial init_variance(Role r) {
    return r == Role::hidden ? smup::unit_scaling : smup::SMuP::init_variance(r);
  }
  static constexpr Monomial learning_rate(Role r, OptimizerFamily f) {
    if (r != Role::hidden) return smup::SMuP::learning_rate(r, f);
    return f == OptimizerFamily::adam ? half_inv : smup::m_d;
  }
  static constexpr Monomial multiplier(Role r) {
    return r == Role::hidden ? half_inv : smup::SMuP::multiplier(r);
  }
  static constexpr ratio attention_logit_exponent{-1};
};
static_assert(smup::is_width_stable_v<UnitInitSMuP> && smup::is_density_stable_v<UnitInitSMuP>);
static_assert(smup::stability_report<UnitInitSMuP>().issue_count == 0);
static_assert(smup::assert_stable<UnitInitSMuP>());

// A readout initialised near zero (variance / m_d^2) may vanish at init; the
// backward signal then shrinks by m_d^-2, so the SGD rates of the layers below
// grow by m_d. Stable: the readout's activation is only required to be <= 0.
struct SmallReadout {
  using parameterization_concept = smup::parameterization_tag;
  static constexpr std::string_view name = "SmallReadout";
  static constexpr Monomial init_variance(Role r) {
    return r == Role::output ? smup::inverse(smup::m_d * smup::m_d) : smup::SMuP::init_variance(r);
  }
  static constexpr Monomial learning_rate(Role r, OptimizerFamily f) {
    bool const below_readout =
        r != Role::output && r != Role::output_bias && f == OptimizerFamily::sgd;
    return below_readout ? smup::SMuP::learning_rate(r, f) * smup::m_d
                         : smup::SMuP::learning_rate(r, f);
  }
  static constexpr Monomial multiplier(Role r) { return smup::SMuP::multiplier(r); }
  static constexpr ratio attention_logit_exponent{-1};
};
static_assert(smup::stability_report<SmallReadout>().stable());
static_assert(smup::assert_stable<SmallReadout>());

// Negative: the documented mistake, forgetting m_rho in the hidden Adam rate.
struct ForgotDensity {
  using parameterization_concept = smup::parameterization_tag;
  static constexpr std::string_view name = "ForgotDensity";
  static constexpr Monomial init_variance(Role r) { return smup::SMuP::init_variance(r); }
  static constexpr Monomial learning_rate(Role r, OptimizerFamily f) {
    return r == Role::hidden && f == OptimizerFamily::adam ? smup::inverse(smup::m_d)
                                                           : smup::SMuP::learning_rate(r, f);
  }
  static constexpr Monomial multiplier(Role r) { return smup::SMuP::multiplier(r); }
  static constexpr ratio attention_logit_exponent{-1};
};
constexpr smup::StabilityReport forgot_density = smup::stability_report<ForgotDensity>();
static_assert(forgot_density.width_stable && !forgot_density.density_stable);
static_assert(forgot_density.issue_count == 1);
static_assert(forgot_density.first_issue.role == Role::hidden);
static_assert(forgot_density.first_issue.quantity == StabilityQuantity::adam_update);
static_assert(forgot_density.first_issue.axis == ScalingAxis::density);
static_assert(forgot_density.first_issue.exponent == ratio{1});
static_assert(forgot_density.first_issue.fix == ratio{-1});
static_assert(forgot_density.first_issue.rule == "learning rate");

// Negative: a readout that grows at init is caught even though it may vanish.
struct LoudReadout : ForgotDensity {
  static constexpr std::string_view name = "LoudReadout";
  static constexpr Monomial learning_rate(Role r, OptimizerFamily f) {
    return smup::SMuP::learning_rate(r, f);
  }
  static constexpr Monomial init_variance(Role r) {
    return r == Role::output ? smup::m_d * smup::m_d : smup::SMuP::init_variance(r);
  }
};
constexpr smup::StabilityReport loud = smup::stability_report<LoudReadout>();
static_assert(!loud.width_stable && loud.density_stable);
// The readout's own activation (exponent 1/2) is not the first: its larger init
// also changes the backward signal, which breaks the input layer's SGD step first.
static_assert(loud.first_issue.role == Role::input);
static_assert(loud.first_issue.quantity == StabilityQuantity::sgd_update);
static_assert(loud.first_issue.exponent == ratio{1} && loud.first_issue.fix == ratio{-1});

// Negative: bias learning rates are checked too (Adam needs eta = 0 there).
struct FastBias : ForgotDensity {
  static constexpr Monomial learning_rate(Role r, OptimizerFamily f) {
    return r == Role::bias && f == OptimizerFamily::adam ? smup::m_d
                                                         : smup::SMuP::learning_rate(r, f);
  }
};
constexpr smup::StabilityReport fast_bias = smup::stability_report<FastBias>();
static_assert(fast_bias.issue_count == 1 && fast_bias.first_issue.role == Role::bias);
static_assert(fast_bias.first_issue.quantity == StabilityQuantity::adam_update);
static_assert(fast_bias.first_issue.fix == ratio{-1});

// Negative: the readout bias trained at eta * m_d under SGD, as a width-sized bias would
// be, grows its logits' change with width.
struct WidthSizedReadoutBias : ForgotDensity {
  static constexpr std::string_view name = "WidthSizedReadoutBias";
  static constexpr Monomial learning_rate(Role r, OptimizerFamily f) {
    return r == Role::output_bias && f == OptimizerFamily::sgd ? smup::m_d
                                                               : smup::SMuP::learning_rate(r, f);
  }
};
constexpr smup::StabilityReport readout_bias = smup::stability_report<WidthSizedReadoutBias>();
static_assert(readout_bias.issue_count == 1 && !readout_bias.width_stable);
static_assert(readout_bias.first_issue.role == Role::output_bias);
static_assert(readout_bias.first_issue.quantity == StabilityQuantity::sgd_update);
static_assert(readout_bias.first_issue.exponent == ratio{1} &&
              readout_bias.first_issue.fix == ratio{-1});

// Not a parameterization: no report at all (the constraint rejects it).
struct NotTagged {};
template <class P>
concept reportable = requires {
  smup::stability_report<P>();
};
static_assert(reportable<smup::SP> && !reportable<NotTagged> && !reportable<int>);

} // namespace
