// 05_weight_decay: which AdamW weight-decay policy keeps the optimal weight decay in
// place as an SmuP MLP gets wider and sparser? Sweeps weight_decay for the coupled
// policy (PyTorch AdamW: decay follows each tensor's own learning rate) and the
// base_coupled one (microsoft/mup's MuAdamW: decay follows the base model's rate) on
// Fashion-MNIST at two widths x two densities, and reports each optimum's shift from
// the dense base model's.
//
//   example_05_weight_decay            # the default grid (minutes on 2 cores)
//   example_05_weight_decay --smoke    # seconds: checks the pipeline end to end
//   mpirun -np 4 example_05_weight_decay --shard auto   # the sweep over 4 processes
//
// Resumable: finished runs are kept in <out>/weight_decay.csv and skipped when restarted.
// Shard i of n trains every n-th run into <out>/weight_decay.shard-i-of-n.csv; the last
// shard to finish writes the report over all the files.
// A small training subset and many epochs make the model overfit, so decay has an
// optimum to find.

#include <smup/core/parse_ratio.hpp>
#include <smup/diagnostics/csv.hpp>
#include <smup/diagnostics/svg_plot.hpp>
#include <smup/diagnostics/sweep.hpp>
#include <smup/io/fashion_mnist.hpp>
#include <smup/io/image_batches.hpp>
#include <smup/models/mlp.hpp>
#include <smup/optim/adam.hpp>
#include <smup/parameterization/sparse_mup.hpp>
#include <smup/sparsity/unstructured.hpp>

#include "../common/image_training.hpp"
#include "../common/run_example.hpp"
#include "../common/sweep_options.hpp"
#include "settings.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

using E = Kokkos::DefaultExecutionSpace;
using P = smup::SMuP;
using Pattern = smup::Unstructured;

using smup_example::weight_decay::parse;
using smup_example::weight_decay::Settings;
using smup_example::weight_decay::usage;

smup::WeightDecayPolicy policy_named(std::string const& name) {
  if (name == "coupled") return smup::WeightDecayPolicy::coupled;
  if (name == "base_coupled") return smup::WeightDecayPolicy::base_coupled;
  throw std::invalid_argument("unknown weight decay policy '" + name +
                              "' in the CSV; this example writes coupled or base_coupled");
}

using Data = smup_example::ImageData;

smup::RunResult train_run(Settings const& s, Data& data, smup::RunSpec const& run) {
  smup::HyperParams const hp{.sigma = 0.05,
                             .eta = s.eta,
                             .weight_decay = std::stod(run.at("weight_decay")),
                             .weight_decay_policy = policy_named(run.at("policy")),
                             .decay_input_and_readout = run.at("decayed") == "all"};
  smup::MLP<P, Pattern> model({.in = 784,
                               .width = std::stoll(run.at("width")),
                               .hidden_layers = s.hidden_layers,
                               .out = 10,
                               .density = smup::parse_ratio(run.at("density"))},
                              {.width = s.base_width}, hp, run.seed);
  smup::AdamW<P> adamw(model, {.beta1 = 0.9, .beta2 = 0.999});
  return smup_example::train_and_test(model, adamw, data, s.steps, s.batch, run.seed,
                                      /*recent=*/20);
}

std::string fmt(double v, int digits) {
  std::ostringstream o;
  o.precision(digits);
  o << std::fixed << v;
  return o.str();
}

/// Optimal log2(weight decay) of one (policy, width, density) curve: the parabola vertex of
/// the mean validation loss over seeds around the grid minimum (smup::lr_optimum works on
/// any power-of-two grid), flagged when it sits on the grid's edge.
struct WdOptimum {
  double log2_wd = 0;
  double loss = 0;
  bool at_edge = false;
};

/// What each value of the "decayed" key means, for titles and tables.
std::string decayed_text(std::string const& decayed) {
  return decayed == "all" ? "every matrix decays" : "only the hidden matrices decay";
}

