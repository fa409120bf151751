#include "gpt_runs.hpp"

#include <smup/core/parse_ratio.hpp>
#include <smup/diagnostics/coord_check.hpp>
#include <smup/diagnostics/transfer_report.hpp>
#include <smup/models/gpt.hpp>
#include <smup/optim/adam.hpp>
#include <smup/optim/clip.hpp>
#include <smup/optim/divergence.hpp>

#include "../common/parameterization_by_name.hpp"
#include "../common/pattern_by_name.hpp"

#include <cstdint>
#include <iostream>

namespace smup_example::structured_transfer {

smup::RunResult train_gpt_run(Settings const& s, LmData& data, smup::RunSpec const& run) {
  auto const width = std::stoll(run.at("width"));
  auto const density = smup::parse_ratio(run.at("density"));
  smup::HyperParams const hp{.sigma = s.sigma, .eta = run.lr};
  return with_pattern<GptBlock>(run.at("pattern"), density, [&](auto pattern) {
    return with_parameterization(run.at("parameterization"), [&](auto p) {
      return train_lm<decltype(p), decltype(pattern)>(s.lm, data, width, density, hp, run.seed);
    });
  });
}

namespace {

/// A few AdamW steps (LR 2^-9, SmuP's optimum at the base width) of one GPT on the same
/// batches for every run; mean |x| of each output at each step, before that step's update.
template <class P, class S>
void check_one(Settings const& s, LmData& data, std::string const& pattern,
               std::string const& density_text, std::vector<std::vector<std::string>>& rows) {
  smup::HyperParams const hp{.sigma = s.sigma, .eta = 0x1p-9};
  smup::GPT<P, S> model({.context = s.lm.context,
                         .width = s.width,
                         .head_dim = s.lm.head_dim,
                         .blocks = s.lm.blocks,
                         .density = smup::parse_ratio(density_text)},
                        {.width = s.base_width}, hp, /*seed=*/3);
  smup::AdamW<P> adam(model, hp, {.beta1 = 0.9, .beta2 = 0.95});
  smup::io::TextBatches<LmSpace> batches(data.corpus, smup::io::TextPart::train, s.lm.batch,
                                         s.lm.context, /*seed=*/12345);
  for (int step = 1; step <= s.coord_steps; ++step) {
    auto [tokens, targets] = batches.batch(step);
    double const loss = model.loss_and_gradients(tokens, targets);
    smup::require_finite_step(step, loss, smup::clip_grad_norm(model, 1.0));
    for (auto const& [layer, values] : model.layer_outputs())
      rows.push_back({pattern, std::string(P::name), std::to_string(s.width), density_text,
                      std::to_string(step), layer,
                      smup::TransferReport::fixed(smup::mean_abs(values), 8)});
    adam.step(model);
  }
}

} // namespace

std::vector<std::vector<std::string>> gpt_coordinate_check(Settings const& s, LmData& data) {
  std::vector<std::vector<std::string>> rows;
  auto const check = [&](std::string const& pattern, std::string const& density_text) {
    with_pattern<GptBlock>(pattern, smup::parse_ratio(density_text), [&](auto tag) {
      using S = decltype(tag);
      check_one<smup::SP, S>(s, data, pattern, density_text, rows);
      check_one<smup::MuP, S>(s, data, pattern, density_text, rows);
      check_one<smup::SMuP, S>(s, data, pattern, density_text, rows);
    });
  };
  check(std::string(dense_pattern), "1");
  for (auto const& pattern : s.patterns)
    for (auto const& density : s.coord_densities)
      if (density != "1") check(pattern, density);
  return rows;
}

void check_gpt_patterns(Settings const& s) {
  for (auto const& pattern : s.patterns)
    for (auto const& d : s.densities)
      if (d != "1") with_pattern<GptBlock>(pattern, smup::parse_ratio(d), [](auto) {});
}

} // namespace smup_example::structured_transfer
