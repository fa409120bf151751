#pragma once
/// Weight initialisation from counter-based random numbers: entry k of a compressed
/// value array gets a normal draw that depends only on (seed, k), so a layer starts
/// from the same weights on every backend and thread count.
///
///     smup::fill_normal(weights.values(), /*std=*/0.02, /*seed=*/7);

#include <cstdint>

#include <Kokkos_Core.hpp>

#include <smup/kernels/math.hpp>
#include <smup/sparsity/counter_hash.hpp>

namespace smup {

template <class Values> void fill_normal(Values const& values, double std_dev, std::uint64_t seed) {
  using E = typename Values::execution_space;
  using Scalar = typename Values::non_const_value_type;
  Kokkos::parallel_for(
      "smup::fill_normal", Kokkos::RangePolicy<E>(0, values.extent(0)),
      KOKKOS_LAMBDA(std::int64_t k) {
        // Box-Muller; 1 - u keeps the logarithm's argument in (0, 1].
        double const u1 = 1.0 - detail::uniform01(seed, static_cast<std::uint64_t>(k), 0);
        double const u2 = detail::uniform01(seed, static_cast<std::uint64_t>(k), 1);
        double const radius = detail::sqrt(-2.0 * detail::log(u1));
        double const angle = 6.283185307179586 * u2;
        values(k) = static_cast<Scalar>(std_dev * radius * detail::cos(angle));
      });
}

} // namespace smup
