// smup::SP: the base values at every width and density (the control).
#include <smup/parameterization/sp.hpp>

#include <smup/core/monomial.hpp>
#include <smup/core/role.hpp>
#include <smup/parameterization/concepts.hpp>

#include <algorithm>
#include <string_view>

namespace {

using smup::Monomial;
using smup::OptimizerFamily;
using smup::Role;
using smup::SP;

static_assert(smup::Parameterization<SP>);
static_assert(SP::name == "SP");

// Every rule of every role is the constant 1: SP ignores m_d and m_rho.
static_assert(std::ranges::all_of(smup::all_roles, [](Role r) {
  return SP::init_variance(r) == Monomial{} && SP::multiplier(r) == Monomial{} &&
         SP::learning_rate(r, OptimizerFamily::adam) == Monomial{} &&
         SP::learning_rate(r, OptimizerFamily::sgd) == Monomial{};
}));
// The same, row by row as in the table, so a failure names the cell.
static_assert(SP::init_variance(Role::input) == smup::unit_scaling);
static_assert(SP::init_variance(Role::hidden) == smup::unit_scaling);
static_assert(SP::init_variance(Role::output) == smup::unit_scaling);
static_assert(SP::learning_rate(Role::input, OptimizerFamily::adam) == smup::unit_scaling);
static_assert(SP::learning_rate(Role::hidden, OptimizerFamily::adam) == smup::unit_scaling);
static_assert(SP::learning_rate(Role::output, OptimizerFamily::adam) == smup::unit_scaling);
static_assert(SP::learning_rate(Role::bias, OptimizerFamily::adam) == smup::unit_scaling);
static_assert(SP::learning_rate(Role::norm_gain, OptimizerFamily::adam) == smup::unit_scaling);
static_assert(SP::learning_rate(Role::input, OptimizerFamily::sgd) == smup::unit_scaling);
static_assert(SP::learning_rate(Role::hidden, OptimizerFamily::sgd) == smup::unit_scaling);
static_assert(SP::learning_rate(Role::output, OptimizerFamily::sgd) == smup::unit_scaling);
static_assert(SP::learning_rate(Role::bias, OptimizerFamily::sgd) == smup::unit_scaling);
static_assert(SP::learning_rate(Role::norm_gain, OptimizerFamily::sgd) == smup::unit_scaling);
static_assert(SP::multiplier(Role::input) == smup::unit_scaling);
static_assert(SP::multiplier(Role::output) == smup::unit_scaling);

// Attention logits scaled by 1/sqrt(d_head).
static_assert(SP::attention_logit_exponent == smup::ratio{-1, 2});

// Negative: SP is not muP (the two differ exactly where muP scales).
static_assert(SP::init_variance(Role::hidden) != smup::inverse(smup::m_d));
static_assert(SP::multiplier(Role::output) != smup::inverse(smup::m_d));

} // namespace
