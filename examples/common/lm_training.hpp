#pragma once
// One training run of the byte-level GPT for the language-model examples: a fixed token
// budget of AdamW steps (beta 0.9 / 0.95, gradient clipping 1.0) on the training windows,
// then the mean loss over fixed validation windows.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include <smup/core/parse_ratio.hpp>
#include <smup/diagnostics/sweep.hpp>
#include <smup/io/text.hpp>
#include <smup/models/gpt.hpp>
#include <smup/optim/adam.hpp>
#include <smup/parameterization/mup.hpp>
#include <smup/parameterization/sp.hpp>
#include <smup/parameterization/sparse_mup.hpp>
#include <smup/sparsity/unstructured.hpp>

namespace smup_example {

using LmSpace = Kokkos::DefaultExecutionSpace;

struct LmSetup {
  std::int64_t base_width = 64;
  int blocks = 2;
  std::int64_t head_dim = 32;
  std::int64_t context = 64;
  std::int64_t batch = 16; ///< sequences per step
  int steps = 150;
  std::int64_t eval_batches = 8; ///< of the fixed validation windows
  bool tied_readout = false;     ///< the readout reuses the token embedding's table
};

struct LmData {
  smup::io::TextCorpus corpus;
  smup::io::TextBatches<LmSpace> validation;
};

/// Trains one GPT (unstructured sparsity in the hidden matrices) and evaluates it.
template <class P> smup::RunResult train_lm(LmSetup const& s, LmData& data, std::int64_t width,
                                            smup::ratio density, smup::HyperParams const& hp,
                                            std::uint64_t seed) {
  smup::GPT<P, smup::Unstructured> model({.context = s.context,
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
  for (int step = 0; step < s.steps; ++step) {
    auto [tokens, targets] = train.batch(step);
    double const loss = model.train_step(tokens, targets, adam, 1.0);
    // Byte-level loss starts near ln 256 = 5.5; far above it the run has blown up.
    if (!std::isfinite(loss) || loss > 20)
      throw smup::RunDiverged("loss " + std::to_string(loss) + " at step " + std::to_string(step));
    if (step >= s.steps - 20) {
      recent += loss;
      ++recent_count;
    }
  }
  double loss_sum = 0, tokens_seen = 0;
  auto const batches = std::min(s.eval_batches, data.validation.eval_batches());
  for (std::int64_t b = 0; b < batches; ++b) {
    auto [tokens, targets] = data.validation.eval_batch(b);
    auto const n = double(tokens.extent(0));
    loss_sum += model.evaluate(tokens, targets) * n;
    tokens_seen += n;
  }
  return {.train_loss = recent / recent_count, .val_loss = loss_sum / tokens_seen};
}

/// train_lm for the parameterization named in the run's "parameterization" key.
inline smup::RunResult train_lm_run(LmSetup const& s, LmData& data, smup::RunSpec const& run,
                                    smup::HyperParams const& hp) {
  auto const& p = run.at("parameterization");
  auto const width = std::stoll(run.at("width"));
  auto const density = smup::parse_ratio(run.at("density"));
  if (p == smup::SP::name) return train_lm<smup::SP>(s, data, width, density, hp, run.seed);
  if (p == smup::MuP::name) return train_lm<smup::MuP>(s, data, width, density, hp, run.seed);
  return train_lm<smup::SMuP>(s, data, width, density, hp, run.seed);
}

} // namespace smup_example
