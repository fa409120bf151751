// SMUP_EXPECT_COMPILES
// The harness itself: correct code using every checked entry point must build
// cleanly, so a failure elsewhere means the diagnostic, not the setup.
#include <smup/smup.hpp>

constexpr smup::ratio density = smup::parse_ratio("1/16");
constexpr smup::HyperParams hp{.sigma = 0.05, .eta = 0x1p-9};
constexpr auto table =
    smup::hp_table<smup::SMuP, 2>(hp, {.width = 128}, {.width = 1024, .density = density});
static_assert(table[1].lr_adam == 0x1p-8);
static_assert(smup::check_parameterization<smup::MuP>());
static_assert(smup::assert_stable<smup::SMuP>());
static_assert(smup::density_ratio<smup::NM<2, 4>>() == smup::ratio{1, 2});
static_assert(smup::Block<32, 32>::block_rows == 32);
static_assert(smup::width_ratio(1024, 128) == smup::ratio{8});
static_assert(smup::checked_density(smup::ratio{1}) == smup::ratio{1});
static_assert(smup::layer_hyperparams<smup::SP>(hp, {.width = 128}, 256, smup::ratio{1},
                                                smup::Role::input)
                  .init_std == 0.05);

int main() { return 0; }
