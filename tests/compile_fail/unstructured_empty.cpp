// SMUP_EXPECT_ERROR: smup::SparseWeights: rows and columns must both be at least 1
#include <smup/sparsity/unstructured.hpp>

// Static extents make the shape rule a compile-time check.
constexpr bool broken = (smup::Unstructured::check_shape(0, 64), true);
