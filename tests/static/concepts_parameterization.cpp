// smup::Parameterization: what a scaling policy must provide, and check_parameterization.
#include <smup/parameterization/concepts.hpp>
#include <smup/parameterization/mup.hpp>
#include <smup/parameterization/sp.hpp>
#include <smup/parameterization/sparse_mup.hpp>

#include <string_view>

namespace {

using smup::Monomial;
using smup::OptimizerFamily;
using smup::Role;

// A complete user policy (muP's rules under another name).
struct Complete {
  using parameterization_concept = smup::parameterization_tag;
  static constexpr std::string_view name = "Complete";
  static constexpr Monomial init_variance(Role r) { return smup::MuP::init_variance(r); }
  static constexpr Monomial learning_rate(Role r, OptimizerFamily f) {
    return smup::MuP::learning_rate(r, f);
  }
  static constexpr Monomial multiplier(Role r) { return smup::MuP::multiplier(r); }
  static constexpr smup::ratio attention_logit_exponent{-1};
};

static_assert(smup::Parameterization<smup::SP>);
static_assert(smup::Parameterization<smup::MuP>);
static_assert(smup::Parameterization<smup::SMuP>);
static_assert(smup::Parameterization<Complete>);
static_assert(smup::check_parameterization<smup::SMuP>());
static_assert(smup::check_parameterization<Complete>());

// A name held as a C string and an integer attention exponent are fine too.
struct LooseButValid : Complete {
  static constexpr char const* name = "Loose";
  static constexpr int attention_logit_exponent = -1;
};
static_assert(smup::Parameterization<LooseButValid>);

// Opt-in is explicit: the same rules without the tag are not a parameterization.
// (maybe_unused: in these rejected types some members are never looked at, and
// clang warns about unused members of types in an anonymous namespace.)
struct NotTagged {
  [[maybe_unused]] static constexpr std::string_view name = "NotTagged";
  static constexpr Monomial init_variance(Role) { return {}; }
  static constexpr Monomial learning_rate(Role, OptimizerFamily) { return {}; }
  static constexpr Monomial multiplier(Role) { return {}; }
  [[maybe_unused]] static constexpr smup::ratio attention_logit_exponent{-1};
};
static_assert(!smup::Parameterization<NotTagged>);
struct WrongTag : Complete {
  using parameterization_concept = int;
};
static_assert(!smup::Parameterization<WrongTag>);
static_assert(!smup::Parameterization<int>);
static_assert(!smup::Parameterization<void>);

struct MissingName {
  using parameterization_concept = smup::parameterization_tag;
  static constexpr Monomial init_variance(Role) { return {}; }
  static constexpr Monomial learning_rate(Role, OptimizerFamily) { return {}; }
  static constexpr Monomial multiplier(Role) { return {}; }
  [[maybe_unused]] static constexpr smup::ratio attention_logit_exponent{-1};
};
static_assert(!smup::Parameterization<MissingName>);
struct NumericName : Complete {
  static constexpr int name = 3;
};
static_assert(!smup::Parameterization<NumericName>);

struct MissingInitVariance {
  using parameterization_concept = smup::parameterization_tag;
  static constexpr std::string_view name = "MissingInitVariance";
  static constexpr Monomial learning_rate(Role, OptimizerFamily) { return {}; }
  static constexpr Monomial multiplier(Role) { return {}; }
  [[maybe_unused]] static constexpr smup::ratio attention_logit_exponent{-1};
};
static_assert(!smup::Parameterization<MissingInitVariance>);

// A rule that is not constexpr cannot be checked by the compiler, so it is refused.
struct RuntimeInitVariance : Complete {
  static Monomial init_variance(Role) { return {}; }
};
static_assert(!smup::Parameterization<RuntimeInitVariance>);
struct RuntimeLearningRate : Complete {
  static Monomial learning_rate(Role, OptimizerFamily) { return {}; }
};
static_assert(!smup::Parameterization<RuntimeLearningRate>);
struct RuntimeMultiplier : Complete {
  static Monomial multiplier(Role) { return {}; }
};
static_assert(!smup::Parameterization<RuntimeMultiplier>);
// constexpr in name only: the hidden rule cannot be evaluated by the compiler.
struct ThrowingRule : Complete {
  static constexpr Monomial init_variance(Role r) {
    if (r == Role::hidden) throw 0;
    return {};
  }
};
static_assert(!smup::Parameterization<ThrowingRule>);

// A rule must answer with a Monomial, not a number.
struct NumericInitVariance : Complete {
  static constexpr double init_variance(Role) { return 1.0; }
};
static_assert(!smup::Parameterization<NumericInitVariance>);

struct MissingLearningRate {
  using parameterization_concept = smup::parameterization_tag;
  static constexpr std::string_view name = "MissingLearningRate";
  static constexpr Monomial init_variance(Role) { return {}; }
  static constexpr Monomial multiplier(Role) { return {}; }
  [[maybe_unused]] static constexpr smup::ratio attention_logit_exponent{-1};
};
static_assert(!smup::Parameterization<MissingLearningRate>);
// The learning rate depends on the optimizer family; a role-only rule is incomplete.
struct RoleOnlyLearningRate : Complete {
  static constexpr Monomial learning_rate(Role) { return {}; }
};
static_assert(!smup::Parameterization<RoleOnlyLearningRate>);

struct MissingMultiplier {
  using parameterization_concept = smup::parameterization_tag;
  static constexpr std::string_view name = "MissingMultiplier";
  static constexpr Monomial init_variance(Role) { return {}; }
  static constexpr Monomial learning_rate(Role, OptimizerFamily) { return {}; }
  [[maybe_unused]] static constexpr smup::ratio attention_logit_exponent{-1};
};
static_assert(!smup::Parameterization<MissingMultiplier>);

struct MissingAttention {
  using parameterization_concept = smup::parameterization_tag;
  static constexpr std::string_view name = "MissingAttention";
  static constexpr Monomial init_variance(Role) { return {}; }
  static constexpr Monomial learning_rate(Role, OptimizerFamily) { return {}; }
  static constexpr Monomial multiplier(Role) { return {}; }
};
static_assert(!smup::Parameterization<MissingAttention>);
// -0.5 as a double would have truncated to 0; the exponent must be exact.
struct FloatingAttention : Complete {
  static constexpr double attention_logit_exponent = -0.5;
};
static_assert(!smup::Parameterization<FloatingAttention>);
// A mutable exponent is not a compile-time fact.
struct MutableAttention : Complete {
  static inline smup::ratio attention_logit_exponent{-1};
};
static_assert(!smup::Parameterization<MutableAttention>);

} // namespace
