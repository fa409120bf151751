#pragma once
/// Math functions callable from kernels on every backend. Kokkos 3.7 moved them
/// from Kokkos::Experimental into Kokkos; these wrappers take whichever exists.

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
template <class T> KOKKOS_INLINE_FUNCTION T tanh(T x) { return SMUP_DETAIL_KOKKOS_MATH::tanh(x); }
template <class T> KOKKOS_INLINE_FUNCTION T cos(T x) { return SMUP_DETAIL_KOKKOS_MATH::cos(x); }

#undef SMUP_DETAIL_KOKKOS_MATH

} // namespace smup::detail
