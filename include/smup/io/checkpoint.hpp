#pragma once
/// smup::save_checkpoint / smup::load_checkpoint: the whole training state in one
/// safetensors file, so that a resumed run continues bit for bit where it stopped.
///
///     smup::TrainingProgress progress{.step = step, .data_seed = 0, .data_position = step};
///     smup::save_checkpoint("run/last.safetensors", model, adam, progress);
///     ...
///     auto const resumed = smup::load_checkpoint("run/last.safetensors", model, adam);
///     // model and adam are as they were; resumed.step, .data_position say where the loop was
///
/// The file holds every trainable tensor ("param.<i>.<role>", in the storage order of its
/// format), every hidden matrix's mask ("mask.<j>", BOOL [rows, cols]), the optimizer's
/// state ("optim.<i>.<name>", e.g. Adam's m and v) and, in the header's __metadata__, the
/// format version, the model's identity (parameterization, pattern, shape, density, scalar
/// type, base shape, hyper-parameters, seed), the optimizer's (kind, constants, step count:
/// the schedule's position) and the loop's progress. The writer adds a CRC-32 of the data.
///
/// Saving refuses a model holding NaN or infinity (a diverged run has nothing to resume).
/// Loading reads and checks the whole file first — its integrity, the format version, every
/// identity entry, every tensor's dtype and shape, every mask — and only then copies into
/// the model and optimizer: a refused file leaves both untouched, with an smup::error naming
/// the mismatch. Files are written atomically (temporary file, fsync, rename).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <Kokkos_Core.hpp>

#include <smup/core/error.hpp>
#include <smup/core/identity.hpp>
#include <smup/core/role.hpp>
#include <smup/io/safetensors.hpp>
#include <smup/optim/tensor.hpp>

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

template <class V> std::vector<typename V::non_const_value_type> host_vector(V const& view) {
  auto const h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, view);
  return {h.data(), h.data() + h.extent(0)};
}

template <class Model, class Optimizer> CheckpointArrays<typename Model::scalar_type>
checkpoint_arrays(Model& model, Optimizer& optimizer) {
  using Scalar = typename Model::scalar_type;
  using E = typename Model::execution_space;
  CheckpointArrays<Scalar> out;
  std::size_t i = 0;
  model.for_each_tensor([&](Tensor<Scalar, E> const& t) {
    out.values.push_back(
        {"param." + checkpoint_index(i++) + "." + std::string(to_string(t.rules.role)),
         host_vector(t.values)});
  });
  std::size_t j = 0;
  model.for_each_hidden_weights([&](auto const& w) {
    auto const mask = w.mask_host();
    out.masks.push_back({"mask." + checkpoint_index(j++), w.rows(), w.cols(),
                         std::vector<bool>(mask.data(), mask.data() + mask.size())});
  });
  optimizer.for_each_state([&](std::size_t tensor, std::string_view name, auto const& view) {
    out.values.push_back(
        {"optim." + checkpoint_index(tensor) + "." + std::string(name), host_vector(view)});
  });
  return out;
}

} // namespace detail

/// Writes the model's and optimizer's whole state and `progress` to `path` (see the top of
/// this header). Throws smup::error naming the file when it cannot be written, or the
/// tensor when the model holds a non-finite value; an existing file is then left as it was.
template <class Model, class Optimizer> void save_checkpoint(std::filesystem::path const& path,
                                                             Model& model, Optimizer& optimizer,
                                                             TrainingProgress const& progress) {
  using Scalar = typename Model::scalar_type;
  auto const arrays = detail::checkpoint_arrays(model, optimizer);
  safetensors::Writer out;
  out.set_metadata("smup.format_version", std::to_string(checkpoint_format_version));
  for (auto const& [k, v] : model.identity()) out.set_metadata("smup.model." + k, v);
  out.set_metadata("smup.model.scalar", std::string(detail::scalar_name<Scalar>()));
  for (auto const& [k, v] : optimizer.identity()) out.set_metadata("smup.optimizer." + k, v);
  out.set_metadata("smup.optimizer.steps", std::to_string(optimizer.steps()));
  out.set_metadata("smup.progress.step", std::to_string(progress.step));
  out.set_metadata("smup.progress.data_seed", std::to_string(progress.data_seed));
  out.set_metadata("smup.progress.data_position", std::to_string(progress.data_position));
  for (auto const& [k, v] : progress.extra) out.set_metadata("smup.progress.extra." + k, v);
  for (auto const& a : arrays.values) {
    for (Scalar x : a.data)
      if (!std::isfinite(x))
        detail::fail("smup::save_checkpoint: tensor '" + a.name + "' holds " + std::to_string(x) +
                     ", so '" + path.string() +
                     "' was not written: a diverged run has nothing to resume. Resume from "
                     "the last good checkpoint with a smaller learning rate.");
    out.add(a.name, {static_cast<std::int64_t>(a.data.size())}, a.data);
  }
  for (auto const& m : arrays.masks) out.add(m.name, {m.rows, m.cols}, m.data);
  out.write(path);
}

