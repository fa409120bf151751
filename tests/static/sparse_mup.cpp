// smup::SMuP: muP with density entering like width in the hidden rows only.
#include <smup/parameterization/sparse_mup.hpp>

#include <smup/core/monomial.hpp>
#include <smup/core/role.hpp>
#include <smup/parameterization/concepts.hpp>
#include <smup/parameterization/mup.hpp>

#include <string_view>

namespace {

using smup::Monomial;
using smup::OptimizerFamily;
using smup::Role;
using smup::SMuP;

constexpr Monomial one{};
constexpr Monomial md{.width = 1, .density = 0};
constexpr Monomial md_inv{.width = -1, .density = 0};
constexpr Monomial mrho_inv{.width = 0, .density = -1};
constexpr Monomial md_mrho_inv{.width = -1, .density = -1};

static_assert(smup::Parameterization<SMuP>);
static_assert(SMuP::name == "SmuP");

// Init variance: sigma^2 / (m_d m_rho) for hidden matrices, sigma^2 elsewhere.
static_assert(SMuP::init_variance(Role::input) == one);
static_assert(SMuP::init_variance(Role::hidden) == md_mrho_inv);
static_assert(SMuP::init_variance(Role::output) == one);
static_assert(SMuP::init_variance(Role::bias) == one);
static_assert(SMuP::init_variance(Role::output_bias) == one);
static_assert(SMuP::init_variance(Role::norm_gain) == one);

// Adam: eta / (m_d m_rho) for hidden, eta elsewhere.
static_assert(SMuP::learning_rate(Role::input, OptimizerFamily::adam) == one);
static_assert(SMuP::learning_rate(Role::hidden, OptimizerFamily::adam) == md_mrho_inv);
static_assert(SMuP::learning_rate(Role::output, OptimizerFamily::adam) == one);
static_assert(SMuP::learning_rate(Role::bias, OptimizerFamily::adam) == one);
static_assert(SMuP::learning_rate(Role::output_bias, OptimizerFamily::adam) == one);
static_assert(SMuP::learning_rate(Role::norm_gain, OptimizerFamily::adam) == one);

// SGD: hidden eta / m_rho (muP's eta divided by m_rho); the readout bias eta; every other
// role eta * m_d.
static_assert(SMuP::learning_rate(Role::input, OptimizerFamily::sgd) == md);
static_assert(SMuP::learning_rate(Role::hidden, OptimizerFamily::sgd) == mrho_inv);
static_assert(SMuP::learning_rate(Role::output, OptimizerFamily::sgd) == md);
static_assert(SMuP::learning_rate(Role::bias, OptimizerFamily::sgd) == md);
// The readout bias has no width dimension: eta, as microsoft/mup gives it.
static_assert(SMuP::learning_rate(Role::output_bias, OptimizerFamily::sgd) == one);
static_assert(SMuP::learning_rate(Role::norm_gain, OptimizerFamily::sgd) == md);

// Forward multiplier: alpha_out / m_d on the readout only.
static_assert(SMuP::multiplier(Role::input) == one);
static_assert(SMuP::multiplier(Role::hidden) == one);
static_assert(SMuP::multiplier(Role::output) == md_inv);
static_assert(SMuP::multiplier(Role::bias) == one);
static_assert(SMuP::multiplier(Role::output_bias) == one);
static_assert(SMuP::multiplier(Role::norm_gain) == one);

static_assert(SMuP::attention_logit_exponent == smup::ratio{-1});

// SmuP differs from muP only in the hidden rows, and there by exactly m_rho^-1
// (init variance, Adam and SGD): density enters like width.
static_assert([] {
  for (Role r : smup::all_roles) {
    for (OptimizerFamily f : {OptimizerFamily::adam, OptimizerFamily::sgd})
      if (r != Role::hidden && SMuP::learning_rate(r, f) != smup::MuP::learning_rate(r, f))
        return false;
    if (r != Role::hidden && SMuP::init_variance(r) != smup::MuP::init_variance(r)) return false;
    if (SMuP::multiplier(r) != smup::MuP::multiplier(r)) return false;
  }
  return true;
}());
static_assert(SMuP::init_variance(Role::hidden) ==
              smup::MuP::init_variance(Role::hidden) * smup::inverse(smup::m_rho));
static_assert(SMuP::learning_rate(Role::hidden, OptimizerFamily::adam) ==
              smup::MuP::learning_rate(Role::hidden, OptimizerFamily::adam) / smup::m_rho);
static_assert(SMuP::learning_rate(Role::hidden, OptimizerFamily::sgd) ==
              smup::MuP::learning_rate(Role::hidden, OptimizerFamily::sgd) / smup::m_rho);

// Negative: the hidden rows are not muP's.
static_assert(SMuP::init_variance(Role::hidden) != smup::MuP::init_variance(Role::hidden));
static_assert(SMuP::learning_rate(Role::hidden, OptimizerFamily::adam) !=
              smup::MuP::learning_rate(Role::hidden, OptimizerFamily::adam));

} // namespace
