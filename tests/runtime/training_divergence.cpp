// A loss or gradient that is not finite, injected into a real model: training stops
// before the bad update with an error naming the step, the weights stay those of the last
// good step (so a checkpoint is still written from them, never from NaN), and a sweep
// records the run as diverged and goes on. Also the language-model examples' training.
#include "catch.hpp"
#include "kernel_reference.hpp"
#include "temp_dir.hpp"
#include "tensor_values.hpp"

#include "../../examples/common/lm_training.hpp"

#include <smup/diagnostics/sweep.hpp>
#include <smup/io/checkpoint.hpp>
#include <smup/models/mlp.hpp>
#include <smup/optim/adam.hpp>
#include <smup/optim/clip.hpp>
#include <smup/optim/divergence.hpp>
#include <smup/parameterization/sparse_mup.hpp>
#include <smup/sparsity/dense.hpp>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace {

using E = Kokkos::DefaultExecutionSpace;
using Mlp = smup::MLP<smup::SMuP, smup::Dense, E, float>;
namespace fs = std::filesystem;

// Built by a function: gcc 12 fails on this designated initializer as a member's default.
Mlp::Shape mlp_shape() { return {.in = 12, .width = 16, .hidden_layers = 2, .out = 4}; }

/// A tiny MLP with fixed data, trained with the check between gradients and update.
struct CheckedRun {
  Mlp model{mlp_shape(), {.width = 8}, {.sigma = 0.5, .eta = 0x1p-7}, 5};
  smup::AdamW<smup::SMuP, E, float> adam{model, {.beta1 = 0.9, .beta2 = 0.95}};
  smup::Activations<float, E> x{"x", 12, 6};
  Kokkos::View<int*, E::memory_space> labels{"labels", 6};

  CheckedRun() {
    smup_test::fill_uniform(x, 1000);
    auto h = Kokkos::create_mirror_view(labels);
    for (int i = 0; i < 6; ++i) h(i) = i % 4;
    Kokkos::deep_copy(labels, h);
  }

  /// One step, numbered from 1; `poison` puts a NaN into the first gradient first.
  double step(std::int64_t number, bool poison = false) {
    double const loss = model.loss_and_gradients(x, labels);
    if (poison) poison_gradient();
    smup::require_finite_step(number, loss, smup::clip_grad_norm(model, 1.0));
    adam.step(model);
    return loss;
  }

  void poison_gradient() {
    bool done = false;
    model.for_each_tensor([&](smup::Tensor<float, E> const& t) {
      if (done) return;
      Kokkos::deep_copy(Kokkos::subview(t.grad, std::pair<std::int64_t, std::int64_t>(0, 1)),
                        std::numeric_limits<float>::quiet_NaN());
      done = true;
    });
  }
};

/// The message of the smup::RunDiverged `f` throws; empty when it throws none.
template <class F> std::string diverged_text(F&& f) {
  try {
    f();
  } catch (smup::RunDiverged const& e) {
    return e.what();
  }
  return {};
}

bool starts_with(std::string const& text, std::string const& start) {
  return text.starts_with(start);
}

/// The L2 norm of every gradient, from host copies.
double host_gradient_norm(Mlp& model) {
  double squares = 0;
  model.for_each_tensor([&](smup::Tensor<float, E> const& t) {
    auto const g = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, t.grad);
    for (std::size_t k = 0; k < g.extent(0); ++k) squares += double(g(k)) * double(g(k));
  });
  return std::sqrt(squares);
}

} // namespace

TEST_CASE("The gradient norm covers every gradient and is nan when one is nan",
          "[optim][divergence]") {
  CheckedRun run;
  (void)run.model.loss_and_gradients(run.x, run.labels);
  double const expected = host_gradient_norm(run.model);
  CHECK(smup::gradient_norm(run.model) == Approx(expected).epsilon(1e-12));
  run.poison_gradient();
  CHECK(std::isnan(smup::gradient_norm(run.model)));
  CHECK(std::isnan(smup::clip_grad_norm(run.model, 1.0)));
}

TEST_CASE("A loss or gradient that is not finite stops training, naming the step",
          "[optim][divergence]") {
  double const inf = std::numeric_limits<double>::infinity();
  double const nan = std::numeric_limits<double>::quiet_NaN();
  CHECK_NOTHROW(smup::require_finite_step(7, 2.5, 1.0));
  CHECK_NOTHROW(smup::require_finite_step(7, 2.5, 1.0, /*max_loss=*/20));
  CHECK_THROWS_AS(smup::require_finite_step(7, nan, 1.0), smup::RunDiverged);
  CHECK(starts_with(diverged_text([&] { smup::require_finite_step(7, inf, 1.0); }),
                    "training diverged in step 7: the loss is inf."));
  CHECK(starts_with(diverged_text([&] { smup::require_finite_step(7, 2.5, nan); }),
                    "training diverged in step 7: the gradient norm is nan (loss 2.5)."));
  auto const above = diverged_text([&] { smup::require_finite_step(8, 25, 1.0, 20); });
  CHECK(starts_with(above, "training diverged in step 8: the loss 25 exceeds 20."));
  CHECK(above.find("The step was not applied") != std::string::npos);
}

