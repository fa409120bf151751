// SMUP_EXPECT_ERROR: smup::NM<N, M>: N must be at least 1\. N:M sparsity keeps N of every M
#include <smup/sparsity/nm.hpp>

constexpr smup::ratio broken = smup::NM<0, 4>::density;
