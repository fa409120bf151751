// SMUP_EXPECT_ERROR: smup::ratio: the denominator is zero\. A ratio is a fraction num/den
#include <smup/core/ratio.hpp>

constexpr smup::ratio broken{1, 0};
