// SMUP_EXPECT_ERROR: smup::parse_ratio: expected a positive number written as an integer
#include <smup/core/parse_ratio.hpp>

constexpr smup::ratio broken = smup::parse_ratio("abc");
