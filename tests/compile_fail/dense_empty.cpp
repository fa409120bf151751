// SMUP_EXPECT_ERROR: smup::SparseWeights: rows and columns must both be at least 1
#include <smup/sparsity/dense.hpp>

constexpr bool broken = (smup::Dense::check_shape(0, 128), true);
