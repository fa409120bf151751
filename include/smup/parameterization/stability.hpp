#pragma once
/// The stability analysis of a parameterization, computed by the compiler.
///
/// Every rule is a monomial m_d^a * m_rho^b, so the scaling of any activation or
/// update is a pair of exponents. Propagating them through the canonical
/// network input -> hidden -> output (docs/stability.md derives each line)
/// gives the conditions, per matrix role with effective fan-in exponent F,
/// init-variance exponent v, multiplier exponent mu and learning-rate exponent eta:
///
///   activation at init      v/2 + F/2 + mu = 0   (readout: <= 0, it may vanish)
///   output change, Adam     eta + mu + F   = 0
///   output change, SGD      eta + 2 mu + delta + F = 0
///
/// where delta (the loss gradient at the layer's output) is 0 at the readout and
/// mu_out + v_out/2 elsewhere. Biases and norm gains need eta = 0 (Adam) and
/// eta + delta = 0 (SGD); the readout bias, whose delta is 0, needs eta = 0 for both.
/// A parameterization is width-stable when every width exponent satisfies its
/// condition, density-stable when every density exponent does.
///
///     static_assert(smup::is_width_stable_v<smup::MuP> && !smup::is_density_stable_v<smup::MuP>);
///     constexpr auto report = smup::stability_report<smup::SP>();  // names the first failure

#include <array>
#include <cstddef>
#include <string_view>

#include <smup/core/monomial.hpp>
#include <smup/core/ratio.hpp>
#include <smup/core/role.hpp>
#include <smup/core/text.hpp>
#include <smup/parameterization/concepts.hpp>

namespace smup {

/// The quantity whose scaling a stability condition constrains.
enum class StabilityQuantity { activation_at_init, adam_update, sgd_update };
/// The direction in which the model grows: wider (m_d) or sparser (m_rho).
enum class ScalingAxis { width, density };

[[nodiscard]] constexpr std::string_view to_string(StabilityQuantity q) {
  switch (q) {
  case StabilityQuantity::activation_at_init: return "activation at init";
  case StabilityQuantity::adam_update: return "output change after one Adam step";
  case StabilityQuantity::sgd_update: return "output change after one SGD step";
  }
  return "unknown";
}
[[nodiscard]] constexpr std::string_view to_string(ScalingAxis a) {
  return a == ScalingAxis::width ? "width" : "density";
}

/// One broken condition: `exponent` is how the quantity scales along `axis`
/// (it should be 0), `fix` the exponent to multiply the offending rule by.
struct StabilityIssue {
  Role role = Role::hidden;
  StabilityQuantity quantity = StabilityQuantity::activation_at_init;
  ScalingAxis axis = ScalingAxis::width;
  ratio exponent{0};
  ratio fix{0};
  /// Which rule the fix applies to: "init variance" or "learning rate".
  std::string_view rule = "";
};

struct StabilityReport {
  bool width_stable = true;
  bool density_stable = true;
  int issue_count = 0;
  StabilityIssue first_issue{}; ///< meaningful when issue_count > 0
  [[nodiscard]] constexpr bool stable() const { return width_stable && density_stable; }
};

namespace detail {

/// Effective fan-in exponents: finite for the input layer, rho * d for a hidden
/// (possibly sparse) matrix, d for the dense readout.
constexpr Monomial effective_fan_in(Role role) {
  switch (role) {
  case Role::hidden: return m_d * m_rho;
  case Role::output: return m_d;
  default: return unit_scaling;
  }
}

struct stability_collector {
  StabilityReport report{};

  // `residual` should be 0 on each axis (or <= 0 when only growth is harmful);
  // `fix_factor` converts the residual into the exponent that repairs `rule`.
  constexpr void expect(Role role, StabilityQuantity quantity, Monomial residual, bool may_vanish,
                        ratio fix_factor, std::string_view rule) {
    check(role, quantity, ScalingAxis::width, residual.width, may_vanish, fix_factor, rule);
    check(role, quantity, ScalingAxis::density, residual.density, may_vanish, fix_factor, rule);
  }

