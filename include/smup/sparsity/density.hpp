#pragma once
/// The density multiplier m_rho straight from a pattern whose density is static.
///
///     static_assert(smup::density_ratio<smup::NM<2, 4>>() == smup::ratio{1, 2});

#include <smup/core/ratio.hpp>
#include <smup/sparsity/concepts.hpp>

namespace smup {

template <StaticDensityPattern S> constexpr ratio density_ratio(ratio base_density = ratio{1}) {
  return density_ratio(ratio{S::density}, base_density);
}

} // namespace smup
