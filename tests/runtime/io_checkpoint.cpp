// Checkpoints: a run resumed from one continues bit for bit (MLP and GPT, every pattern),
// and every file that does not belong to the model is refused, leaving it untouched.
#include "catch.hpp"
#include "kernel_reference.hpp"
#include "temp_dir.hpp"
#include "tensor_values.hpp"

#include <smup/io/checkpoint.hpp>
#include <smup/models/gpt.hpp>
#include <smup/models/mlp.hpp>
#include <smup/optim/adam.hpp>
#include <smup/optim/sgd.hpp>
#include <smup/parameterization/mup.hpp>
#include <smup/parameterization/sparse_mup.hpp>
#include <smup/sparsity/block.hpp>
#include <smup/sparsity/nm.hpp>
#include <smup/sparsity/unstructured.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace {

using E = Kokkos::DefaultExecutionSpace;
namespace fs = std::filesystem;
constexpr smup::HyperParams hp{.sigma = 0.5, .eta = 0x1p-7, .weight_decay = 0.01};
constexpr smup::BaseShape base{.width = 8};

using smup_test::tensor_values;

bool same_bits(std::vector<std::vector<float>> const& a, std::vector<std::vector<float>> const& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].size() != b[i].size() ||
        std::memcmp(a[i].data(), b[i].data(), a[i].size() * sizeof(float)) != 0)
      return false;
  return true;
}

// --- MLP ---------------------------------------------------------------------------------
template <class S> using Mlp = smup::MLP<smup::SMuP, S, E, float>;
template <class S> typename Mlp<S>::Shape mlp_shape() {
  return {.in = 12, .width = 16, .hidden_layers = 2, .out = 4, .density = {1, 2}};
}
template <> typename Mlp<smup::Dense>::Shape mlp_shape<smup::Dense>() {
  return {.in = 12, .width = 16, .hidden_layers = 2, .out = 4};
}

/// The batch of step `position`: a deterministic function of the data position, as a
/// data loader resumed at that position would give.
struct MlpBatch {
  smup::Activations<float, E> x;
  Kokkos::View<int*, E::memory_space> labels;
};
MlpBatch mlp_batch(std::int64_t position) {
  MlpBatch b{smup::Activations<float, E>("x", 12, 6), Kokkos::View<int*, E::memory_space>("y", 6)};
  smup_test::fill_uniform(b.x, 1000 + static_cast<std::uint64_t>(position));
  auto h = Kokkos::create_mirror_view(b.labels);
  for (int i = 0; i < 6; ++i) h(i) = static_cast<int>((i + position) % 4);
  Kokkos::deep_copy(b.labels, h);
  return b;
}

template <class S> struct MlpRun {
  Mlp<S> model{mlp_shape<S>(), base, hp, 5};
  smup::AdamW<smup::SMuP, E, float> adam{
      model,
      {.beta1 = 0.9, .beta2 = 0.95},
      {.warmup_steps = 3, .decay = smup::LrDecay::cosine, .total_steps = 20}};
  double step(std::int64_t position) {
    auto const b = mlp_batch(position);
    return model.train_step(b.x, b.labels, adam, /*max_grad_norm=*/1.0);
  }
};

template <class S> void check_mlp_resume(std::string const& name) {
  CAPTURE(name);
  smup_test::TempDir dir("checkpoint-mlp-" + name);
  MlpRun<S> straight;
  std::vector<double> expected;
  for (std::int64_t p = 0; p < 8; ++p) expected.push_back(straight.step(p));

  std::vector<double> losses;
  {
    MlpRun<S> first;
    for (std::int64_t p = 0; p < 5; ++p) losses.push_back(first.step(p));
    smup::save_checkpoint(dir.path / "ckpt.safetensors", first.model, first.adam,
                          {.step = 5, .data_seed = 3, .data_position = 5, .extra = {{"k", "v"}}});
  }
  MlpRun<S> resumed; // a fresh process would build these from the same configuration
  auto const progress =
      smup::load_checkpoint(dir.path / "ckpt.safetensors", resumed.model, resumed.adam);
  CHECK(progress.step == 5);
  CHECK(progress.data_seed == 3);
  CHECK(progress.data_position == 5);
  CHECK(progress.extra == std::map<std::string, std::string>{{"k", "v"}});
  CHECK(resumed.adam.steps() == 5);
  for (std::int64_t p = progress.data_position; p < 8; ++p) losses.push_back(resumed.step(p));
  CHECK(losses == expected);
  CHECK(same_bits(tensor_values(resumed.model), tensor_values(straight.model)));
}

// --- GPT ---------------------------------------------------------------------------------
template <class S> using Gpt = smup::GPT<smup::SMuP, S, E, float>;
template <class S> typename Gpt<S>::Shape gpt_shape() {
  return {.vocab = 16, .context = 4, .width = 16, .head_dim = 8, .blocks = 1, .density = {1, 2}};
}
template <> typename Gpt<smup::Dense>::Shape gpt_shape<smup::Dense>() {
  return {.vocab = 16, .context = 4, .width = 16, .head_dim = 8, .blocks = 1};
}

