// The checkpoint loader's checks (smup::safetensors::File::parse, then what
// smup::load_checkpoint verifies before it touches a model: smup/io/checkpoint_format.hpp)
// on arbitrary bytes, against the small model of checkpoint_model.hpp: either smup::error,
// or values of exactly the model's shapes, a step count >= 0 and the progress recorded.
#include <cstddef>
#include <cstdint>
#include <span>

#include <smup/core/error.hpp>
#include <smup/io/checkpoint_format.hpp>
#include <smup/io/safetensors.hpp>

#include "checkpoint_model.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  std::span<std::byte const> const bytes(reinterpret_cast<std::byte const*>(data), size);
  static auto const arrays = smup_fuzz::model_arrays();
  try {
    auto const file = smup::safetensors::File::parse(bytes, "fuzz.safetensors");
    auto const checked = smup::detail::check_checkpoint(
        file, smup_fuzz::model_identity(), smup_fuzz::optimizer_identity(), arrays,
        "smup::load_checkpoint: 'fuzz.safetensors' ");
    SMUP_FUZZ_CHECK(checked.values.size() == arrays.values.size());
    for (std::size_t k = 0; k < arrays.values.size(); ++k)
      SMUP_FUZZ_CHECK(checked.values[k].size() == arrays.values[k].data.size());
    SMUP_FUZZ_CHECK(checked.optimizer_steps >= 0);
    SMUP_FUZZ_CHECK(file.names().size() == arrays.values.size() + arrays.masks.size());
  } catch (smup::error const&) {
  }
  return 0;
}
