#pragma once
/// smup::ratio: an exact rational number for width and density ratios and for
/// scaling exponents.
///
/// It is always normalised (lowest terms, positive denominator), so equal values
/// are equal objects and ratio works as a non-type template parameter:
///
///     static_assert(smup::ratio{2, 4} == smup::ratio{1, 2});
///     template <smup::ratio Density> struct Fixed {};
///
/// Arithmetic is checked: 64-bit overflow is a compile error in a constant
/// expression and throws smup::error at run time.

#include <compare>
#include <concepts>
#include <cstdint>

#include <smup/core/diagnostics.hpp>
#include <smup/core/error.hpp>

namespace smup {

namespace detail {

__extension__ using int128 = __int128; // __extension__: a GCC/Clang type, silence -Wpedantic

constexpr std::int64_t gcd(std::int64_t a, std::int64_t b) {
  if (a < 0) a = -a;
  if (b < 0) b = -b;
  while (b != 0) {
    std::int64_t const r = a % b;
    a = b;
    b = r;
  }
  return a;
}

// Exact in 128 bits, then range-checked: overflow builtins are not constant expressions
// under every front end (nvcc's rejects them), 128-bit arithmetic is.
constexpr std::int64_t checked_narrow(int128 wide) {
  require<SMUP_DIAG_RATIO_OVERFLOW>(wide >= INT64_MIN && wide <= INT64_MAX);
  return static_cast<std::int64_t>(wide);
}

constexpr std::int64_t checked_mul(std::int64_t a, std::int64_t b) {
  return checked_narrow(static_cast<int128>(a) * b);
}

constexpr std::int64_t checked_add(std::int64_t a, std::int64_t b) {
  return checked_narrow(static_cast<int128>(a) + b);
}

} // namespace detail

struct ratio {
  std::int64_t num = 0;
  std::int64_t den = 1;

  constexpr ratio() = default;

  /// Implicit from an integer, so `ratio{1}` and `m * 2` read naturally.
  constexpr ratio(std::int64_t numerator, std::int64_t denominator = 1) // NOLINT
      : num(numerator), den(denominator) {
    detail::require<SMUP_DIAG_RATIO_ZERO_DENOMINATOR>(den != 0);
    // INT64_MIN cannot be negated, so it has no normalised form.
    detail::require<SMUP_DIAG_RATIO_OVERFLOW>(num != INT64_MIN && den != INT64_MIN);
    if (den < 0) {
      num = -num;
      den = -den;
    }
    std::int64_t const g = detail::gcd(num, den);
    if (g > 1) {
      num /= g;
      den /= g;
    }
  }
  /// Deleted: a double would convert through std::int64_t and truncate silently
  /// (a density of 1.5 became 1, 0.5 became 0). Write {1, 2} or use parse_ratio.
  template <std::floating_point F> ratio(F) = delete;

  [[nodiscard]] constexpr double to_double() const {
    return static_cast<double>(num) / static_cast<double>(den);
  }
  [[nodiscard]] constexpr bool is_integer() const { return den == 1; }

  friend constexpr ratio operator-(ratio a) { return ratio{-a.num, a.den}; }

  friend constexpr ratio operator+(ratio a, ratio b) {
    std::int64_t const g = detail::gcd(a.den, b.den);
    std::int64_t const scale_b = a.den / g;
    return ratio{detail::checked_add(detail::checked_mul(a.num, b.den / g),
                                     detail::checked_mul(b.num, scale_b)),
                 detail::checked_mul(a.den, b.den / g)};
  }
  friend constexpr ratio operator-(ratio a, ratio b) { return a + (-b); }

  friend constexpr ratio operator*(ratio a, ratio b) {
    // Cross-cancel first so products of normalised ratios overflow as late as possible.
    std::int64_t const g1 = detail::gcd(a.num, b.den);
    std::int64_t const g2 = detail::gcd(b.num, a.den);
    std::int64_t const d1 = g1 == 0 ? 1 : g1;
    std::int64_t const d2 = g2 == 0 ? 1 : g2;
    return ratio{detail::checked_mul(a.num / d1, b.num / d2),
                 detail::checked_mul(a.den / d2, b.den / d1)};
  }
  friend constexpr ratio operator/(ratio a, ratio b) {
    detail::require<SMUP_DIAG_RATIO_DIVIDE_BY_ZERO>(b.num != 0);
    return a * ratio{b.den, b.num};
  }

  friend constexpr bool operator==(ratio, ratio) = default;
  friend constexpr std::strong_ordering operator<=>(ratio a, ratio b) {
    // Normalised denominators are positive, so cross-multiplying keeps the order;
    // 128-bit products cannot overflow.
    auto const lhs = static_cast<detail::int128>(a.num) * b.den;
    auto const rhs = static_cast<detail::int128>(b.num) * a.den;
    return lhs <=> rhs;
  }
};

[[nodiscard]] constexpr ratio abs(ratio r) { return r.num < 0 ? -r : r; }

/// r^k for an integer k (negative k inverts).
[[nodiscard]] constexpr ratio pow(ratio r, int k) {
  ratio out{1};
  ratio const base = k < 0 ? ratio{1} / r : r;
  for (int i = 0; i < (k < 0 ? -k : k); ++i) out = out * base;
  return out;
}

/// m_d = d / d_base, the width multiplier.
[[nodiscard]] constexpr ratio width_ratio(std::int64_t width, std::int64_t base_width) {
  detail::require<SMUP_DIAG_WIDTH_RATIO_NONPOSITIVE>(width > 0 && base_width > 0);
  return ratio{width, base_width};
}

/// Checks that a density lies in (0, 1] and returns it.
constexpr ratio checked_density(ratio density) {
  detail::require<SMUP_DIAG_DENSITY_OUT_OF_RANGE>(density > ratio{0} && density <= ratio{1});
  return density;
}

/// m_rho = rho / rho_base, the density multiplier (rho_base is normally 1).
[[nodiscard]] constexpr ratio density_ratio(ratio density, ratio base_density = ratio{1}) {
  return checked_density(density) / checked_density(base_density);
}

} // namespace smup
