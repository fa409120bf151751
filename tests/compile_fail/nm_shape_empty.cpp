// SMUP_EXPECT_ERROR: smup::SparseWeights: rows and columns must both be at least 1
#include <smup/sparsity/nm.hpp>

constexpr bool broken = (smup::NM<2, 4>::check_shape(0, 8), true);
