#pragma once
/// The Parameterization concept: what a scaling policy such as SP, MuP or SMuP provides.
///
/// A parameterization is a stateless type that opts in with a tag and answers, for
/// each role, how init variance, learning rate and forward multiplier scale with
/// the width multiplier m_d and the density multiplier m_rho:
///
///     struct MyP {
///       using parameterization_concept = smup::parameterization_tag;
///       static constexpr std::string_view name = "MyP";
///       static constexpr smup::Monomial init_variance(smup::Role r);
///       static constexpr smup::Monomial learning_rate(smup::Role r, smup::OptimizerFamily f);
///       static constexpr smup::Monomial multiplier(smup::Role r);
///       static constexpr smup::ratio attention_logit_exponent{-1};  // logits * d_head^this
///     };
///     static_assert(smup::Parameterization<MyP>);
///
/// The rules must be usable in constant expressions: the compiler checks them.

#include <concepts>
#include <string_view>
#include <type_traits>

#include <smup/core/diagnostics.hpp>
#include <smup/core/monomial.hpp>
#include <smup/core/ratio.hpp>
#include <smup/core/role.hpp>

namespace smup {

/// The opt-in tag: `using parameterization_concept = smup::parameterization_tag;`.
struct parameterization_tag {};

namespace detail {

template <class P>
concept parameterization_tagged =
    std::same_as<typename P::parameterization_concept, parameterization_tag>;

template <class P>
concept has_name_rule = requires {
  { P::name } -> std::convertible_to<std::string_view>;
};

// Each rule must be a constant expression: std::bool_constant<(expr, true)> only
// forms when the call can be evaluated by the compiler.
template <class P>
concept has_init_variance_rule = requires {
  { P::init_variance(Role::hidden) } -> std::same_as<Monomial>;
  typename std::bool_constant<(P::init_variance(Role::hidden), true)>;
};

template <class P>
concept has_learning_rate_rule = requires {
  { P::learning_rate(Role::hidden, OptimizerFamily::adam) } -> std::same_as<Monomial>;
  typename std::bool_constant<(P::learning_rate(Role::hidden, OptimizerFamily::adam), true)>;
};

template <class P>
concept has_multiplier_rule = requires {
  { P::multiplier(Role::hidden) } -> std::same_as<Monomial>;
  typename std::bool_constant<(P::multiplier(Role::hidden), true)>;
};

template <class P>
concept has_attention_rule = requires {
  { P::attention_logit_exponent } -> std::convertible_to<ratio>;
  typename std::bool_constant<(ratio{P::attention_logit_exponent}, true)>;
};

} // namespace detail

template <class P>
concept Parameterization = detail::parameterization_tagged<P> && detail::has_name_rule<P> &&
    detail::has_init_variance_rule<P> && detail::has_learning_rate_rule<P> &&
    detail::has_multiplier_rule<P> && detail::has_attention_rule<P>;

/// Names the first missing piece of a would-be parameterization, one static_assert each.
/// Entry points call it so a wrong policy reads as a sentence, not a concept dump.
template <class P> constexpr bool check_parameterization() {
  static_assert(detail::parameterization_tagged<P>, SMUP_DIAG_PARAM_NOT_TAGGED);
  static_assert(detail::has_name_rule<P>, SMUP_DIAG_PARAM_MISSING_NAME);
  static_assert(detail::has_init_variance_rule<P>, SMUP_DIAG_PARAM_MISSING_INIT_VARIANCE);
  static_assert(detail::has_learning_rate_rule<P>, SMUP_DIAG_PARAM_MISSING_LEARNING_RATE);
  static_assert(detail::has_multiplier_rule<P>, SMUP_DIAG_PARAM_MISSING_MULTIPLIER);
  static_assert(detail::has_attention_rule<P>, SMUP_DIAG_PARAM_MISSING_ATTENTION);
  return Parameterization<P>;
}

} // namespace smup
