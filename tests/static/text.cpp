// smup::detail::text_buffer: compile-time formatting behind the computed diagnostics.
#include <smup/core/text.hpp>

#include <cstdint>
#include <limits>
#include <string_view>

namespace {

using smup::ratio;
using smup::detail::text_buffer;

template <class Build> constexpr bool reads(Build build, std::string_view want) {
  text_buffer<64> b;
  build(b);
  return b.view() == want && b.length == want.size();
}

static_assert(text_buffer<8>{}.view().empty());
static_assert(reads(
    [](auto& b) {
      b << "role '"
        << "hidden"
        << "'";
    },
    "role 'hidden'"));
static_assert(reads([](auto& b) { b << std::int64_t{0}; }, "0"));
static_assert(reads([](auto& b) { b << std::int64_t{7} << std::int64_t{-42}; }, "7-42"));
static_assert(reads([](auto& b) { b << std::numeric_limits<std::int64_t>::max(); },
                    "9223372036854775807"));
// An int (e.g. a count) prints as a number, not through ratio.
static_assert(reads([](auto& b) { b << 3 << " condition(s)"; }, "3 condition(s)"));
// Ratios: integers without a denominator, fractions normalised, sign on the numerator.
static_assert(reads([](auto& b) { b << ratio{-1}; }, "-1"));
static_assert(reads([](auto& b) { b << ratio{2, 4}; }, "1/2"));
static_assert(reads([](auto& b) { b << ratio{1, -2}; }, "-1/2"));
static_assert(reads([](auto& b) { b << "m_rho^(" << ratio{0} << ")"; }, "m_rho^(0)"));

// Text past the capacity is dropped, keeping room for the terminating zero.
constexpr auto truncated = [] {
  text_buffer<4> b;
  b << "abcdef";
  return b;
}();
static_assert(truncated.view() == "abc" && truncated.length == 3 && truncated.data[3] == '\0');

// to_message copies the used part into a message sized for a template argument.
constexpr auto formatted = [] {
  text_buffer<32> b;
  b << "x = " << ratio{3, 4};
  return b;
}();
constexpr auto msg = smup::detail::to_message<formatted.length + 1>(formatted);
static_assert(decltype(msg)::size == 8);
static_assert(std::string_view{msg.text} == "x = 3/4");
static_assert(msg.text[7] == '\0');

} // namespace