  constexpr void check(Role role, StabilityQuantity quantity, ScalingAxis axis, ratio exponent,
                       bool may_vanish, ratio fix_factor, std::string_view rule) {
    bool const ok = may_vanish ? exponent <= ratio{0} : exponent == ratio{0};
    if (ok) return;
    (axis == ScalingAxis::width ? report.width_stable : report.density_stable) = false;
    if (report.issue_count++ == 0)
      report.first_issue = {role, quantity, axis, exponent, -exponent * fix_factor, rule};
  }
};

} // namespace detail

/// The full verdict for P; the first broken condition is kept for diagnostics.
template <Parameterization P> constexpr StabilityReport stability_report() {
  using enum Role;
  using enum StabilityQuantity;
  detail::stability_collector c;

  // Loss gradient at a width-sized output, set by the readout that consumes it.
  Monomial const delta_width_sized = P::multiplier(output) * sqrt(P::init_variance(output));

  for (Role role : {input, hidden, output}) {
    Monomial const v = P::init_variance(role);
    Monomial const mu = P::multiplier(role);
    Monomial const fan_in = detail::effective_fan_in(role);
    Monomial const delta = role == output ? unit_scaling : delta_width_sized;
    Monomial const eta_adam = P::learning_rate(role, OptimizerFamily::adam);
    Monomial const eta_sgd = P::learning_rate(role, OptimizerFamily::sgd);

    // Init variance enters the activation through its square root, so the
    // variance must move by twice the residual.
    c.expect(role, activation_at_init, sqrt(v) * sqrt(fan_in) * mu, role == output, ratio{2},
             "init variance");
    c.expect(role, adam_update, eta_adam * mu * fan_in, false, ratio{1}, "learning rate");
    c.expect(role, sgd_update, eta_sgd * mu * mu * delta * fan_in, false, ratio{1},
             "learning rate");
  }
  for (Role role : {bias, norm_gain}) {
    c.expect(role, adam_update, P::learning_rate(role, OptimizerFamily::adam), false, ratio{1},
             "learning rate");
    c.expect(role, sgd_update, P::learning_rate(role, OptimizerFamily::sgd) * delta_width_sized,
             false, ratio{1}, "learning rate");
  }
  // The readout bias adds to the logits directly: the loss gradient there is Theta(1).
  c.expect(output_bias, adam_update, P::learning_rate(output_bias, OptimizerFamily::adam), false,
           ratio{1}, "learning rate");
  c.expect(output_bias, sgd_update, P::learning_rate(output_bias, OptimizerFamily::sgd), false,
           ratio{1}, "learning rate");
  return c.report;
}

template <Parameterization P>
inline constexpr bool is_width_stable_v = stability_report<P>().width_stable;
template <Parameterization P>
inline constexpr bool is_density_stable_v = stability_report<P>().density_stable;

namespace detail {

template <class P> constexpr text_buffer<640> describe_first_issue() {
  constexpr StabilityReport report = stability_report<P>();
  constexpr StabilityIssue issue = report.first_issue;
  std::string_view const symbol = issue.axis == ScalingAxis::width ? "m_d" : "m_rho";
  text_buffer<640> out;
  out << "smup::assert_stable<" << P::name << ">: role '" << to_string(issue.role) << "', "
      << to_string(issue.quantity) << " scales as " << symbol << "^(" << issue.exponent
      << ") instead of Theta(1) as the " << to_string(issue.axis)
      << " multiplier grows or shrinks. Multiply the " << to_string(issue.role) << " " << issue.rule
      << " rule by " << symbol << "^(" << issue.fix << ") (" << report.issue_count
      << " condition(s) broken in all).";
  return out;
}

} // namespace detail

/// Compiles only for a width- and density-stable parameterization; otherwise the
/// error names P, the first broken role and quantity, its exponent and the fix.
///
///     static_assert(smup::assert_stable<smup::SMuP>());
template <class P> consteval bool assert_stable() {
  static_assert(check_parameterization<P>());
  if constexpr (Parameterization<P>) {
    constexpr StabilityReport report = stability_report<P>();
    static_assert(report.stable(), SMUP_DIAG_UNSTABLE);
    if constexpr (!report.stable()) {
      constexpr auto text = detail::describe_first_issue<P>();
      detail::rule_broken<detail::to_message<text.length + 1>(text)>();
    }
  }
  return true;
}

} // namespace smup
