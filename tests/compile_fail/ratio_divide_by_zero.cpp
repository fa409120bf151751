// SMUP_EXPECT_ERROR: smup::ratio: division by a zero ratio\. The quotient has no value
#include <smup/core/ratio.hpp>

constexpr smup::ratio broken = smup::ratio{1, 2} / smup::ratio{0};
