// example_07_equal_compute's GPT: the byte-level GPT of examples 03 and 04 on Debian's
// fortunes (or --text), its LR tuned at width d dense, then d dense against 2d at density
// 1/4 and 4d at density 1/16 with unstructured, 1:M and 4 x 4 block sparsity.
#include <cstdint>
#include <iostream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <smup/core/parse_ratio.hpp>
#include <smup/io/text.hpp>
#include <smup/parameterization/sparse_mup.hpp>
#include <smup/sparsity/block.hpp>
#include <smup/sparsity/nm.hpp>
#include <smup/sparsity/unstructured.hpp>

#include "../common/lm_training.hpp"
#include "../common/pattern_by_name.hpp"
#include "study.hpp"

namespace smup_example::equal_compute {
namespace {

/// 4 x 4 blocks: at width 256 and density 1/16 each block row of the QKV matrix keeps 4.
using GptBlock = smup::Block<4, 4>;

/// The matrix-product FLOPs of one training step of `model`, counted as smup computes them:
/// - every hidden matrix (QKV, attention output, MLP up and down): 6 x kept weights x
///   columns (forward 2, gradient of the input 2, gradient of the weights 2), where a
///   column is a token: batch x context per step;
/// - the dense readout (width -> 256 bytes): 6 x width x 256 x columns;
/// - attention: smup computes only the causal half (key s <= query t), so per block,
///   sequence and head the scores q.k and the weighted sum of v each take
///   head_dim x T (T + 1) FLOPs forward and twice that backward: 6 x width x T (T + 1) per
///   block and sequence over all heads;
/// - the embeddings are look-ups, not products; norms, GELU, softmax, the loss and the
///   optimizer are element-wise: not counted.
template <class Model>
double gpt_flops_per_step(Model const& model, LmSetup const& lm, std::int64_t& hidden_kept) {
  auto const& shape = model.shape();
  hidden_kept = 0;
  model.for_each_hidden_weights([&](auto const& w) { hidden_kept += w.kept(); });
  double const columns = double(lm.batch) * double(lm.context);
  double const t = double(shape.context);
  double const readout = 6.0 * double(shape.width) * double(shape.vocab) * columns;
  double const attention =
      double(shape.blocks) * double(lm.batch) * 6.0 * double(shape.width) * t * (t + 1);
  return 6.0 * double(hidden_kept) * columns + readout + attention;
}

smup::HyperParams hyperparams(Settings const& s, double lr) {
  return {.sigma = s.gpt_sigma, .eta = lr};
}

Curve compare_one(Settings const& s, LmData& data, Config const& c, double lr, std::uint64_t seed,
                  std::vector<int> const& record_at) {
  auto const density = smup::parse_ratio(c.density);
  return with_pattern<GptBlock>(c.pattern, density, [&](auto pattern) {
    using S = decltype(pattern);
    Curve curve;
    Recorder recorder{.record_at = record_at,
                      .samples_per_step = double(s.lm.batch * s.lm.context),
                      .flops_per_step = 0,
                      .points = curve.points};
    auto const on_step = [&](int step, auto& model) {
      if (step == 1) {
        curve.flops_per_step = gpt_flops_per_step(model, s.lm, curve.hidden_kept);
        curve.params = static_cast<std::int64_t>(model.storage_bytes(0).values / sizeof(float));
        recorder.flops_per_step = curve.flops_per_step;
      }
      recorder.after_step(step, [&] { return validation_loss(model, data, s.lm.eval_batches); });
    };
    try {
      train_lm<smup::SMuP, S>(s.lm, data, c.width, density, hyperparams(s, lr), seed, {}, on_step);
    } catch (smup::RunDiverged const& e) {
      std::cerr << "diverged: " << e.what() << " ... ";
      curve.points.push_back({.step = s.lm.steps,
                              .samples = s.lm.steps * recorder.samples_per_step,
                              .flops = s.lm.steps * curve.flops_per_step,
                              .seconds = recorder.clock.pause(),
                              .val_loss = std::nan("")});
    }
    return curve;
  });
}

} // namespace

std::string gpt_study(Settings const& s) {
  auto corpus = s.text.empty() ? smup::io::load_fortunes() : smup::io::load_text(s.text);
  smup::io::TextBatches<LmSpace> validation(corpus, smup::io::TextPart::validation, s.lm.batch,
                                            s.lm.context);
  LmData data{std::move(corpus), std::move(validation)};
  std::cerr << "gpt: corpus of " << data.corpus.size() << " bytes from " << data.corpus.files.size()
            << " file(s)\n";
  auto const tokens = s.lm.batch * s.lm.context;
  std::ostringstream description;
  description << "Byte-level GPT on " << (s.text.empty() ? "Debian's fortunes" : s.text.string())
              << ": " << s.lm.blocks << " pre-LayerNorm blocks, head size " << s.lm.head_dim
              << ", context " << s.lm.context << ", untied readout; AdamW (beta 0.9 / 0.95), "
              << "gradient clipping 1.0, " << s.lm.steps << " steps of " << s.lm.batch
              << " sequences (" << tokens << " tokens a step, " << double(tokens) * s.lm.steps / 1e6
              << " M tokens in all), sigma " << s.gpt_sigma
              << "; validation loss in nats per byte on " << s.lm.eval_batches
              << " fixed validation batches. Block pattern: 4 x 4 blocks (block4x4).\n\n"
              << "FLOPs counted per training step: 6 x kept weights x tokens for every hidden "
                 "matrix (forward 2, input gradient 2, weight gradient 2) and for the dense "
                 "readout (width x 256), plus attention's scores and weighted sums over the "
                 "causal half that smup computes, 6 x width x T (T + 1) per block and sequence "
                 "(T = context); look-ups and element-wise work are not counted. Note that "
                 "the readout and attention grow with the width, so the wider sparse models "
                 "do more FLOPs per step than the dense one even though their hidden matrices "
                 "keep the same number of weights.";
  ModelStudy const m{
      .model = "gpt",
      .title = "GPT on " + std::string(s.text.empty() ? "fortunes" : "text"),
      .samples_name = "tokens",
      .description = description.str(),
      .block = block_pattern_name<GptBlock>(),
      .base_width = s.lm.base_width,
      .lr_first = s.gpt_lr_first,
      .lr_last = s.gpt_lr_last,
      .steps = s.lm.steps,
      .samples_per_step = double(tokens),
      .tune =
          [&](double lr, std::uint64_t seed) {
            return train_lm<smup::SMuP, smup::Unstructured>(
                s.lm, data, s.lm.base_width, smup::ratio{1}, hyperparams(s, lr), seed);
          },
      .compare =
          [&](Config const& c, double lr, std::uint64_t seed, std::vector<int> const& record_at) {
            return compare_one(s, data, c, lr, seed, record_at);
          }};
  return run_study(s, m);
}

} // namespace smup_example::equal_compute
