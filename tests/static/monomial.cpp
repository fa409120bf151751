// smup::Monomial: exact exponent algebra and constexpr evaluation m_d^a * m_rho^b.
#include <smup/core/monomial.hpp>

#include <type_traits>

#include "support.hpp"

namespace {

using namespace smup_static_test;

using smup::Monomial;
using smup::ratio;

// Building blocks.
static_assert(Monomial{} == smup::unit_scaling);
static_assert(smup::unit_scaling.is_constant());
static_assert(!smup::m_d.is_constant() && !smup::m_rho.is_constant());
static_assert(smup::m_d == Monomial{.width = 1, .density = 0});
static_assert(smup::m_rho == Monomial{.width = 0, .density = 1});
static_assert(smup::m_d != smup::m_rho);

// Products add exponents, quotients subtract, powers scale.
static_assert(smup::m_d * smup::m_rho == Monomial{.width = 1, .density = 1});
static_assert(smup::m_d / smup::m_rho == Monomial{.width = 1, .density = -1});
static_assert(smup::m_d * smup::inverse(smup::m_d) == smup::unit_scaling);
static_assert(smup::inverse(smup::m_d * smup::m_rho) == Monomial{.width = -1, .density = -1});
static_assert(smup::sqrt(Monomial{.width = -1, .density = -1}) ==
              Monomial{.width = {-1, 2}, .density = {-1, 2}});
static_assert(smup::pow(smup::m_d, ratio{3, 2}) == Monomial{.width = {3, 2}, .density = 0});
static_assert(smup::pow(smup::m_d * smup::m_rho, 0) == smup::unit_scaling);
static_assert(smup::pow(smup::sqrt(smup::m_d), 2) == smup::m_d);
static_assert(smup::sqrt(smup::m_d) * smup::sqrt(smup::m_d) == smup::m_d);
static_assert(smup::inverse(smup::inverse(smup::m_rho)) == smup::m_rho);

// A structural type: rules can be template arguments.
template <Monomial M> struct rule_tag {};
static_assert(std::is_same_v<rule_tag<smup::inverse(smup::m_d)>, rule_tag<Monomial{.width = -1}>>);
static_assert(!std::is_same_v<rule_tag<smup::m_d>, rule_tag<smup::m_rho>>);

// Evaluation: exact where the value is a power of two.
static_assert(smup::unit_scaling.at(ratio{8}, ratio{1, 16}) == 1.0);
static_assert(smup::m_d.at(ratio{8}, ratio{1, 16}) == 8.0);
static_assert(smup::m_rho.at(ratio{8}, ratio{1, 16}) == 0.0625);
static_assert(Monomial{.width = -1, .density = -1}.at(smup::width_ratio(1024, 128), ratio{1, 16}) ==
              2.0);
static_assert(smup::sqrt(smup::m_d).at(ratio{4}, ratio{1}) == 2.0);
static_assert(smup::sqrt(smup::inverse(smup::m_d)).at(ratio{16}, ratio{1}) == 0.25);
static_assert(smup::sqrt(smup::inverse(smup::m_rho)).at(ratio{1}, ratio{1, 64}) == 8.0);
static_assert(smup::pow(smup::m_d, ratio{1, 3}).at(ratio{8}, ratio{1}) == 2.0);
static_assert(smup::pow(smup::m_d, ratio{-3, 2}).at(ratio{4}, ratio{1}) == 0.125);
static_assert(smup::pow(smup::m_d, ratio{2, 3}).at(ratio{1, 8}, ratio{1}) == 0.25);
static_assert(smup::pow(smup::m_d, ratio{-11, 3}).at(ratio{4096}, ratio{1}) == 0x1p-44);

// Irrational values, within a few ulp.
static_assert(close(smup::sqrt(smup::m_d).at(ratio{2}, ratio{1}), 1.4142135623730951));
static_assert(close(smup::sqrt(smup::inverse(smup::m_d)).at(ratio{8}, ratio{1}),
                    0.35355339059327376));
static_assert(close(smup::pow(smup::m_rho, ratio{1, 3}).at(ratio{1}, ratio{1, 2}),
                    0.79370052598409974));
static_assert(close(smup::pow(smup::m_d, ratio{3, 4}).at(ratio{3}, ratio{1}), 2.2795070569547776));
// Large multipliers with larger denominators (1024^(5/8) = 2^6.25 once came out 354.8).
static_assert(close(smup::pow(smup::m_d, ratio{5, 8}).at(ratio{1024}, ratio{1}),
                    76.109255360174148));
static_assert(close(smup::pow(smup::m_d, ratio{-5, 7}).at(ratio{4096}, ratio{1}),
                    0.0026287113137350706));
static_assert(close(smup::pow(smup::m_d, ratio{11, 4}).at(ratio{4096}, ratio{1}), 8589934592.0));

// Negative: multipliers must be positive.
static_assert(constant_evaluable<decltype([] { return smup::m_d.at(ratio{1}, ratio{1}); })>);
static_assert(!constant_evaluable<decltype([] { return smup::m_d.at(ratio{0}, ratio{1}); })>);
static_assert(!constant_evaluable<decltype([] { return smup::m_d.at(ratio{1}, ratio{0}); })>);
static_assert(!constant_evaluable<decltype([] { return smup::m_d.at(ratio{-2}, ratio{1}); })>);
// Even the constant monomial checks its inputs: bad ratios are a bug upstream.
static_assert(!constant_evaluable<decltype([] {
  return smup::unit_scaling.at(ratio{1}, ratio{-1, 2});
})>);

} // namespace
