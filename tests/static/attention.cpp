// Attention-logit scale: d_head^-1/2 under SP, d_head^-1 under muP and SmuP.
#include <smup/parameterization/attention.hpp>

#include <smup/parameterization/mup.hpp>
#include <smup/parameterization/sp.hpp>
#include <smup/parameterization/sparse_mup.hpp>

#include <string_view>
#include <type_traits>

#include "support.hpp"

namespace {

using namespace smup_static_test;

using smup::ratio;

// The exponents themselves.
static_assert(smup::SP::attention_logit_exponent == ratio{-1, 2});
static_assert(smup::MuP::attention_logit_exponent == ratio{-1});
static_assert(smup::SMuP::attention_logit_exponent == ratio{-1});

// Their values: exact where d_head is a power of two (squares for SP).
static_assert(smup::attention_scale<smup::SP>(64) == 0.125);
static_assert(smup::attention_scale<smup::SP>(4) == 0.5);
static_assert(smup::attention_scale<smup::SP>(1) == 1.0);
static_assert(close(smup::attention_scale<smup::SP>(32), 0.17677669529663687));
static_assert(close(smup::attention_scale<smup::SP>(96), 0.10206207261596575));
static_assert(smup::attention_scale<smup::MuP>(32) == 0x1p-5);
static_assert(smup::attention_scale<smup::MuP>(1) == 1.0);
static_assert(smup::attention_scale<smup::SMuP>(64) == 0x1p-6);
static_assert(close(smup::attention_scale<smup::SMuP>(96), 1.0 / 96.0));

// A user exponent is honoured as written.
struct ThreeQuarters : smup::SMuP {
  static constexpr std::string_view name = "ThreeQuarters";
  static constexpr ratio attention_logit_exponent{-3, 4};
};
static_assert(smup::attention_scale<ThreeQuarters>(16) == 0.125);

// Negative: a head needs at least one dimension; non-policies are rejected.
static_assert(!constant_evaluable<decltype([] { return smup::attention_scale<smup::SMuP>(0); })>);
static_assert(!constant_evaluable<decltype([] { return smup::attention_scale<smup::SP>(-4); })>);
struct NotTagged {
  [[maybe_unused]] static constexpr ratio attention_logit_exponent{-1}; // never read: rejected
};
template <class P>
concept scalable = requires {
  smup::attention_scale<P>(32);
};
static_assert(scalable<smup::SP> && !scalable<NotTagged>);

} // namespace
