#pragma once
/// A fixed-capacity text buffer that works in constant expressions, so that
/// compile-time diagnostics can carry computed values (names, exponents).

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <smup/core/error.hpp>
#include <smup/core/ratio.hpp>

namespace smup::detail {

template <std::size_t Capacity> struct text_buffer {
  char data[Capacity]{};
  std::size_t length = 0;

  constexpr text_buffer& operator<<(std::string_view s) {
    for (char c : s)
      if (length + 1 < Capacity) data[length++] = c;
    return *this;
  }
  constexpr text_buffer& operator<<(std::int64_t value) {
    if (value < 0) {
      *this << "-";
      value = -value;
    }
    char digits[20]{};
    int n = 0;
    do {
      digits[n++] = static_cast<char>('0' + value % 10);
      value /= 10;
    } while (value > 0);
    while (n > 0) *this << std::string_view{&digits[--n], 1};
    return *this;
  }
  /// Writes 3, -1 or 1/2 (integers without a denominator).
  constexpr text_buffer& operator<<(ratio r) {
    *this << r.num;
    if (r.den != 1) *this << "/" << r.den;
    return *this;
  }
  [[nodiscard]] constexpr std::string_view view() const { return {data, length}; }
};

/// Copies the used part of a buffer into a message sized to fit, for rule_broken<>.
template <std::size_t N, std::size_t Capacity>
constexpr message<N> to_message(text_buffer<Capacity> const& buffer) {
  message<N> out;
  for (std::size_t i = 0; i + 1 < N && i < buffer.length; ++i) out.text[i] = buffer.data[i];
  return out;
}

} // namespace smup::detail
