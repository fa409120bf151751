// SMUP_EXPECT_ERROR: smup::density: density must lie in \(0, 1\]\. Density is the kept fraction
#include <smup/core/ratio.hpp>

constexpr smup::ratio broken = smup::checked_density(smup::ratio{3, 2});