TEST_CASE("A NaN gradient stops training before the update, so the last state is still saved",
          "[optim][divergence][checkpoint]") {
  smup_test::TempDir dir("divergence-checkpoint");
  CheckedRun run;
  run.step(1);
  run.step(2);
  auto const good = smup_test::tensor_values(run.model);
  CHECK(starts_with(diverged_text([&] { run.step(3, /*poison=*/true); }),
                    "training diverged in step 3: the gradient norm is nan"));
  CHECK(smup_test::tensor_values(run.model) == good); // the update was not applied
  CHECK(run.adam.steps() == 2);
  // The state after step 2 is finite, so it can still be checkpointed; a model holding
  // NaN is refused by save_checkpoint (io_checkpoint.cpp tests that).
  smup::save_checkpoint(dir.path / "last.safetensors", run.model, run.adam, {.step = 2});
  CheckedRun resumed;
  CHECK(smup::load_checkpoint(dir.path / "last.safetensors", resumed.model, resumed.adam).step ==
        2);
  CHECK(smup_test::tensor_values(resumed.model) == good);
}

TEST_CASE("In a sweep a run whose gradient turns NaN is recorded as diverged, and the sweep goes "
          "on",
          "[optim][divergence][sweep]") {
  smup_test::TempDir dir("divergence-sweep");
  auto const csv = dir.path / "transfer.csv";
  auto const runs = smup::sweep_grid({{"width", {"16"}}}, smup::powers_of_two(-9, -7), {0});
  auto const report = smup::run_sweep(runs, {.csv = csv, .quiet = true},
                                      [&](smup::RunSpec const& spec) -> smup::RunResult {
                                        CheckedRun run;
                                        double loss = 0;
                                        for (std::int64_t s = 1; s <= 3; ++s)
                                          loss = run.step(s, spec.lr == 0x1p-8 && s == 2);
                                        return {.train_loss = loss, .val_loss = loss};
                                      });
  CHECK(report.executed == 3);
  CHECK(report.diverged == 1);
  auto const table = smup::read_csv(csv);
  REQUIRE(table.rows.size() == 3);
  for (auto const& row : table.rows) {
    bool const poisoned = row[table.column("lr")] == "0.00390625";
    CHECK(row[table.column("diverged")] == (poisoned ? "1" : "0"));
    CHECK((row[table.column("val_loss")] == "nan") == poisoned);
  }
}

TEST_CASE("The language-model examples' training stops at the diverging step with finite "
          "checkpoints only",
          "[optim][divergence][checkpoint]") {
  smup_test::TempDir dir("divergence-lm");
  std::vector<std::uint8_t> text(40 * 1024);
  std::uint32_t state = 7;
  for (auto& byte : text) { // printable noise: any text trains
    state = state * 1664525u + 1013904223u;
    byte = static_cast<std::uint8_t>(' ' + (state >> 24) % 95);
  }
  auto corpus = smup::io::TextCorpus::split(text);
  smup::io::TextBatches<smup_example::LmSpace> validation(corpus, smup::io::TextPart::validation, 4,
                                                          16);
  smup_example::LmData data{std::move(corpus), std::move(validation)};
  smup_example::LmSetup setup;
  setup.base_width = 16;
  setup.blocks = 1;
  setup.head_dim = 8;
  setup.context = 16;
  setup.batch = 4;
  setup.steps = 12;
  setup.eval_batches = 1;
  setup.checkpoint_every = 1;
  auto const checkpoint = dir.path / "run.safetensors";
  // Far too large a learning rate: the loss leaves any sensible range within a few steps.
  smup::HyperParams const hp{.sigma = 0.02, .eta = 1e4};
  auto const message = diverged_text([&] {
    (void)smup_example::train_lm<smup::SMuP>(setup, data, 32, smup::ratio{1, 4}, hp, 0, checkpoint);
  });
  CAPTURE(message);
  // The last checkpoint is from the step before the one that diverged (one a step); it
  // loads, so it holds no NaN (save_checkpoint refuses NaN, load_checkpoint checks all).
  REQUIRE(fs::exists(checkpoint));
  smup::GPT<smup::SMuP, smup::Unstructured> model(
      {.context = 16, .width = 32, .head_dim = 8, .blocks = 1, .density = smup::ratio{1, 4}},
      {.width = 16}, hp, 0);
  smup::AdamW<smup::SMuP> adam(model, hp, {.beta1 = 0.9, .beta2 = 0.95});
  auto const progress = smup::load_checkpoint(checkpoint, model, adam);
  CHECK(starts_with(message,
                    "training diverged in step " + std::to_string(progress.step + 1) + ": "));
  bool finite = true;
  for (auto const& values : smup_test::tensor_values(model))
    for (float v : values) finite = finite && std::isfinite(v);
  CHECK(finite);
}
