#pragma once
/// Math functions callable from kernels on every backend. Kokkos 3.7 moved them
/// from Kokkos::Experimental into Kokkos; these wrappers take whichever exists.

#include <type_traits>

#include <Kokkos_Core.hpp>

namespace smup::detail {

#if KOKKOS_VERSION >= 30700
#define SMUP_DETAIL_KOKKOS_MATH Kokkos
#else
#define SMUP_DETAIL_KOKKOS_MATH Kokkos::Experimental
#endif

template <class T> KOKKOS_INLINE_FUNCTION T exp(T x) { return SMUP_DETAIL_KOKKOS_MATH::exp(x); }
template <class T> KOKKOS_INLINE_FUNCTION T log(T x) { return SMUP_DETAIL_KOKKOS_MATH::log(x); }
template <class T> KOKKOS_INLINE_FUNCTION T sqrt(T x) { return SMUP_DETAIL_KOKKOS_MATH::sqrt(x); }
template <class T> KOKKOS_INLINE_FUNCTION T cos(T x) { return SMUP_DETAIL_KOKKOS_MATH::cos(x); }

#undef SMUP_DETAIL_KOKKOS_MATH

/// e^y in arithmetic alone, which a compiler vectorises (libm's expf is one call per
/// entry): y = n ln2 + r with |r| <= ln2 / 2 (ln2 split in two for an exact product), e^r
/// from its degree-7 Taylor polynomial, and 2^|n| as a product of exact powers of two.
/// Relative error about 1e-7 in float; y is clamped to [-80, 80], inside float's range.
template <class T> KOKKOS_INLINE_FUNCTION T exp_arithmetic(T y) {
  T const c = y < T(-80) ? T(-80) : y > T(80) ? T(80) : y;
  T const t = c * T(1.4426950408889634);
  int const n = static_cast<int>(t < T(0) ? t - T(0.5) : t + T(0.5));
  T const r = (c - T(n) * T(0.693359375)) - T(n) * T(-2.12194440e-4);
  T p = T(1.0 / 5040);
  p = p * r + T(1.0 / 720);
  p = p * r + T(1.0 / 120);
  p = p * r + T(1.0 / 24);
  p = p * r + T(1.0 / 6);
  p = p * r + T(0.5);
  p = p * r + T(1);
  p = p * r + T(1);
  int const m = n < 0 ? -n : n;
  T s = (m & 1) ? T(2) : T(1);
  s *= (m & 2) ? T(4) : T(1);
  s *= (m & 4) ? T(16) : T(1);
  s *= (m & 8) ? T(256) : T(1);
  s *= (m & 16) ? T(65536) : T(1);
  s *= (m & 32) ? T(4294967296.0) : T(1);
  s *= (m & 64) ? T(18446744073709551616.0) : T(1);
  // Both branches computed, then selected: a division under a condition would keep the
  // loop around this from vectorising (the compiler may not speculate a division).
  T const inverse = T(1) / s;
  return p * (n < 0 ? inverse : s);
}

/// e^y for loops meant to vectorise: exp_arithmetic in float, libm in double (where the
/// float constants of exp_arithmetic would show).
template <class T> KOKKOS_INLINE_FUNCTION T exp_vectorisable(T y) {
  if constexpr (std::is_same_v<T, float>)
    return exp_arithmetic(y);
  else
    return exp(y);
}

/// 1 / (1 + e^-z), vectorisable in float.
template <class T> KOKKOS_INLINE_FUNCTION T logistic(T z) {
  return T(1) / (T(1) + exp_vectorisable(-z));
}

} // namespace smup::detail
