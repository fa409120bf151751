// SMUP_EXPECT_ERROR: smup::layer_hyperparams: only hidden matrices may be sparse
#include <smup/parameterization/layer_hyperparams.hpp>
#include <smup/parameterization/sparse_mup.hpp>

constexpr smup::LayerHyperParams broken = smup::layer_hyperparams<smup::SMuP>(
    smup::HyperParams{}, {.width = 128}, 1024, smup::ratio{1, 16}, smup::Role::input);
