// SMUP_EXPECT_ERROR: smup::HyperParams: weight_decay must be finite and not negative
#include <smup/parameterization/hyperparams.hpp>

constexpr smup::HyperParams hp{.weight_decay = -0.1};
constexpr double broken = smup::checked(hp).weight_decay;
