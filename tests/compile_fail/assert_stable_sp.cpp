// SMUP_EXPECT_ERROR: <SP>: role \\?'hidden\\?', activation at init scales as m_d\^\(1/2\)
#include <smup/parameterization/sp.hpp>
#include <smup/parameterization/stability.hpp>

static_assert(smup::assert_stable<smup::SP>());
