// SMUP_EXPECT_ERROR: smup::NM<N, M>: N must be smaller than M\. With N >= M every weight is kept
#include <smup/sparsity/nm.hpp>

constexpr smup::ratio broken = smup::NM<4, 4>::density;