typename Gpt<smup::Dense>::Tokens tokens_at(std::int64_t position, int shift) {
  typename Gpt<smup::Dense>::Tokens t("tokens", 8);
  auto h = Kokkos::create_mirror_view(t);
  for (std::int64_t c = 0; c < 8; ++c) h(c) = static_cast<int>((5 * c + 3 * position + shift) % 16);
  Kokkos::deep_copy(t, h);
  return t;
}

template <class S> struct GptRun {
  Gpt<S> model{gpt_shape<S>(), base, hp, 9};
  smup::AdamW<smup::SMuP, E, float> adam{model, {.beta1 = 0.9, .beta2 = 0.95}};
  double step(std::int64_t position) {
    return model.train_step(tokens_at(position, 0), tokens_at(position, 1), adam, 1.0);
  }
};

template <class S> void check_gpt_resume(std::string const& name) {
  CAPTURE(name);
  smup_test::TempDir dir("checkpoint-gpt-" + name);
  GptRun<S> straight;
  std::vector<double> expected;
  for (std::int64_t p = 0; p < 6; ++p) expected.push_back(straight.step(p));
  std::vector<double> losses;
  {
    GptRun<S> first;
    for (std::int64_t p = 0; p < 3; ++p) losses.push_back(first.step(p));
    smup::save_checkpoint(dir.path / "ckpt.safetensors", first.model, first.adam,
                          {.step = 3, .data_position = 3});
  }
  GptRun<S> resumed;
  auto const progress =
      smup::load_checkpoint(dir.path / "ckpt.safetensors", resumed.model, resumed.adam);
  for (std::int64_t p = progress.data_position; p < 6; ++p) losses.push_back(resumed.step(p));
  CHECK(losses == expected);
  CHECK(same_bits(tensor_values(resumed.model), tensor_values(straight.model)));
}

/// A copy of `from` with one metadata entry changed (the data and its checksum kept).
void rewrite_metadata(fs::path const& from, fs::path const& to, std::string const& key,
                      std::string const& value) {
  auto const file = smup::safetensors::File::read(from);
  smup::safetensors::Writer out;
  for (auto const& [k, v] : file.metadata())
    if (k != "crc32") out.set_metadata(k, v);
  out.set_metadata(key, value);
  for (auto const& name : file.names()) {
    auto const& info = file.info(name);
    out.add_bytes(name, info.dtype, info.shape, file.bytes(name));
  }
  out.write(to);
}

} // namespace

TEST_CASE("A run resumed from a checkpoint is bit-identical to the uninterrupted run: MLP",
          "[io][checkpoint]") {
  check_mlp_resume<smup::Dense>("dense");
  check_mlp_resume<smup::Unstructured>("unstructured");
  check_mlp_resume<smup::BalancedUnstructured>("balanced");
  check_mlp_resume<smup::NM<1, 2>>("nm");
  check_mlp_resume<smup::Block<4, 4>>("block");
}

TEST_CASE("A run resumed from a checkpoint is bit-identical to the uninterrupted run: GPT",
          "[io][checkpoint]") {
  check_gpt_resume<smup::Dense>("dense");
  check_gpt_resume<smup::Unstructured>("unstructured");
  check_gpt_resume<smup::BalancedUnstructured>("balanced");
  check_gpt_resume<smup::NM<1, 2>>("nm");
  check_gpt_resume<smup::Block<4, 4>>("block");
}

TEST_CASE("SGD with momentum resumes bit-identically too", "[io][checkpoint]") {
  smup_test::TempDir dir("checkpoint-sgd");
  auto run = [](Mlp<smup::Unstructured>& model, smup::SGD<smup::SMuP, E, float>& sgd,
                std::int64_t from, std::int64_t to) {
    for (std::int64_t p = from; p < to; ++p) {
      auto const b = mlp_batch(p);
      model.train_step(b.x, b.labels, sgd);
    }
  };
  Mlp<smup::Unstructured> straight(mlp_shape<smup::Unstructured>(), base, hp, 5);
  smup::SGD<smup::SMuP, E, float> sgd(straight, {.momentum = 0.9});
  run(straight, sgd, 0, 6);
  Mlp<smup::Unstructured> first(mlp_shape<smup::Unstructured>(), base, hp, 5);
  smup::SGD<smup::SMuP, E, float> sgd1(first, {.momentum = 0.9});
  run(first, sgd1, 0, 2);
  smup::save_checkpoint(dir.path / "c.safetensors", first, sgd1, {.step = 2});
  Mlp<smup::Unstructured> resumed(mlp_shape<smup::Unstructured>(), base, hp, 5);
  smup::SGD<smup::SMuP, E, float> sgd2(resumed, {.momentum = 0.9});
  smup::load_checkpoint(dir.path / "c.safetensors", resumed, sgd2);
  run(resumed, sgd2, 2, 6);
  CHECK(same_bits(tensor_values(resumed), tensor_values(straight)));
}

