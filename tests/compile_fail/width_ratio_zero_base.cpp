// SMUP_EXPECT_ERROR: smup::width_ratio: width and base width must both be positive
#include <smup/core/ratio.hpp>

constexpr smup::ratio broken = smup::width_ratio(1024, 0);
