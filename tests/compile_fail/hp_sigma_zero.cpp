// SMUP_EXPECT_ERROR: smup::HyperParams: sigma must be positive and finite\. It is the base init
#include <smup/parameterization/layer_hyperparams.hpp>
#include <smup/parameterization/sparse_mup.hpp>

constexpr auto broken =
    smup::hp_table<smup::SMuP, 2>({.sigma = 0.0, .eta = 0x1p-9}, {.width = 128}, {.width = 1024});
