// SMUP_EXPECT_ERROR: smup::HyperParams: alpha_in, alpha_out and lr_mult_non_hidden must be positive
#include <smup/parameterization/layer_hyperparams.hpp>
#include <smup/parameterization/sp.hpp>

constexpr auto broken = smup::layer_hyperparams<smup::SP>({.alpha_out = 0.0}, {.width = 128}, 128,
                                                          smup::ratio{1}, smup::Role::output);
