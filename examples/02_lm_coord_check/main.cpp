// 02_lm_coord_check: the coordinate check across density of a byte-level GPT on real
// text (the SmuP paper's Figure 5, at small scale). For SP, muP and SmuP and each
// density, trains a few AdamW steps from the same init seed and records the mean |x| of
// the embedding, each attention branch, each MLP branch and the logits at every step;
// averaged over seeds. Under SP and muP the hidden outputs fall as density falls; under
// SmuP they stay flat.
//
//   example_02_lm_coord_check              # width 256 (base 64), 2 blocks, densities 1..1/16
//   example_02_lm_coord_check --full       # width 512, densities to 1/64, more seeds
//   example_02_lm_coord_check --smoke      # seconds: checks the pipeline end to end
//   example_02_lm_coord_check --tied-readout   # readout tied to the token embedding
//
// Writes coord_check.csv, coord_check_density.svg and coord_check.md into --out (lm-results).

#include <smup/core/parse_ratio.hpp>
#include <smup/diagnostics/coord_check.hpp>
#include <smup/diagnostics/csv.hpp>
#include <smup/diagnostics/svg_plot.hpp>
#include <smup/io/text.hpp>
#include <smup/models/gpt.hpp>
#include <smup/optim/adam.hpp>
#include <smup/optim/clip.hpp>
#include <smup/optim/divergence.hpp>
#include <smup/parameterization/mup.hpp>
#include <smup/parameterization/sp.hpp>
#include <smup/parameterization/sparse_mup.hpp>
#include <smup/sparsity/unstructured.hpp>

#include "../common/lm_options.hpp"
#include "../common/run_example.hpp"
#include "settings.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

namespace {

using E = Kokkos::DefaultExecutionSpace;
using Pattern = smup::Unstructured;

using smup_example::lm_coord_check::parse;
using smup_example::lm_coord_check::Settings;
using smup_example::lm_coord_check::usage;

std::string fmt(double v, int digits) {
  std::ostringstream o;
  o.precision(digits);
  o << std::fixed << v;
  return o.str();
}

/// (parameterization, density, step, layer) -> mean |x| summed over seeds.
using Records = std::map<std::tuple<std::string, std::string, int, std::string>, double>;

template <class P> void check_one(Settings const& s, smup::io::TextBatches<E>& batches,
                                  Records& sums, std::vector<std::string>& layer_order) {
  smup::HyperParams const hp{.sigma = 0.02, .eta = s.lr};
  for (auto const& density_text : s.densities)
    for (int seed = 0; seed < s.seeds; ++seed) {
      smup::GPT<P, Pattern> model({.context = s.context,
                                   .width = s.width,
                                   .head_dim = s.head_dim,
                                   .blocks = s.blocks,
                                   .density = smup::parse_ratio(density_text),
                                   .tied_readout = s.io.tied_readout},
                                  {.width = s.base_width}, hp, static_cast<std::uint64_t>(seed));
      smup::AdamW<P> adam(model, hp, {.beta1 = 0.9, .beta2 = 0.95});
      for (int step = 1; step <= s.steps; ++step) {
        // Every run sees the same data: the batch of step t is the same for all.
        auto [tokens, targets] = batches.batch(step);
        // model.train_step with the check: a NaN would pass into the means unnoticed.
        double const loss = model.loss_and_gradients(tokens, targets);
        smup::require_finite_step(step, loss, smup::clip_grad_norm(model, 1.0));
        adam.step(model);
        for (auto const& [name, values] : model.layer_outputs()) {
          sums[{std::string(P::name), density_text, step, name}] += smup::mean_abs(values);
          if (std::find(layer_order.begin(), layer_order.end(), name) == layer_order.end())
            layer_order.push_back(name);
        }
      }
      std::cerr << "  " << P::name << " density " << density_text << " seed " << seed << " done\n";
    }
}

} // namespace

int main(int argc, char* argv[]) {
  return smup_example::run_example(argc, argv, usage, parse, [](Settings const& s) {
    auto const start = std::chrono::steady_clock::now();
    std::filesystem::create_directories(s.io.out);
    auto const corpus = s.io.corpus();
    std::cerr << "corpus: " << corpus.size() << " bytes from " << corpus.files.size()
              << " file(s)\n";
    smup::io::TextBatches<E> batches(corpus, smup::io::TextPart::train, s.batch, s.context, 1);

    Records sums;
    std::vector<std::string> layers;
    check_one<smup::SP>(s, batches, sums, layers);
    check_one<smup::MuP>(s, batches, sums, layers);
    check_one<smup::SMuP>(s, batches, sums, layers);

    std::vector<std::vector<std::string>> rows;
    std::map<std::tuple<std::string, std::string, int, std::string>, double> mean;
    for (auto const& [key, sum] : sums) {
      auto const& [p, density, step, layer] = key;
      mean[key] = sum / s.seeds;
      rows.push_back(
          {p, std::to_string(s.width), density, std::to_string(step), layer, fmt(mean[key], 8)});
    }
    smup::write_csv(s.io.out / "coord_check.csv",
                    {"parameterization", "width", "density", "step", "layer", "mean_abs"}, rows);

    // One panel per parameterization: mean |x| at the last step against density.
    smup::SvgFigure fig{
        .title = "GPT coordinate check over density (width " + std::to_string(s.width) + ", base " +
                 std::to_string(s.base_width) + ", step " + std::to_string(s.steps) + ", mean of " +
                 std::to_string(s.seeds) + " seeds)"};
    std::ostringstream summary;
    summary << "# GPT coordinate check over density\n\nWidth " << s.width << " (base "
            << s.base_width << "), " << s.blocks << " blocks, head size " << s.head_dim
            << ", context " << s.context << ", readout "
            << smup_example::readout_kind(s.io.tied_readout) << ", batch " << s.batch
            << ", AdamW lr 2^" << fmt(std::log2(s.lr), 0) << ", " << s.steps << " steps, "
            << s.seeds << " seed(s).\n\nMean |x| at step " << s.steps
            << ", densest / sparsest (ratio; 1 = flat):\n\n| layer | SP | muP | SmuP |\n"
            << "|---|---|---|---|\n";
    for (std::string_view p : {smup::SP::name, smup::MuP::name, smup::SMuP::name}) {
      auto& panel = fig.add_panel(std::string(p), {"density", smup::AxisScale::log2},
                                  {"mean |x|", smup::AxisScale::log10});
      for (auto const& layer : layers)
        for (auto const& d : s.densities)
          panel.add(layer, smup::parse_ratio(d).to_double(),
                    mean[{std::string(p), d, s.steps, layer}]);
    }
    for (auto const& layer : layers) {
      summary << "| " << layer;
      for (std::string_view p : {smup::SP::name, smup::MuP::name, smup::SMuP::name}) {
        double const dense = mean[{std::string(p), s.densities.front(), s.steps, layer}];
        double const sparse = mean[{std::string(p), s.densities.back(), s.steps, layer}];
        summary << " | " << fmt(dense, 4) << " / " << fmt(sparse, 4) << " ("
                << fmt(dense / sparse, 2) << ")";
      }
      summary << " |\n";
    }
    fig.write(s.io.out / "coord_check_density.svg");
    double const minutes =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / 60;
    summary << "\nDensest " << s.densities.front() << ", sparsest " << s.densities.back()
            << ". Wall time: " << fmt(minutes, 1) << " min.\n";
    smup::detail::write_file_atomically(s.io.out / "coord_check.md", summary.str(),
                                        "example_02_lm_coord_check");
    std::cout << summary.str();
  });
}
