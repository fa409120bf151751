#pragma once
/// What a checkpoint file of smup::save_checkpoint holds, and every check
/// smup::load_checkpoint makes on it before it touches a model (smup/io/checkpoint.hpp):
/// format version, model and optimizer identity, optimizer step count, each tensor's dtype
/// and shape, each mask, the number of tensors and the loop's progress. Free of Kokkos: the
/// model and optimizer appear only as their identities (text) and host copies of their
/// arrays, so the checks can run on bytes in memory, in tests and fuzzing.
///
///     auto const file = smup::safetensors::File::parse(bytes, "last.safetensors");
///     auto const checked = smup::detail::check_checkpoint(file, model_id, optimizer_id,
///                                                         arrays, "last.safetensors ");

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <smup/core/error.hpp>
#include <smup/core/identity.hpp>
#include <smup/io/safetensors.hpp>

namespace smup {

/// The version this smup writes; it reads every version up to this one.
inline constexpr int checkpoint_format_version = 1;

/// Where the training loop stands: what the model and optimizer do not know themselves.
struct TrainingProgress {
  std::int64_t step = 0;          ///< the loop's step count
  std::uint64_t data_seed = 0;    ///< seed of the data order
  std::int64_t data_position = 0; ///< batches consumed in that order
  /// The caller's own values (running averages, best loss so far...), as text.
  std::map<std::string, std::string> extra{};
};

namespace detail {

inline std::string checkpoint_index(std::size_t i) {
  auto const digits = std::to_string(i);
  return std::string(digits.size() < 3 ? 3 - digits.size() : 0, '0') + digits;
}

template <class Scalar> constexpr std::string_view scalar_name() {
  if constexpr (std::is_same_v<Scalar, float>)
    return "float32";
  else if constexpr (std::is_same_v<Scalar, double>)
    return "float64";
  else
    static_assert(std::is_same_v<Scalar, float> || std::is_same_v<Scalar, double>,
                  "smup::checkpoint: only float and double models can be saved.");
}

/// Host copies of a model's tensors, masks and optimizer state, under their file names.
template <class Scalar> struct CheckpointArrays {
  struct Values {
    std::string name;
    std::vector<Scalar> data;
  };
  struct Mask {
    std::string name;
    std::int64_t rows = 0, cols = 0;
    std::vector<bool> data;
  };
  std::vector<Values> values;
  std::vector<Mask> masks;
};

/// The file save_checkpoint writes for a model of identity `model_id` and an optimizer of
/// identity `optimizer_id` after `optimizer_steps` steps, holding `arrays`; refuses a
/// non-finite value, naming the tensor and `path`.
template <class Scalar> safetensors::Writer
checkpoint_writer(Identity const& model_id, Identity const& optimizer_id,
                  std::int64_t optimizer_steps, TrainingProgress const& progress,
                  CheckpointArrays<Scalar> const& arrays, std::filesystem::path const& path) {
  safetensors::Writer out;
  out.set_metadata("smup.format_version", std::to_string(checkpoint_format_version));
  for (auto const& [k, v] : model_id) out.set_metadata("smup.model." + k, v);
  out.set_metadata("smup.model.scalar", std::string(scalar_name<Scalar>()));
  for (auto const& [k, v] : optimizer_id) out.set_metadata("smup.optimizer." + k, v);
  out.set_metadata("smup.optimizer.steps", std::to_string(optimizer_steps));
  out.set_metadata("smup.progress.step", std::to_string(progress.step));
  out.set_metadata("smup.progress.data_seed", std::to_string(progress.data_seed));
  out.set_metadata("smup.progress.data_position", std::to_string(progress.data_position));
  for (auto const& [k, v] : progress.extra) out.set_metadata("smup.progress.extra." + k, v);
  for (auto const& a : arrays.values) {
    for (Scalar x : a.data)
      if (!std::isfinite(x))
        fail("smup::save_checkpoint: tensor '" + a.name + "' holds " + std::to_string(x) +
             ", so '" + path.string() +
             "' was not written: a diverged run has nothing to resume. Resume from the last "
             "good checkpoint with a smaller learning rate.");
    out.add(a.name, {static_cast<std::int64_t>(a.data.size())}, a.data);
  }
  for (auto const& m : arrays.masks) out.add(m.name, {m.rows, m.cols}, m.data);
  return out;
}

/// A checkpoint that passed every check: what load_checkpoint copies in.
template <class Scalar> struct CheckedCheckpoint {
  std::vector<std::vector<Scalar>> values; ///< in the order of CheckpointArrays::values
  std::int64_t optimizer_steps = 0;
  TrainingProgress progress{};
};

/// Checks `file` against a model of identity `model_id` and an optimizer of identity
/// `optimizer_id` whose arrays are `current` (their shapes and masks); throws smup::error,
/// prefixed by `where`, at the first mismatch.
template <class Scalar> CheckedCheckpoint<Scalar>
check_checkpoint(safetensors::File const& file, Identity model_id, Identity const& optimizer_id,
                 CheckpointArrays<Scalar> const& current, std::string const& where) {
  auto const& meta = file.metadata();
  auto const entry = [&](std::string const& key) -> std::string const& {
    auto const it = meta.find(key);
    if (it == meta.end())
      fail(where + "has no '" + key +
           "' in its metadata: it is not a smup checkpoint, or an incomplete one. "
           "Load a file written by smup::save_checkpoint.");
    return it->second;
  };
  auto const integer = [&](std::string const& key) -> std::int64_t {
    std::string const& text = entry(key);
    std::size_t used = 0;
    long long v = 0;
    try {
      v = std::stoll(text, &used);
    } catch (std::exception const&) {
      used = 0;
    }
    if (used == 0 || used != text.size())
      fail(where + "has '" + key + "' = '" + text +
           "', which is not an integer. The file is damaged; load another checkpoint.");
    return v;
  };

  auto const version = integer("smup.format_version");
  if (version > checkpoint_format_version || version < 1)
    fail(where + "has checkpoint format version " + std::to_string(version) +
         ", but this smup reads versions 1 to " + std::to_string(checkpoint_format_version) +
         (version > checkpoint_format_version ? ": it was written by a newer smup. "
                                                "Load it with that version."
                                              : ". The file is damaged."));

  // Identity: every entry must match, and the file must hold no entry the model lacks.
  auto const check_identity = [&](std::string const& prefix, Identity const& id,
                                  std::string const& what, std::string const& article) {
    for (auto const& [k, v] : id) {
      std::string const& saved = entry(prefix + k);
      if (saved != v)
        fail(where + "was written by " + article + " " + what + " with " + k + " '" + saved +
             "', but this " + what + " has " + k + " '" + v + "'. Build the " + what +
             " as the checkpoint's was (its metadata lists every setting), or start a new run.");
    }
    for (auto const& [key, value] : meta) {
      auto const& k = key; // clang before 16 cannot capture a structured binding in a lambda
      if (k.starts_with(prefix) && k != "smup.optimizer.steps" &&
          std::none_of(id.begin(), id.end(),
                       [&](auto const& kv) { return prefix + kv.first == k; }))
        fail(where + "records " + k.substr(prefix.size()) + " '" + value + "' for its " + what +
             ", which this " + what + " does not have. Build the same kind of " + what + ".");
    }
  };
  model_id.emplace_back("scalar", std::string(scalar_name<Scalar>()));
  check_identity("smup.model.", model_id, "model", "a");
  check_identity("smup.optimizer.", optimizer_id, "optimizer", "an");
  CheckedCheckpoint<Scalar> out;
  out.optimizer_steps = integer("smup.optimizer.steps");
  if (out.optimizer_steps < 0)
    fail(where + "has a negative optimizer step count. The file is damaged.");

  // Every array the model and optimizer hold, read and checked.
  for (auto const& a : current.values)
    out.values.push_back(
        file.template tensor<Scalar>(a.name, {static_cast<std::int64_t>(a.data.size())}));
  for (auto const& m : current.masks)
    if (file.template tensor<bool>(m.name, {m.rows, m.cols}) != m.data)
      fail(where + "holds another mask for hidden matrix " + m.name.substr(5) +
           " than this model's: the model was built from another seed or mask rule. Build it "
           "with the checkpoint's seed (" +
           entry("smup.model.seed") + ").");
  auto const expected_tensors = current.values.size() + current.masks.size();
  if (file.names().size() != expected_tensors)
    fail(where + "holds " + std::to_string(file.names().size()) +
         " tensors, but this model and optimizer have " + std::to_string(expected_tensors) +
         ". Load it into the same configuration.");

  out.progress.step = integer("smup.progress.step");
  out.progress.data_seed = static_cast<std::uint64_t>(integer("smup.progress.data_seed"));
  out.progress.data_position = integer("smup.progress.data_position");
  std::string const extra = "smup.progress.extra.";
  for (auto const& [k, v] : meta)
    if (k.starts_with(extra)) out.progress.extra[k.substr(extra.size())] = v;
  return out;
}

} // namespace detail
} // namespace smup
