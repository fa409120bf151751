// smup::ratio: normalisation, use as a template argument, ordering, checked arithmetic.
#include <smup/core/ratio.hpp>

#include <compare>
#include <concepts>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "support.hpp"

namespace {

using namespace smup_static_test;

using smup::ratio;

// Normalised on construction: lowest terms, positive denominator, so equal values
// are equal objects (what defaulted == and NTTP identity rely on).
static_assert(ratio{2, 4}.num == 1 && ratio{2, 4}.den == 2);
static_assert(ratio{3, -6}.num == -1 && ratio{3, -6}.den == 2);
static_assert(ratio{-3, -6} == ratio{1, 2});
static_assert(ratio{0, 7}.num == 0 && ratio{0, 7}.den == 1);
static_assert(ratio{0, -7} == ratio{0});
static_assert(ratio{} == ratio{0});
static_assert(ratio{5}.den == 1 && ratio{5}.is_integer() && !ratio{5, 2}.is_integer());
static_assert(ratio{std::numeric_limits<std::int64_t>::max()}.num ==
              std::numeric_limits<std::int64_t>::max());
static_assert(ratio{-std::numeric_limits<std::int64_t>::max(), -1}.num ==
              std::numeric_limits<std::int64_t>::max());

// Implicit from integers, never from floating point (that would truncate silently).
static_assert(std::is_convertible_v<int, ratio> && std::is_convertible_v<std::int64_t, ratio>);
static_assert(!std::is_convertible_v<double, ratio> && !std::is_convertible_v<float, ratio>);
static_assert(!std::is_constructible_v<ratio, double>);

// A structural type: usable as a non-type template parameter, and equal values
// name the same specialisation.
template <ratio R> struct tagged { static constexpr ratio value = R; };
static_assert(std::is_same_v<tagged<ratio{1, 2}>, tagged<ratio{2, 4}>>);
static_assert(std::is_same_v<tagged<ratio{-1, 2}>, tagged<ratio{1, -2}>>);
static_assert(!std::is_same_v<tagged<ratio{1, 2}>, tagged<ratio{1, 3}>>);
static_assert(tagged<ratio{6, 8}>::value == ratio{3, 4});
static_assert(std::is_trivially_copyable_v<ratio>);

// Total order, consistent with ==.
static_assert(std::same_as<decltype(ratio{1} <=> ratio{2}), std::strong_ordering>);
static_assert(ratio{1, 3} < ratio{1, 2});
static_assert(ratio{-1, 2} < ratio{-1, 3});
static_assert(ratio{2, 4} <= ratio{1, 2} && ratio{1, 2} >= ratio{2, 4});
static_assert((ratio{1, 2} <=> ratio{2, 4}) == std::strong_ordering::equal);
static_assert(ratio{0} > ratio{-1, 1000} && ratio{0} < ratio{1, 1000});
// Cross products beyond 64 bits still compare correctly.
static_assert(ratio{std::numeric_limits<std::int64_t>::max() - 1,
                    std::numeric_limits<std::int64_t>::max()} < ratio{1});
static_assert(ratio{std::numeric_limits<std::int64_t>::max(),
                    std::numeric_limits<std::int64_t>::max() - 1} > ratio{1});

// Arithmetic is exact and stays normalised.
static_assert(ratio{1, 2} + ratio{1, 3} == ratio{5, 6});
static_assert(ratio{1, 6} + ratio{1, 3} == ratio{1, 2});
static_assert((ratio{1, 6} + ratio{1, 3}).den == 2);
static_assert(ratio{1, 2} - ratio{1, 3} == ratio{1, 6});
static_assert(ratio{1, 3} - ratio{1, 2} == ratio{-1, 6});
static_assert(-ratio{3, 4} == ratio{-3, 4});
static_assert(ratio{2, 3} * ratio{3, 4} == ratio{1, 2});
static_assert(ratio{-2, 3} * ratio{3, -4} == ratio{1, 2});
static_assert(ratio{0} * ratio{5, 7} == ratio{0});
static_assert(ratio{1, 2} / ratio{1, 4} == ratio{2});
static_assert(ratio{1, 2} / ratio{-1, 4} == ratio{-2});
static_assert(ratio{3} * 2 == ratio{6} && 2 * ratio{1, 4} == ratio{1, 2});
static_assert(smup::abs(ratio{-3, 4}) == ratio{3, 4} && smup::abs(ratio{3, 4}) == ratio{3, 4});
static_assert(smup::pow(ratio{2, 3}, 3) == ratio{8, 27});
static_assert(smup::pow(ratio{2, 3}, -2) == ratio{9, 4});
static_assert(smup::pow(ratio{5, 7}, 0) == ratio{1});
static_assert(ratio{1, 2}.to_double() == 0.5 && ratio{-3, 4}.to_double() == -0.75);

// Cross-cancelling keeps products of large normalised ratios in range.
constexpr std::int64_t big = std::int64_t{1} << 40;
static_assert(ratio{big, 3} * ratio{3, big} == ratio{1});
static_assert(ratio{1, big} + ratio{1, big} == ratio{1, big / 2});

// Width and density multipliers.
static_assert(smup::width_ratio(1024, 128) == ratio{8});
static_assert(smup::width_ratio(96, 128) == ratio{3, 4});
static_assert(smup::checked_density(ratio{1, 16}) == ratio{1, 16});
static_assert(smup::checked_density(ratio{1}) == ratio{1});
static_assert(smup::density_ratio(ratio{1, 16}) == ratio{1, 16});
static_assert(smup::density_ratio(ratio{1, 16}, ratio{1, 4}) == ratio{1, 4});
static_assert(smup::density_ratio(ratio{1, 2}, ratio{1, 4}) == ratio{2});

// Negative: a broken rule makes the expression non-constant (compile_fail/ pins the
// message; here only that it is rejected, which a requires-expression can observe).
static_assert(constant_evaluable<decltype([] { return ratio{1, 2}; })>);
static_assert(!constant_evaluable<decltype([] { return ratio{1, 0}; })>);
static_assert(
    !constant_evaluable<decltype([] { return ratio{std::numeric_limits<std::int64_t>::min()}; })>);
static_assert(!constant_evaluable<decltype([] {
  return ratio{1, std::numeric_limits<std::int64_t>::min()};
})>);
static_assert(!constant_evaluable<decltype([] {
  return ratio{std::numeric_limits<std::int64_t>::max()} * 2;
})>);
static_assert(!constant_evaluable<decltype([] {
  return ratio{std::numeric_limits<std::int64_t>::max()} + 1;
})>);
static_assert(!constant_evaluable<decltype([] {
  return ratio{1, std::numeric_limits<std::int64_t>::max()} + ratio{1, 2};
})>);
static_assert(!constant_evaluable<decltype([] { return ratio{1} / ratio{0}; })>);
static_assert(!constant_evaluable<decltype([] { return smup::pow(ratio{0}, -1); })>);
static_assert(!constant_evaluable<decltype([] { return smup::width_ratio(1024, 0); })>);
static_assert(!constant_evaluable<decltype([] { return smup::width_ratio(0, 128); })>);
static_assert(!constant_evaluable<decltype([] { return smup::width_ratio(-8, 128); })>);
static_assert(!constant_evaluable<decltype([] { return smup::checked_density(ratio{0}); })>);
static_assert(!constant_evaluable<decltype([] { return smup::checked_density(ratio{3, 2}); })>);
static_assert(!constant_evaluable<decltype([] { return smup::checked_density(ratio{-1, 2}); })>);
static_assert(!constant_evaluable<decltype([] {
  return smup::density_ratio(ratio{1, 2}, ratio{0});
})>);
static_assert(!constant_evaluable<decltype([] { return smup::density_ratio(ratio{2}); })>);

} // namespace
