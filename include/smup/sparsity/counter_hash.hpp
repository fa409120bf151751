#pragma once
/// Counter-based random numbers for masks: the value for (seed, row, column) is a
/// pure function of those three numbers, so a mask is the same on every backend,
/// thread count and generation order (a stateful generator's streams are not).
/// Callable in kernels too (weight init draws from it on the device).
///
///     double u = smup::detail::uniform01(seed, row, col);   // in [0, 1)

#include <cstdint>

#include <Kokkos_Macros.hpp>

namespace smup::detail {

/// The splitmix64 finaliser: a bijective mix with good avalanche.
KOKKOS_INLINE_FUNCTION constexpr std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

KOKKOS_INLINE_FUNCTION constexpr std::uint64_t counter_hash(std::uint64_t seed, std::uint64_t a,
                                                            std::uint64_t b) {
  // Chaining through the mix keeps (a, b) and (b, a) apart.
  return mix64(mix64(mix64(seed + 0x9e3779b97f4a7c15ULL) ^ a) + b);
}

/// Uniform in [0, 1) with 53 random bits.
KOKKOS_INLINE_FUNCTION constexpr double uniform01(std::uint64_t seed, std::uint64_t a,
                                                  std::uint64_t b) {
  return static_cast<double>(counter_hash(seed, a, b) >> 11) * 0x1p-53;
}

} // namespace smup::detail
