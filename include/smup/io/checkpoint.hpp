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

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <Kokkos_Core.hpp>

#include <smup/core/error.hpp>
#include <smup/core/identity.hpp>
#include <smup/core/role.hpp>
#include <smup/io/checkpoint_format.hpp>
#include <smup/io/safetensors.hpp>
#include <smup/optim/tensor.hpp>

namespace smup {

namespace detail {

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
  detail::checkpoint_writer(model.identity(), optimizer.identity(), optimizer.steps(), progress,
                            detail::checkpoint_arrays(model, optimizer), path)
      .write(path);
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
  auto const checked = detail::check_checkpoint(file, model.identity(), optimizer.identity(),
                                                detail::checkpoint_arrays(model, optimizer),
                                                "smup::load_checkpoint: '" + path.string() + "' ");

  // Commit: nothing below can fail on a file that passed the checks above.
  using E = typename Model::execution_space;
  std::size_t i = 0;
  auto const copy_in = [&](auto const& view) {
    auto const& data = checked.values[i++];
    Kokkos::View<Scalar const*, Kokkos::HostSpace, Kokkos::MemoryUnmanaged> const host(data.data(),
                                                                                       data.size());
    Kokkos::deep_copy(view, host);
  };
  model.for_each_tensor([&](Tensor<Scalar, E> const& t) { copy_in(t.values); });
  optimizer.for_each_state([&](std::size_t, std::string_view, auto const& view) { copy_in(view); });
  optimizer.restore_steps(checked.optimizer_steps);
  Kokkos::fence();
  return checked.progress;
}

} // namespace smup
