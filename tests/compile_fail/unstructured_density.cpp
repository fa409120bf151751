// SMUP_EXPECT_ERROR: smup::density: density must lie in \(0, 1\]\. Density is the kept fraction
#include <smup/sparsity/unstructured.hpp>

// A static density is checked at compile time.
constexpr smup::ratio broken = smup::BalancedUnstructured::check_density(smup::ratio{3, 2});
