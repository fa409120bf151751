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
/// from its degree-7 Taylor polynomial, and 2^n as a product of exact powers of two.
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
  // 2^n without a division: with k = n + 116 >= 0 (|n| <= 116 after the clamp),
  // p 2^n = p 2^-116 2^k, multiplied in by exact powers of two from the smallest partial
  // product up, each one a normal number: the same bits as p times 2^n.
  int const k = n + 116;
  T s = p * T(1.2037062152420224e-35); // 2^-116
  s *= static_cast<T>(1 << (k & 15));
  s *= (k & 16) ? T(65536) : T(1);
  s *= (k & 32) ? T(4294967296.0) : T(1);
  s *= (k & 64) ? T(18446744073709551616.0) : T(1);
  s *= (k & 128) ? T(18446744073709551616.0) : T(1);
  s *= (k & 128) ? T(18446744073709551616.0) : T(1);
  return s;
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
