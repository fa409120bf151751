#pragma once
/// smup::Monomial: a scaling law m_d^a * m_rho^b with exact rational exponents.
///
/// Every SP / muP / SmuP rule is such a monomial (e.g. the SmuP hidden init
/// variance is m_d^-1 * m_rho^-1), so rules can be multiplied, compared and
/// checked by the compiler, then evaluated for concrete ratios:
///
///     constexpr smup::Monomial v{.width = -1, .density = -1};
///     static_assert(smup::sqrt(v) == smup::Monomial{.width = {-1, 2}, .density = {-1, 2}});
///     double scale = v.at(smup::width_ratio(1024, 128), smup::ratio{1, 16}); // 2.0

#include <smup/core/diagnostics.hpp>
#include <smup/core/error.hpp>
#include <smup/core/ratio.hpp>

// Constant evaluation never fuses a*b-c into one rounding; a build that contracts
// (g++ -march=native with fused multiply-add) would, and the run-time table would
// then differ from the compile-time one in the last bit. Forbid it here.
#if defined(__GNUC__) && !defined(__clang__)
#define SMUP_DETAIL_NO_FP_CONTRACT __attribute__((optimize("fp-contract=off")))
#else
#define SMUP_DETAIL_NO_FP_CONTRACT
#endif

namespace smup {

namespace detail {

/// x^k by repeated squaring, k >= 0.
constexpr double integer_power(double x, std::int64_t k) {
  double out = 1.0;
  while (k > 0) {
    if (k & 1) out *= x;
    x *= x;
    k >>= 1;
  }
  return out;
}

/// The positive q-th root of y > 0 by Newton's method; usable in constant expressions.
SMUP_DETAIL_NO_FP_CONTRACT constexpr double root(double y, std::int64_t q) {
#if defined(__clang__)
#pragma clang fp contract(off)
#endif
  if (q == 1 || y == 0.0 || y - y != 0.0) return y; // 0, inf and NaN have no scale to find
  // Start at the power of two just above y^(1/q): from a far start Newton only
  // creeps by (q-1)/q per step and stopped short (1024^(5/8) = 76.1 came out 354.8).
  std::int64_t e = 0; // 2^e <= y < 2^(e+1), found exactly by halving or doubling
  for (double t = y; t >= 2.0; t /= 2.0) ++e;
  for (double t = y; t < 1.0; t *= 2.0) --e;
  std::int64_t up = (e + 1) / q; // ceil((e+1)/q), so 2^up >= y^(1/q)
  if ((e + 1) % q > 0) ++up;
  double x = up >= 0 ? integer_power(2.0, up) : 1.0 / integer_power(2.0, -up);
  // From above, Newton decreases monotonically until rounding stops it.
  for (int i = 0; i < 1000; ++i) {
    double const xq1 = integer_power(x, q - 1);
    double const next = x - (xq1 * x - y) / (static_cast<double>(q) * xq1);
    if (!(next < x)) break;
    x = next;
  }
  return x;
}

/// base^e for a positive base and a rational exponent. The same algorithm runs at
/// compile time and at run time, so a table computed by the compiler equals the
/// one computed by the program bit for bit (std::pow is not constexpr).
constexpr double rational_power(double base, ratio e) {
  if (e.num == 0) return 1.0;
  std::int64_t const k = e.num < 0 ? -e.num : e.num;
  double const magnitude = root(integer_power(base, k), e.den);
  return e.num < 0 ? 1.0 / magnitude : magnitude;
}

} // namespace detail

struct Monomial {
  ratio width{0};   ///< exponent a of m_d
  ratio density{0}; ///< exponent b of m_rho

  /// Value of m_d^a * m_rho^b for concrete multipliers (both must be positive).
  [[nodiscard]] constexpr double at(ratio width_multiplier, ratio density_multiplier) const {
    detail::require<SMUP_DIAG_MONOMIAL_NONPOSITIVE_BASE>(width_multiplier > ratio{0} &&
                                                         density_multiplier > ratio{0});
    return detail::rational_power(width_multiplier.to_double(), width) *
           detail::rational_power(density_multiplier.to_double(), density);
  }

  [[nodiscard]] constexpr bool is_constant() const { return width.num == 0 && density.num == 0; }

  friend constexpr Monomial operator*(Monomial a, Monomial b) {
    return {a.width + b.width, a.density + b.density};
  }
  friend constexpr Monomial operator/(Monomial a, Monomial b) {
    return {a.width - b.width, a.density - b.density};
  }
  friend constexpr bool operator==(Monomial, Monomial) = default;
};

/// The constant 1 = m_d^0 * m_rho^0.
inline constexpr Monomial unit_scaling{};
/// m_d^1 and m_rho^1, the building blocks of every rule.
inline constexpr Monomial m_d{.width = 1, .density = 0};
inline constexpr Monomial m_rho{.width = 0, .density = 1};

[[nodiscard]] constexpr Monomial pow(Monomial m, ratio k) { return {m.width * k, m.density * k}; }
[[nodiscard]] constexpr Monomial sqrt(Monomial m) { return pow(m, ratio{1, 2}); }
[[nodiscard]] constexpr Monomial inverse(Monomial m) { return pow(m, ratio{-1}); }

} // namespace smup
