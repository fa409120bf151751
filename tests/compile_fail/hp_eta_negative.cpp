// SMUP_EXPECT_ERROR: smup::HyperParams: eta must be positive and finite\. It is the base learning
#include <smup/parameterization/layer_hyperparams.hpp>
#include <smup/parameterization/mup.hpp>

constexpr auto broken =
    smup::hp_table<smup::MuP, 1>({.sigma = 0.02, .eta = -1e-3}, {.width = 128}, {.width = 256});
