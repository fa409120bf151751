#pragma once
// The GPT side of example 06 (--model gpt), in its own translation unit: one GPT type per
// parameterization and sparsity type is most of the example's compile time, and the two
// units build in parallel.
#include <string>
#include <vector>

#include <smup/diagnostics/sweep.hpp>

#include "../common/lm_training.hpp"
#include "settings.hpp"

namespace smup_example::structured_transfer {

/// The GPT's block pattern: 4 x 4 leaves 2 blocks per block row at width 128, density 1/16.
using GptBlock = smup::Block<4, 4>;

/// Trains the GPT one sweep run names (keys pattern, parameterization, width, density) and
/// returns its validation loss.
smup::RunResult train_gpt_run(Settings const& s, LmData& data, smup::RunSpec const& run);

/// The coordinate check over density for each pattern at the target width: rows of
/// pattern, parameterization, width, density, step, layer, mean |x|.
std::vector<std::vector<std::string>> gpt_coordinate_check(Settings const& s, LmData& data);

/// Throws std::invalid_argument if a pattern cannot take one of the sweep's densities.
void check_gpt_patterns(Settings const& s);

} // namespace smup_example::structured_transfer
