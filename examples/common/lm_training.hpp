#pragma once
// One training run of the byte-level GPT for the language-model examples: a fixed token
// budget of AdamW steps (beta 0.9 / 0.95, gradient clipping 1.0) on the training windows,
// then the mean loss over fixed validation windows; optionally checkpointed. A loss or
// gradient that is not finite (or a loss above 20) stops the run with smup::RunDiverged
// naming the step: a sweep records the run as diverged, a single run stops with it.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <string>

#include <smup/core/identity.hpp>
#include <smup/core/parse_ratio.hpp>
#include <smup/diagnostics/sweep.hpp>
#include <smup/io/checkpoint.hpp>
#include <smup/io/text.hpp>
#include <smup/models/gpt.hpp>
#include <smup/optim/adam.hpp>
#include <smup/optim/clip.hpp>
#include <smup/optim/divergence.hpp>
#include <smup/parameterization/mup.hpp>
#include <smup/parameterization/sp.hpp>
#include <smup/parameterization/sparse_mup.hpp>
#include <smup/sparsity/unstructured.hpp>

#include "arguments.hpp"
#include "lm_options.hpp"
#include "no_progress.hpp"
#include "parameterization_by_name.hpp"

namespace smup_example {

using LmSpace = Kokkos::DefaultExecutionSpace;

/// Training steps taken by this process, for --stop-after-steps.
inline int& steps_this_process() {
  static int steps = 0;
  return steps;
}

struct LmData {
  smup::io::TextCorpus corpus;
  smup::io::TextBatches<LmSpace> validation;
};

/// The mean loss per token over the first `eval_batches` fixed validation windows.
template <class Model>
double validation_loss(Model& model, LmData& data, std::int64_t eval_batches) {
  double loss_sum = 0, tokens_seen = 0;
  auto const batches = std::min(eval_batches, data.validation.eval_batches());
  for (std::int64_t b = 0; b < batches; ++b) {
    auto [tokens, targets] = data.validation.eval_batch(b);
    auto const n = double(tokens.extent(0));
    loss_sum += model.evaluate(tokens, targets) * n;
    tokens_seen += n;
  }
  return loss_sum / tokens_seen;
}

/// Trains one GPT (sparsity pattern S in the hidden matrices) and evaluates it. With
/// checkpoints on, the run saves its whole state to `checkpoint` every checkpoint_every
/// steps, starts from it when it exists (a run killed earlier), and removes it when done
/// (the result is in the sweep's CSV then). on_step(steps_done, model) runs after every
/// optimizer step, e.g. to record a learning curve.
template <class P, class S = smup::Unstructured, class OnStep = NoProgress>
smup::RunResult train_lm(LmSetup const& s, LmData& data, std::int64_t width, smup::ratio density,
                         smup::HyperParams const& hp, std::uint64_t seed,
                         std::filesystem::path const& checkpoint = {}, OnStep on_step = {}) {
  smup::GPT<P, S> model({.context = s.context,
                         .width = width,
                         .head_dim = s.head_dim,
                         .blocks = s.blocks,
                         .density = density,
                         .tied_readout = s.tied_readout},
                        {.width = s.base_width}, hp, seed);
  smup::AdamW<P> adam(model, hp, {.beta1 = 0.9, .beta2 = 0.95});
  smup::io::TextBatches<LmSpace> train(data.corpus, smup::io::TextPart::train, s.batch, s.context,
                                       seed);
  double recent = 0;
  int recent_count = 0;
  int first_step = 0;
  bool const checkpoints = s.checkpoint_every > 0 && !checkpoint.empty();
  if (checkpoints && std::filesystem::exists(checkpoint)) {
    auto const progress = smup::load_checkpoint(checkpoint, model, adam);
    first_step = static_cast<int>(progress.step);
    recent = std::stod(progress.extra.at("recent_loss_sum"));
    recent_count = std::stoi(progress.extra.at("recent_loss_count"));
    std::cerr << "resuming " << checkpoint.filename().string() << " at step " << first_step << "\n";
  }
  auto const save = [&](int steps_done) {
    std::filesystem::create_directories(checkpoint.parent_path());
    smup::save_checkpoint(checkpoint, model, adam,
                          {.step = steps_done,
                           .data_seed = seed,
                           .data_position = steps_done,
                           .extra = {{"recent_loss_sum", smup::exact_text(recent)},
                                     {"recent_loss_count", std::to_string(recent_count)}}});
  };
  for (int step = first_step; step < s.steps; ++step) {
    auto [tokens, targets] = train.batch(step);
    // model.train_step, with the loss and gradient checked before the update (steps counted
    // from 1): a diverged run stops with the weights of its last good step, so no
    // checkpoint ever holds NaN. Byte-level loss starts near ln 256 = 5.5; far above it the
    // run has blown up.
    double const loss = model.loss_and_gradients(tokens, targets);
    double const norm = smup::clip_grad_norm(model, 1.0);
    smup::require_finite_step(step + 1, loss, norm, /*max_loss=*/20);
    adam.step(model);
    if (step >= s.steps - 20) {
      recent += loss;
      ++recent_count;
    }
    int const done = step + 1;
    on_step(done, model);
    bool const stop = s.stop_after_steps > 0 && ++steps_this_process() >= s.stop_after_steps;
    if (checkpoints && done < s.steps && (stop || done % s.checkpoint_every == 0)) save(done);
    if (stop && done < s.steps)
      throw StoppedEarly("stopped after " + std::to_string(steps_this_process()) +
                         " training steps as asked (--stop-after-steps), with a checkpoint in " +
                         checkpoint.parent_path().string() + "; run the same command to go on");
  }
  if (checkpoints) std::filesystem::remove(checkpoint);
  return {.train_loss = recent / recent_count,
          .val_loss = validation_loss(model, data, s.eval_batches)};
}

/// The checkpoint file of one sweep run: its description, made a file name.
inline std::filesystem::path checkpoint_of(LmSetup const& s, smup::RunSpec const& run) {
  std::string name = run.describe();
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') c = '_';
  return s.checkpoint_dir / (name + ".safetensors");
}

/// train_lm for the parameterization named in the run's "parameterization" key.
inline smup::RunResult train_lm_run(LmSetup const& s, LmData& data, smup::RunSpec const& run,
                                    smup::HyperParams const& hp) {
  auto const& p = run.at("parameterization");
  auto const width = std::stoll(run.at("width"));
  auto const density = smup::parse_ratio(run.at("density"));
  auto const checkpoint = checkpoint_of(s, run);
  return with_parameterization(p, [&](auto parameterization) {
    return train_lm<decltype(parameterization)>(s, data, width, density, hp, run.seed, checkpoint);
  });
}

} // namespace smup_example
