// smup::MuP: the maximal update parameterization, rule by rule (DESIGN.md section 1).
#include <smup/parameterization/mup.hpp>

#include <smup/core/monomial.hpp>
#include <smup/core/role.hpp>
#include <smup/parameterization/concepts.hpp>

#include <string_view>

namespace {

using smup::Monomial;
using smup::MuP;
using smup::OptimizerFamily;
using smup::Role;

constexpr Monomial one{};
constexpr Monomial md{.width = 1, .density = 0};
constexpr Monomial md_inv{.width = -1, .density = 0};

static_assert(smup::Parameterization<MuP>);
static_assert(MuP::name == "muP");

// Init variance: sigma^2 / m_d for hidden matrices, sigma^2 elsewhere.
static_assert(MuP::init_variance(Role::input) == one);
static_assert(MuP::init_variance(Role::hidden) == md_inv);
static_assert(MuP::init_variance(Role::output) == one);
static_assert(MuP::init_variance(Role::bias) == one);
static_assert(MuP::init_variance(Role::output_bias) == one);
static_assert(MuP::init_variance(Role::norm_gain) == one);

// Adam: eta / m_d for hidden, eta elsewhere.
static_assert(MuP::learning_rate(Role::input, OptimizerFamily::adam) == one);
static_assert(MuP::learning_rate(Role::hidden, OptimizerFamily::adam) == md_inv);
static_assert(MuP::learning_rate(Role::output, OptimizerFamily::adam) == one);
static_assert(MuP::learning_rate(Role::bias, OptimizerFamily::adam) == one);
static_assert(MuP::learning_rate(Role::output_bias, OptimizerFamily::adam) == one);
static_assert(MuP::learning_rate(Role::norm_gain, OptimizerFamily::adam) == one);

// SGD: hidden eta (fan_out_mult / fan_in_mult = 1); input, readout, width-sized biases,
// gains eta * m_d.
static_assert(MuP::learning_rate(Role::input, OptimizerFamily::sgd) == md);
static_assert(MuP::learning_rate(Role::hidden, OptimizerFamily::sgd) == one);
static_assert(MuP::learning_rate(Role::output, OptimizerFamily::sgd) == md);
static_assert(MuP::learning_rate(Role::bias, OptimizerFamily::sgd) == md);
// The readout bias has no width dimension: eta, as microsoft/mup gives it.
static_assert(MuP::learning_rate(Role::output_bias, OptimizerFamily::sgd) == one);
static_assert(MuP::learning_rate(Role::norm_gain, OptimizerFamily::sgd) == md);

// Forward multiplier: alpha_out / m_d on the readout only.
static_assert(MuP::multiplier(Role::input) == one);
static_assert(MuP::multiplier(Role::hidden) == one);
static_assert(MuP::multiplier(Role::output) == md_inv);
static_assert(MuP::multiplier(Role::bias) == one);
static_assert(MuP::multiplier(Role::output_bias) == one);
static_assert(MuP::multiplier(Role::norm_gain) == one);

// Attention logits scaled by 1/d_head.
static_assert(MuP::attention_logit_exponent == smup::ratio{-1});

// muP knows nothing of density: no rule has a density exponent.
constexpr bool density_free(Monomial m) { return m.density == smup::ratio{0}; }
static_assert([] {
  for (Role r : smup::all_roles)
    if (!density_free(MuP::init_variance(r)) || !density_free(MuP::multiplier(r)) ||
        !density_free(MuP::learning_rate(r, OptimizerFamily::adam)) ||
        !density_free(MuP::learning_rate(r, OptimizerFamily::sgd)))
      return false;
  return true;
}());

// Negative: the hidden rules are not the SmuP ones.
static_assert(MuP::init_variance(Role::hidden) != smup::inverse(smup::m_d * smup::m_rho));
static_assert(MuP::learning_rate(Role::hidden, OptimizerFamily::sgd) != smup::inverse(smup::m_rho));

} // namespace
