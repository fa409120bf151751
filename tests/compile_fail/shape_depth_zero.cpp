// SMUP_EXPECT_ERROR: smup::TargetShape: hidden_layers must be at least 1\. The canonical network
#include <smup/parameterization/layer_hyperparams.hpp>
#include <smup/parameterization/sparse_mup.hpp>

constexpr auto broken = smup::hp_table<smup::SMuP, 0>({}, {.width = 128}, {.width = 1024});
