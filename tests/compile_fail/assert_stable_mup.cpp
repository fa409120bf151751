// SMUP_EXPECT_ERROR: <muP>: role \\?'hidden\\?', activation at init scales as m_rho\^\(1/2\)
// muP is width-stable only: the computed message names the density failure.
#include <smup/parameterization/mup.hpp>
#include <smup/parameterization/stability.hpp>

static_assert(smup::assert_stable<smup::MuP>());
