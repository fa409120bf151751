// SMUP_EXPECT_ERROR: smup::Monomial: width and density multipliers must be positive
#include <smup/core/monomial.hpp>

constexpr double broken = smup::m_d.at(smup::ratio{0}, smup::ratio{1});
