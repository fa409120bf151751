#pragma once
// A small model and optimizer as a checkpoint sees them, their identities and host arrays:
// what the checkpoint fuzz target checks files against, and what make_seeds writes.
#include <cstdint>
#include <filesystem>
#include <vector>

#include <smup/core/identity.hpp>
#include <smup/io/checkpoint_format.hpp>
#include <smup/io/safetensors.hpp>

namespace smup_fuzz {

inline smup::Identity model_identity() {
  return {{"model", "MLP"},
          {"parameterization", "SmuP"},
          {"pattern", "Unstructured"},
          {"in", "3"},
          {"width", "2"},
          {"out", "2"},
          {"density", "1/2"},
          {"seed", "7"}};
}

inline smup::Identity optimizer_identity() {
  return {{"kind", "AdamW"}, {"beta1", "0.90000000000000002"}, {"beta2", "0.999"}};
}

/// Input, hidden and output weights, Adam's moments of the input weights, one 2 x 2 mask.
inline smup::detail::CheckpointArrays<float> model_arrays() {
  return {.values = {{"param.000.input", {0.5f, -1, 0.25f, 2, 0, -0.125f}},
                     {"param.001.hidden", {1, 0, 0, -1}},
                     {"param.002.output", {0.75f, 0.5f, -0.5f, 1}},
                     {"optim.000.m", {0.01f, 0, 0, 0.02f, 0, 0}},
                     {"optim.000.v", {1e-4f, 0, 0, 4e-4f, 0, 0}}},
          .masks = {{"mask.000", 2, 2, {true, false, false, true}}}};
}

/// The checkpoint of this model after `steps` optimizer steps.
inline std::vector<std::byte> checkpoint_bytes(std::int64_t steps,
                                               smup::TrainingProgress const& progress) {
  return smup::detail::checkpoint_writer(model_identity(), optimizer_identity(), steps, progress,
                                         model_arrays(), "seed.safetensors")
      .to_bytes();
}

} // namespace smup_fuzz