/// Restores the model and optimizer from `path` and returns the loop's progress. Refuses
/// (smup::error naming the file and the mismatch, model and optimizer untouched) a file
/// that is corrupted or truncated, from a newer format, or written by a model or
/// optimizer of another parameterization, pattern, shape, density, scalar type,
/// hyper-parameters, seed, mask or optimizer configuration.
template <class Model, class Optimizer> TrainingProgress
load_checkpoint(std::filesystem::path const& path, Model& model, Optimizer& optimizer) {
  using Scalar = typename Model::scalar_type;
  auto const file = safetensors::File::read(path);
  auto const& meta = file.metadata();
  std::string const where = "smup::load_checkpoint: '" + path.string() + "' ";
  auto const entry = [&](std::string const& key) -> std::string const& {
    auto const it = meta.find(key);
    if (it == meta.end())
      detail::fail(where + "has no '" + key +
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
      detail::fail(where + "has '" + key + "' = '" + text +
                   "', which is not an integer. The file is damaged; load another checkpoint.");
    return v;
  };

  auto const version = integer("smup.format_version");
  if (version > checkpoint_format_version || version < 1)
    detail::fail(where + "has checkpoint format version " + std::to_string(version) +
                 ", but this smup reads versions 1 to " +
                 std::to_string(checkpoint_format_version) +
                 (version > checkpoint_format_version ? ": it was written by a newer smup. "
                                                        "Load it with that version."
                                                      : ". The file is damaged."));

  // Identity: every entry must match, and the file must hold no entry the model lacks.
  auto const check_identity = [&](std::string const& prefix, Identity const& id,
                                  std::string const& what, std::string const& article) {
    for (auto const& [k, v] : id) {
      std::string const& saved = entry(prefix + k);
      if (saved != v)
        detail::fail(where + "was written by " + article + " " + what + " with " + k + " '" +
                     saved + "', but this " + what + " has " + k + " '" + v + "'. Build the " +
                     std::string(what) +
                     " as the checkpoint's was (its metadata lists every setting), or start a "
                     "new run.");
    }
    for (auto const& [k, v] : meta)
      if (k.starts_with(prefix) && k != "smup.optimizer.steps" &&
          std::none_of(id.begin(), id.end(),
                       [&](auto const& kv) { return prefix + kv.first == k; }))
        detail::fail(where + "records " + k.substr(prefix.size()) + " '" + v + "' for its " +
                     std::string(what) + ", which this " + std::string(what) +
                     " does not have. Build the same kind of " + std::string(what) + ".");
  };
  auto model_id = model.identity();
  model_id.emplace_back("scalar", std::string(detail::scalar_name<Scalar>()));
  check_identity("smup.model.", model_id, "model", "a");
  check_identity("smup.optimizer.", optimizer.identity(), "optimizer", "an");
  auto const steps = integer("smup.optimizer.steps");
  if (steps < 0) detail::fail(where + "has a negative optimizer step count. The file is damaged.");

  // Everything the model and optimizer hold, read and checked before anything changes.
  auto const current = detail::checkpoint_arrays(model, optimizer);
  std::vector<std::vector<Scalar>> staged;
  std::size_t expected_tensors = current.values.size() + current.masks.size();
  for (auto const& a : current.values)
    staged.push_back(
        file.template tensor<Scalar>(a.name, {static_cast<std::int64_t>(a.data.size())}));
  for (auto const& m : current.masks)
    if (file.template tensor<bool>(m.name, {m.rows, m.cols}) != m.data)
      detail::fail(where + "holds another mask for hidden matrix " + m.name.substr(5) +
                   " than this model's: the model was built from another seed or mask rule. "
                   "Build it with the checkpoint's seed (" +
                   entry("smup.model.seed") + ").");
  if (file.names().size() != expected_tensors)
    detail::fail(where + "holds " + std::to_string(file.names().size()) +
                 " tensors, but this model and optimizer have " + std::to_string(expected_tensors) +
                 ". Load it into the same configuration.");

  TrainingProgress progress;
  progress.step = integer("smup.progress.step");
  progress.data_seed = static_cast<std::uint64_t>(integer("smup.progress.data_seed"));
  progress.data_position = integer("smup.progress.data_position");
  std::string const extra = "smup.progress.extra.";
  for (auto const& [k, v] : meta)
    if (k.starts_with(extra)) progress.extra[k.substr(extra.size())] = v;

  // Commit: nothing below can fail on a file that passed the checks above.
  using E = typename Model::execution_space;
  std::size_t i = 0;
  auto const copy_in = [&](auto const& view) {
    auto const& data = staged[i++];
    Kokkos::View<Scalar const*, Kokkos::HostSpace, Kokkos::MemoryUnmanaged> const host(data.data(),
                                                                                       data.size());
    Kokkos::deep_copy(view, host);
  };
  model.for_each_tensor([&](Tensor<Scalar, E> const& t) { copy_in(t.values); });
  optimizer.for_each_state([&](std::size_t, std::string_view, auto const& view) { copy_in(view); });
  optimizer.restore_steps(steps);
  Kokkos::fence();
  return progress;
}

} // namespace smup
