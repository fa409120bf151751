#pragma once
/// Reads a positive ratio from text: "4", "1/16" or a decimal such as "0.0625"
/// (decimals are read exactly, digit by digit). For command lines and config files.
///
///     smup::ratio density = smup::parse_ratio("1/16");

#include <cstdint>
#include <string_view>

#include <smup/core/diagnostics.hpp>
#include <smup/core/error.hpp>
#include <smup/core/ratio.hpp>

namespace smup {

namespace detail {

/// Digits with at most one '.', as num / 10^decimals; false when not that shape.
constexpr bool parse_decimal(std::string_view text, ratio& out) {
  if (text.empty() || text.size() > 18) return false;
  std::int64_t digits = 0;
  std::int64_t scale = 1;
  bool seen_point = false;
  bool seen_digit = false;
  for (char c : text) {
    if (c == '.' && !seen_point) {
      seen_point = true;
    } else if (c >= '0' && c <= '9') {
      digits = digits * 10 + (c - '0');
      if (seen_point) scale *= 10;
      seen_digit = true;
    } else {
      return false;
    }
  }
  if (!seen_digit) return false;
  out = ratio{digits, scale};
  return true;
}

} // namespace detail

constexpr ratio parse_ratio(std::string_view text) {
  ratio num{0};
  ratio den{1};
  auto const slash = text.find('/');
  bool ok = slash == std::string_view::npos
                ? detail::parse_decimal(text, num)
                : detail::parse_decimal(text.substr(0, slash), num) &&
                      detail::parse_decimal(text.substr(slash + 1), den);
  ok = ok && num > ratio{0} && den > ratio{0};
  detail::require<SMUP_DIAG_PARSE_RATIO>(ok);
  return num / den;
}

} // namespace smup
