// SMUP_EXPECT_ERROR: use of deleted function.*smup::ratio::ratio\(F\) \[with F = double\]
// A density written as a double would have truncated to 0 (or 1.5 to 1).
#include <smup/parameterization/shape.hpp>

constexpr smup::TargetShape broken{.width = 1024, .density = 0.5};
