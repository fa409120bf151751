// smup::Role and smup::OptimizerFamily: the keys of every rule, their names and kinds.
#include <smup/core/role.hpp>

#include <algorithm>
#include <type_traits>

namespace {

using smup::Role;

// Six roles, each once, in the canonical order input, hidden, output, bias, output_bias,
// norm_gain.
static_assert(smup::all_roles.size() == 6);
static_assert(smup::all_roles[0] == Role::input && smup::all_roles[1] == Role::hidden &&
              smup::all_roles[2] == Role::output && smup::all_roles[3] == Role::bias &&
              smup::all_roles[4] == Role::output_bias && smup::all_roles[5] == Role::norm_gain);
static_assert(std::ranges::all_of(smup::all_roles, [](Role r) {
  return std::ranges::count(smup::all_roles, r) == 1;
}));

// Names printed in tables and diagnostics.
static_assert(smup::to_string(Role::input) == "input");
static_assert(smup::to_string(Role::hidden) == "hidden");
static_assert(smup::to_string(Role::output) == "output");
static_assert(smup::to_string(Role::bias) == "bias");
static_assert(smup::to_string(Role::output_bias) == "output_bias");
static_assert(smup::to_string(Role::norm_gain) == "norm_gain");
static_assert(smup::to_string(static_cast<Role>(42)) == "unknown");
static_assert(smup::to_string(smup::OptimizerFamily::adam) == "adam");
static_assert(smup::to_string(smup::OptimizerFamily::sgd) == "sgd");

// Matrices have a fan-in and an init std; vectors do not.
static_assert(smup::is_matrix(Role::input) && smup::is_matrix(Role::hidden) &&
              smup::is_matrix(Role::output));
static_assert(!smup::is_matrix(Role::bias) && !smup::is_matrix(Role::output_bias) &&
              !smup::is_matrix(Role::norm_gain));

// Scoped enums: no silent mixing with integers or with each other.
static_assert(std::is_enum_v<Role> && std::is_enum_v<smup::OptimizerFamily>);
static_assert(!std::is_convertible_v<smup::OptimizerFamily, int>);
static_assert(!std::is_convertible_v<Role, int> && !std::is_convertible_v<int, Role>);
static_assert(!std::is_convertible_v<Role, smup::OptimizerFamily>);

} // namespace