void report(Settings const& s, std::vector<smup::SweepRecord> const& records) {
  // (decayed, policy, width, density) -> weight decay -> (sum of val loss, runs).
  std::map<std::vector<std::string>, std::map<double, std::pair<double, int>>> curves;
  for (auto const& r : records) {
    auto& point = curves[{r.spec.at("decayed"), r.spec.at("policy"), r.spec.at("width"),
                          r.spec.at("density")}][std::stod(r.spec.at("weight_decay"))];
    point.first += r.result.diverged ? std::nan("") : r.result.val_loss;
    ++point.second;
  }
  smup::SvgFigure fig{.title = "Validation loss against AdamW weight decay (SmuP, eta 2^" +
                               fmt(std::log2(s.eta), 0) + ", mean of " + std::to_string(s.seeds) +
                               " seeds)"};
  std::map<std::vector<std::string>, WdOptimum> optima;
  for (auto const& decayed : s.decayed)
    for (std::string policy : {"coupled", "base_coupled"}) {
      auto& panel = fig.add_panel(policy + ", " + decayed_text(decayed),
                                  {"weight decay", smup::AxisScale::log2}, {"validation loss"});
      for (auto const& width : s.widths)
        for (auto const& density : s.densities) {
          auto const it = curves.find({decayed, policy, width, density});
          if (it == curves.end()) continue;
          std::vector<std::pair<double, double>> mean;
          for (auto const& [wd, sum] : it->second) mean.emplace_back(wd, sum.first / sum.second);
          std::string const series = "width " + width + ", density " + density;
          for (auto const& [wd, loss] : mean) panel.add(series, wd, loss);
          if (auto const opt = smup::lr_optimum(mean)) {
            panel.highlight(series, opt->grid_lr, opt->grid_loss);
            optima[{decayed, policy, width, density}] = {std::log2(opt->lr), opt->loss,
                                                         opt->grid_lr == mean.front().first ||
                                                             opt->grid_lr == mean.back().first};
          }
        }
    }
  fig.write(s.out / "weight_decay.svg");

  std::ostringstream md;
  md << "# Weight decay across width and density (SmuP, AdamW)\n\n"
     << "Base: width " << s.base_width << ", dense. " << s.hidden_layers << " hidden layers, "
     << s.steps << " steps of " << s.batch << " on " << s.train_images
     << " training images (the model overfits), validation on the 10k test images; eta 2^"
     << fmt(std::log2(s.eta), 0) << ", weight decay 2^" << s.wd_first << " .. 2^" << s.wd_last
     << ", " << s.seeds << " seed(s).\n\n"
     << "| decayed | policy | width | density | m_d m_rho | optimal log2(wd) | shift from base "
        "| val loss |\n|---|---|---|---|---|---|---|---|\n";
  for (auto const& decayed : s.decayed)
    for (std::string policy : {"coupled", "base_coupled"}) {
      auto const base = optima.find({decayed, policy, s.widths.front(), s.densities.front()});
      for (auto const& width : s.widths)
        for (auto const& density : s.densities) {
          auto const it = optima.find({decayed, policy, width, density});
          if (it == optima.end()) continue;
          double const product =
              std::stod(width) / double(s.base_width) * smup::parse_ratio(density).to_double();
          md << "| " << decayed << " | " << policy << " | " << width << " | " << density << " | "
             << fmt(product, 2) << " | " << fmt(it->second.log2_wd, 2)
             << (it->second.at_edge ? " (grid edge)" : "") << " | "
             << (base == optima.end() ? "-" : fmt(it->second.log2_wd - base->second.log2_wd, 2))
             << " | " << fmt(it->second.loss, 4) << " |\n";
        }
    }
  md << "\nCoupled decay removes lr_tensor * wd per step, and SmuP's hidden rate is eta / "
        "(m_d m_rho): it predicts the optimum to move by log2(m_d m_rho). Base-coupled decay "
        "removes eta * wd at every size: it predicts no shift.\n";
  // Whole or not at all: two shards finishing together may both write it.
  smup::detail::write_file_atomically(s.out / "summary.md", md.str(), "example_05_weight_decay");
  std::cout << md.str();
}

} // namespace

int main(int argc, char* argv[]) {
  return smup_example::run_example(argc, argv, usage, parse, [](Settings const& s) {
    std::cerr << s.sharding.launcher_note();
    std::filesystem::create_directories(s.out);
    Data data = smup_example::load_image_data(s.data, s.train_images);

    std::vector<std::uint64_t> seeds;
    for (int i = 0; i < s.seeds; ++i) seeds.push_back(static_cast<std::uint64_t>(i));
    std::vector<std::string> wds;
    for (double wd : smup::powers_of_two(s.wd_first, s.wd_last))
      wds.push_back(smup::detail::format_double(wd));
    std::vector<smup::RunSpec> runs;
    for (auto const& policy : {"coupled", "base_coupled"}) {
      auto grid = smup::sweep_grid({{"decayed", s.decayed},
                                    {"policy", {policy}},
                                    {"width", s.widths},
                                    {"density", s.densities},
                                    {"weight_decay", wds}},
                                   {s.eta}, seeds);
      runs.insert(runs.end(), grid.begin(), grid.end());
    }
    auto const csv = s.out / "weight_decay.csv";
    auto const sweep =
        smup::run_sweep(runs, {.csv = csv, .shard = s.sharding.shard},
                        [&](smup::RunSpec const& run) { return train_run(s, data, run); });
    std::cerr << "sweep: " << sweep.executed << " runs trained, " << sweep.skipped
              << " kept from an earlier run, " << sweep.diverged << " diverged\n";
    if (!smup_example::sweep_complete(runs, csv, s.sharding.shard, "weight_decay.svg, summary.md"))
      return;
    report(s, smup::read_sweep_results_merged(csv, runs));
  });
}