TEST_CASE("A checkpoint that does not belong to the model is refused and changes nothing",
          "[io][checkpoint][errors]") {
  smup_test::TempDir dir("checkpoint-refused");
  auto const good = dir.path / "good.safetensors";
  {
    MlpRun<smup::Unstructured> run;
    run.step(0);
    smup::save_checkpoint(good, run.model, run.adam, {.step = 1, .data_position = 1});
  }
  auto const bytes = smup_test::slurp(good);

  MlpRun<smup::Unstructured> target;
  target.step(7);
  auto const before = tensor_values(target.model);
  auto const refused = [&](fs::path const& file, std::string const& message) {
    CAPTURE(file.filename().string());
    CHECK_THROWS_WITH(smup::load_checkpoint(file, target.model, target.adam),
                      Catch::Contains(message));
    CHECK(same_bits(tensor_values(target.model), before));
    CHECK(target.adam.steps() == 1);
  };
  auto const write = [&](std::string const& name, std::string const& content) {
    std::ofstream(dir.path / name, std::ios::binary) << content;
    return dir.path / name;
  };

  // Damaged files: the reader names the problem.
  refused(write("truncated", bytes.substr(0, bytes.size() - 10)), "truncated");
  refused(write("header-cut", bytes.substr(0, 20)), "truncated");
  std::string flipped = bytes;
  flipped[flipped.size() - 3] = static_cast<char>(flipped[flipped.size() - 3] ^ 0x40);
  refused(write("flipped", flipped), "checksum mismatch");
  refused(dir.path / "missing.safetensors", "missing.safetensors");

  // A newer format, and files that are not smup checkpoints.
  rewrite_metadata(good, dir.path / "newer", "smup.format_version", "2");
  refused(dir.path / "newer", "format version 2, but this smup reads versions 1 to 1");
  {
    smup::safetensors::Writer other;
    other.add("weights", {2}, std::vector<float>{1, 2});
    other.write(dir.path / "foreign");
  }
  refused(dir.path / "foreign", "has no 'smup.format_version'");

  // Another model or optimizer: each identity entry is named.
  auto const model_entry = [&](std::string const& key, std::string const& value,
                               std::string const& message) {
    rewrite_metadata(good, dir.path / key, "smup.model." + key, value);
    refused(dir.path / key, message);
  };
  model_entry("pattern", "n:m 1:2",
              "with pattern 'n:m 1:2', but this model has pattern "
              "'unstructured'");
  model_entry("width", "32", "with width '32', but this model has width '16'");
  model_entry("density", "1/4", "with density '1/4', but this model has density '1/2'");
  model_entry("parameterization", "muP", "with parameterization 'muP'");
  model_entry("scalar", "float64", "with scalar 'float64', but this model has scalar 'float32'");
  model_entry("seed", "6", "with seed '6', but this model has seed '5'");
  rewrite_metadata(good, dir.path / "beta2", "smup.optimizer.beta2", "0.999");
  refused(dir.path / "beta2", "optimizer with beta2 '0.999'");

  // A model built differently is refused by the real file too, from its identity.
  Mlp<smup::Unstructured> wider(
      {.in = 12, .width = 32, .hidden_layers = 2, .out = 4, .density = {1, 2}}, base, hp, 5);
  smup::AdamW<smup::SMuP, E, float> wider_adam(
      wider, {.beta1 = 0.9, .beta2 = 0.95},
      {.warmup_steps = 3, .decay = smup::LrDecay::cosine, .total_steps = 20});
  CHECK_THROWS_WITH(smup::load_checkpoint(good, wider, wider_adam),
                    Catch::Contains("width '16', but this model has width '32'"));
  Mlp<smup::NM<1, 2>> nm(mlp_shape<smup::NM<1, 2>>(), base, hp, 5);
  smup::AdamW<smup::SMuP, E, float> nm_adam(
      nm, {.beta1 = 0.9, .beta2 = 0.95},
      {.warmup_steps = 3, .decay = smup::LrDecay::cosine, .total_steps = 20});
  CHECK_THROWS_WITH(
      smup::load_checkpoint(good, nm, nm_adam),
      Catch::Contains("pattern 'unstructured', but this model has pattern 'n:m 1:2'"));

  // The good file still loads.
  CHECK_NOTHROW(smup::load_checkpoint(good, target.model, target.adam));
  CHECK(target.adam.steps() == 1);
}

TEST_CASE("A model holding NaN is not checkpointed and the last good file survives",
          "[io][checkpoint][errors]") {
  smup_test::TempDir dir("checkpoint-nan");
  auto const path = dir.path / "last.safetensors";
  MlpRun<smup::Dense> run;
  run.step(0);
  smup::save_checkpoint(path, run.model, run.adam, {.step = 1});
  auto const saved = smup_test::slurp(path);
  run.model.for_each_tensor([&](smup::Tensor<float, E> const& t) {
    if (t.rules.role == smup::Role::hidden) Kokkos::deep_copy(t.values, std::nanf(""));
  });
  CHECK_THROWS_WITH(smup::save_checkpoint(path, run.model, run.adam, {.step = 2}),
                    Catch::Contains("param.002.hidden' holds nan") &&
                        Catch::Contains("a diverged run has nothing to resume"));
  CHECK(smup_test::slurp(path) == saved);
}
