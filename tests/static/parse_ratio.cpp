// smup::parse_ratio: integers, fractions and exact decimals, all at compile time.
#include <smup/core/parse_ratio.hpp>

#include <type_traits>

#include "support.hpp"

namespace {

using namespace smup_static_test;

using smup::parse_ratio;
using smup::ratio;

// Accepted forms.
static_assert(parse_ratio("1") == ratio{1});
static_assert(parse_ratio("4") == ratio{4});
static_assert(parse_ratio("1024") == ratio{1024});
static_assert(parse_ratio("1/16") == ratio{1, 16});
static_assert(parse_ratio("2/4") == ratio{1, 2});
static_assert(parse_ratio("3/2") == ratio{3, 2});
// Decimals are exact, not rounded through double.
static_assert(parse_ratio("0.0625") == ratio{1, 16});
static_assert(parse_ratio("2.5") == ratio{5, 2});
static_assert(parse_ratio("0.1") == ratio{1, 10});
static_assert(parse_ratio("0.984375") == ratio{63, 64});
static_assert(parse_ratio(".5") == ratio{1, 2});
static_assert(parse_ratio("1.") == ratio{1});
static_assert(parse_ratio("007") == ratio{7});
// Both sides of a fraction may be decimals.
static_assert(parse_ratio("0.5/2") == ratio{1, 4});
static_assert(parse_ratio("1/0.5") == ratio{2});
// Eighteen digits still fit in 64 bits.
static_assert(parse_ratio("123456789012345678") == ratio{123456789012345678});

// Rejected: anything that is not a positive number.
static_assert(constant_evaluable<decltype([] { return parse_ratio("1/16"); })>);
static_assert(!constant_evaluable<decltype([] { return parse_ratio(""); })>);
static_assert(!constant_evaluable<decltype([] { return parse_ratio("abc"); })>);
static_assert(!constant_evaluable<decltype([] { return parse_ratio("1/0"); })>);
static_assert(!constant_evaluable<decltype([] { return parse_ratio("0"); })>);
static_assert(!constant_evaluable<decltype([] { return parse_ratio("0/5"); })>);
static_assert(!constant_evaluable<decltype([] { return parse_ratio("-1"); })>);
static_assert(!constant_evaluable<decltype([] { return parse_ratio("+1"); })>);
static_assert(!constant_evaluable<decltype([] { return parse_ratio("1/2/3"); })>);
static_assert(!constant_evaluable<decltype([] { return parse_ratio("1/"); })>);
static_assert(!constant_evaluable<decltype([] { return parse_ratio("/2"); })>);
static_assert(!constant_evaluable<decltype([] { return parse_ratio("."); })>);
static_assert(!constant_evaluable<decltype([] { return parse_ratio("1.2.3"); })>);
static_assert(!constant_evaluable<decltype([] { return parse_ratio(" 1"); })>);
static_assert(!constant_evaluable<decltype([] { return parse_ratio("1 "); })>);
static_assert(!constant_evaluable<decltype([] { return parse_ratio("1e-3"); })>);
static_assert(!constant_evaluable<decltype([] { return parse_ratio("0x10"); })>);
// More digits than 64 bits hold exactly are refused, not wrapped.
static_assert(!constant_evaluable<decltype([] { return parse_ratio("1234567890123456789012"); })>);

} // namespace
