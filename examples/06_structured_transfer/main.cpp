// 06_structured_transfer: does SmuP's learning-rate transfer hold when the sparsity has
// structure? The SmuP paper shows it for random unstructured masks; here a small dense MLP
// tunes the LR and a wider one reuses it with N:M sparsity (1 of every M fan-in entries,
// M = 1/density) or 8 x 8 block sparsity in its hidden matrices, beside unstructured
// sparsity as the reference. Trains SP, muP and SmuP on Fashion-MNIST over an LR grid x
// pattern x density x seed, runs the coordinate check over density for each pattern, and
// writes CSVs, one SVG figure per pattern and a summary whose drift table answers the
// question: SmuP transfers if its optimum moves by at most one power of two over density.
//
//   example_06_structured_transfer              # defaults (width 128 -> 256, 1 ... 1/16)
//   example_06_structured_transfer --full       # wider target, more seeds, longer runs
//   example_06_structured_transfer --smoke      # a few seconds: the pipeline end to end
//   mpirun -np 4 example_06_structured_transfer --shard auto   # the sweep over 4 processes
//
// Resumable: finished runs are kept in <out>/transfer.csv and skipped when restarted.
// Shard i of n trains every n-th run into <out>/transfer.shard-i-of-n.csv; the last shard
// to finish runs the coordinate check and writes the report over all the files.

#include <smup/core/identity.hpp>
#include <smup/core/parse_ratio.hpp>
#include <smup/diagnostics/coord_check.hpp>
#include <smup/diagnostics/csv.hpp>
#include <smup/diagnostics/sweep.hpp>
#include <smup/diagnostics/transfer_report.hpp>
#include <smup/io/fashion_mnist.hpp>
#include <smup/io/image_batches.hpp>
#include <smup/models/mlp.hpp>
#include <smup/optim/adam.hpp>
#include <smup/sparsity/block.hpp>
#include <smup/sparsity/nm.hpp>
#include <smup/sparsity/unstructured.hpp>

#include "../common/image_training.hpp"
#include "../common/parameterization_by_name.hpp"
#include "../common/pattern_by_name.hpp"
#include "../common/run_example.hpp"
#include "../common/sweep_options.hpp"
#include "gpt_runs.hpp"
#include "settings.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace {

using E = Kokkos::DefaultExecutionSpace;

using smup_example::structured_transfer::Model;
using smup_example::structured_transfer::parse;
using smup_example::structured_transfer::Settings;
using smup_example::structured_transfer::usage;

using CoordRows = std::vector<std::vector<std::string>>;

/// The pattern name of the runs every pattern shares: the base model and the target at
/// density 1.
constexpr std::string_view dense = smup_example::dense_pattern;

/// The MLP's block pattern: 8 x 8 leaves 2 blocks per block row at width 256, density 1/16.
using MlpBlock = smup::Block<8, 8>;

smup::HyperParams hyperparams(Settings const& s, double lr) {
  return {.sigma = s.sigma, .eta = lr};
}

using Data = smup_example::ImageData;

/// Trains one model and evaluates it on the whole test split.
template <class P, class S> smup::RunResult train_one(Settings const& s, Data& data,
                                                      std::int64_t width, smup::ratio density,
                                                      double lr, std::uint64_t seed) {
  auto const hp = hyperparams(s, lr);
  smup::MLP<P, S> model(
      {.in = 784, .width = width, .hidden_layers = s.hidden_layers, .out = 10, .density = density},
      {.width = s.base_width}, hp, seed);
  smup::Adam<P> adam(model, hp, {.beta1 = 0.9, .beta2 = 0.999});
  return smup_example::train_and_test(model, adam, data, s.steps, s.batch, seed, /*recent=*/50);
}

smup::RunResult train_run(Settings const& s, Data& data, smup::RunSpec const& run) {
  auto const width = std::stoll(run.at("width"));
  auto const density = smup::parse_ratio(run.at("density"));
  return smup_example::with_pattern<MlpBlock>(run.at("pattern"), density, [&](auto pattern) {
    return smup_example::with_parameterization(run.at("parameterization"), [&](auto p) {
      return train_one<decltype(p), decltype(pattern)>(s, data, width, density, run.lr, run.seed);
    });
  });
}

std::string fixed(double v, int digits) { return smup::TransferReport::fixed(v, digits); }

/// One cell of a markdown row, after the row's opening "|".
std::string cell(std::string const& text) {
  std::string out = " ";
  out += text;
  out += " |";
  return out;
}

/// The MLP's coordinate check on one fixed training batch: the dense model at density 1,
/// then each pattern at the sparser densities, at the base and the target width.
CoordRows mlp_coordinate_check(Settings const& s, Data& data) {
  smup::io::ImageBatches<float, E> batches(data.raw.train, data.norm, s.batch, 12345);
  auto const batch = batches.batch(0, 0);
  std::vector<std::vector<std::string>> rows;
  auto const check = [&](std::string const& pattern, std::string const& density_text) {
    auto const density = smup::parse_ratio(density_text);
    smup::CoordCheckConfig const cfg{.widths = {s.base_width, s.width},
                                     .densities = {density},
                                     .steps = s.coord_steps,
                                     .hidden_layers = s.hidden_layers,
                                     .in = 784,
                                     .out = 10,
                                     .base = {.width = s.base_width},
                                     .hp = hyperparams(s, 0x1p-8),
                                     .seed = 3};
    smup_example::with_pattern<MlpBlock>(pattern, density, [&](auto tag) {
      using S = decltype(tag);
      for (auto const& part : {smup::coord_check<smup::SP, S>(cfg, batch.x, batch.labels),
                               smup::coord_check<smup::MuP, S>(cfg, batch.x, batch.labels),
                               smup::coord_check<smup::SMuP, S>(cfg, batch.x, batch.labels)})
        for (auto const& r : part)
          rows.push_back({pattern, std::string(r.parameterization), std::to_string(r.width),
                          smup::ratio_text(r.density), std::to_string(r.step), r.layer,
                          fixed(r.mean_abs, 8)});
    });
  };
  check(std::string(dense), "1");
  for (auto const& pattern : s.patterns)
    for (auto const& density : s.coord_densities)
      if (density != "1") check(pattern, density);
  return rows;
}

/// The output the coordinate check table follows: the last hidden layer of the MLP, the
/// last block's MLP branch of the GPT.
std::string last_hidden_output(Settings const& s) {
  return s.model == Model::mlp ? "hidden." + std::to_string(s.hidden_layers)
                               : "mlp." + std::to_string(s.lm.blocks);
}

/// Markdown: for each pattern and parameterization, mean |x| of the last hidden output at
/// the target width and the last step, at each sparser density relative to density 1.
/// Flat (near 1) is what SmuP promises.
std::string coord_check_table(Settings const& s, CoordRows const& rows,
                              std::vector<std::string> const& ps) {
  auto const layer = last_hidden_output(s);
  auto const value = [&](std::string const& pattern, std::string const& p,
                         std::string const& density) -> std::optional<double> {
    for (auto const& r : rows)
      if (r[0] == pattern && r[1] == p && r[2] == std::to_string(s.width) && r[3] == density &&
          r[4] == std::to_string(s.coord_steps) && r[5] == layer)
        return std::stod(r[6]);
    return std::nullopt;
  };
  std::string out = "| pattern | parameterization |";
  std::string rule = "|---|---|";
  for (auto const& d : s.coord_densities)
    if (d != "1") {
      out += " " + d + " |";
      rule += "---|";
    }
  out += "\n" + rule + "\n";
  for (auto const& pattern : s.patterns)
    for (auto const& p : ps) {
      out += "| " + pattern + " | " + p + " |";
      auto const at_one = value(std::string(dense), p, "1");
      for (auto const& d : s.coord_densities) {
        if (d == "1") continue;
        auto const v = value(pattern, p, d);
        out += cell(v && at_one ? fixed(*v / *at_one, 2) : "-");
      }
      out += "\n";
    }
  return out;
}

/// An optimum as log2(lr), with ">= " or "<= " where the minimum is the grid's edge and
/// so only bounds it.
struct Log2Optimum {
  double log2_lr = 0;
  int bound = 0; ///< +1: at least this (upper edge), -1: at most this (lower edge), 0: found

  [[nodiscard]] std::string text() const {
    return (bound > 0 ? ">= " : bound < 0 ? "<= " : "") + fixed(log2_lr, 2);
  }
};

std::optional<Log2Optimum> log2_optimum(smup::GroupOptimum const& g, Settings const& s) {
  if (!g.mean) return std::nullopt;
  auto const grid = std::log2(g.mean->grid_lr);
  int const bound = g.mean->interpolated        ? 0
                    : grid >= s.lr_last - 1e-9  ? 1
                    : grid <= s.lr_first + 1e-9 ? -1
                                                : 0;
  return Log2Optimum{std::log2(g.mean->lr), bound};
}

/// Markdown: for each pattern and parameterization, the optimal LR (log2 of the mean-over-
/// seeds curve's optimum) of the base model and at each density of the target, its drift
/// over density (largest minus smallest optimum, in powers of two; ">=" where a grid edge
/// makes it a lower bound), and the validation loss at the sparsest density with the LR
/// the dense base model preferred, beside the best on the grid. Also the verdict line.
std::string drift_table(Settings const& s, std::vector<smup::SweepRecord> const& records,
                        std::vector<std::string> const& ps) {
  auto const optima = smup::lr_optima(records, {"pattern", "parameterization", "width", "density"});
  auto const find = [&](std::string_view pattern, std::string const& p, std::int64_t width,
                        std::string const& density) -> smup::GroupOptimum const* {
    for (auto const& g : optima)
      if (g.group[0].second == pattern && g.group[1].second == p &&
          g.group[2].second == std::to_string(width) && g.group[3].second == density)
        return &g;
    return nullptr;
  };
  auto const sparsest = s.densities.back();
  std::string out = "| pattern | parameterization | base |";
  std::string rule = "|---|---|---|";
  for (auto const& d : s.densities) {
    out += " " + d + " |";
    rule += "---|";
  }
  out += " drift | val loss at " + sparsest + ", base-tuned lr | best val loss at " + sparsest +
         " |\n" + rule + "---|---|---|\n";
  std::string verdict;
  for (auto const& pattern : s.patterns)
    for (auto const& p : ps) {
      out += "| " + pattern + " | " + p + " |";
      auto const* base = find(dense, p, s.base_width, "1");
      auto const base_opt = base ? log2_optimum(*base, s) : std::nullopt;
      out += cell(base_opt ? base_opt->text() : "-");
      std::optional<Log2Optimum> lowest, highest;
      bool missing = false;
      for (auto const& d : s.densities) {
        auto const* g = find(d == "1" ? dense : std::string_view(pattern), p, s.width, d);
        auto const opt = g ? log2_optimum(*g, s) : std::nullopt;
        out += cell(opt ? opt->text() : "-");
        if (!opt) {
          missing = true;
          continue;
        }
        if (!lowest || opt->log2_lr < lowest->log2_lr) lowest = opt;
        if (!highest || opt->log2_lr > highest->log2_lr) highest = opt;
      }
      std::string drift = "-";
      if (lowest && highest) {
        bool const lower_bound = highest->bound > 0 || lowest->bound < 0;
        double const span = highest->log2_lr - lowest->log2_lr;
        drift = (lower_bound ? ">= " : "") + fixed(span, 2) +
                (missing ? " (some densities without an optimum)" : "");
        // A lower bound above one already fails; at or below one it leaves the answer open.
        std::string const answer = span > 1 ? "no" : lower_bound ? "unknown" : "yes";
        if (p == smup::SMuP::name)
          verdict += (verdict.empty() ? "" : "; ") + pattern + " " + answer + " (" + drift + ")";
      }
      out += " " + drift + " |";
      // The loss with the base model's grid optimum, and the best grid point, at sparsest.
      std::string base_tuned = "-", best = "-";
      if (auto const* g = find(pattern, p, s.width, sparsest); g && base && base->mean) {
        for (auto const& [lr, loss] : g->mean_curve)
          if (lr == base->mean->grid_lr)
            base_tuned = std::isfinite(loss) ? fixed(loss, 4) : std::string("diverged");
        if (g->mean) best = fixed(g->mean->grid_loss, 4);
      }
      out += " " + base_tuned + " | " + best + " |\n";
    }
  return out + "\nDoes SmuP's optimum move by at most one power of two over density 1 ... " +
         sparsest + "? " + verdict + ".\n";
}

/// The figure and optima table of one pattern: its runs and the shared dense ones.
smup::TransferReport pattern_report(Settings const& s, std::vector<smup::SweepRecord> const& all,
                                    std::vector<std::string> const& ps,
                                    std::string const& pattern) {
  std::vector<smup::SweepRecord> records;
  for (auto const& r : all)
    if (r.spec.at("pattern") == pattern || r.spec.at("pattern") == dense) records.push_back(r);
  return smup::transfer_report(records,
                               {.parameterizations = ps,
                                .base_width = std::to_string(s.base_width),
                                .target_width = std::to_string(s.width),
                                .lr_first = s.lr_first,
                                .lr_last = s.lr_last,
                                .title = (s.model == Model::mlp ? "MLP" : "GPT") +
                                         std::string(" LR transfer with ") + pattern +
                                         " sparsity (width " + std::to_string(s.width) +
                                         ", mean of " + std::to_string(s.seeds) + " seeds)"});
}

/// What the sweep needs of its model: training one run and the coordinate check.
struct Study {
  std::function<smup::RunResult(smup::RunSpec const&)> train;
  std::function<CoordRows()> coordinate_check;
  std::string description; ///< the summary's first paragraph
};

/// The MLP on Fashion-MNIST: data loaded once, shared by every run.
Study mlp_study(Settings const& s) {
  for (auto const& pattern : s.patterns)
    for (auto const& d : s.densities)
      if (d != "1")
        smup_example::with_pattern<MlpBlock>(pattern, smup::parse_ratio(d), [](auto) {});
  auto data = std::make_shared<Data>(smup_example::load_image_data(s.data, s.train_images));
  std::ostringstream text;
  text << "MLP on Fashion-MNIST. Base: width " << s.base_width << ", dense. Target: width "
       << s.width << ", " << s.hidden_layers << " hidden layers, " << s.steps << " Adam steps of "
       << s.batch << " images, sigma " << s.sigma << ", " << s.seeds
       << " seed(s); loss on the test split.";
  return {[&s, data](smup::RunSpec const& run) { return train_run(s, *data, run); },
          [&s, data] { return mlp_coordinate_check(s, *data); }, text.str()};
}

/// The byte-level GPT of example 03 on the fortunes (or --data).
Study gpt_study(Settings const& s) {
  using namespace smup_example::structured_transfer;
  check_gpt_patterns(s);
  auto corpus = s.data.empty() ? smup::io::load_fortunes() : smup::io::load_text(s.data);
  smup::io::TextBatches<E> validation(corpus, smup::io::TextPart::validation, s.lm.batch,
                                      s.lm.context);
  auto data = std::make_shared<smup_example::LmData>(
      smup_example::LmData{std::move(corpus), std::move(validation)});
  std::ostringstream text;
  text << "Byte-level GPT on " << (s.data.empty() ? "Debian's fortunes" : s.data.string())
       << ". Base: width " << s.base_width << ", dense. Target: width " << s.width << ", "
       << s.lm.blocks << " blocks, head size " << s.lm.head_dim << ", context " << s.lm.context
       << ", " << s.steps << " AdamW steps of " << s.lm.batch << " sequences (clipping 1.0), sigma "
       << s.sigma << ", " << s.seeds << " seed(s); validation loss (nats per byte) on "
       << s.lm.eval_batches << " fixed batches.";
  return {[&s, data](smup::RunSpec const& run) { return train_gpt_run(s, *data, run); },
          [&s, data] { return gpt_coordinate_check(s, *data); }, text.str()};
}

} // namespace

int main(int argc, char* argv[]) {
  return smup_example::run_example(argc, argv, usage, parse, [](Settings const& s) {
    std::cerr << s.sharding.launcher_note();
    auto const start = std::chrono::steady_clock::now();
    std::filesystem::create_directories(s.out);
    // A pattern that cannot take a density fails here, before any data or training.
    auto const study = s.model == Model::mlp ? mlp_study(s) : gpt_study(s);

    // The base model (dense, base width) tunes the LR; the target reuses it at density 1
    // and, for each pattern, at every sparser density.
    std::vector<std::uint64_t> seeds;
    for (int i = 0; i < s.seeds; ++i) seeds.push_back(static_cast<std::uint64_t>(i));
    std::vector<std::string> const ps{std::string(smup::SP::name), std::string(smup::MuP::name),
                                      std::string(smup::SMuP::name)};
    std::vector<std::string> sparse;
    for (auto const& d : s.densities)
      if (d != "1") sparse.push_back(d);
    auto const lrs = smup::powers_of_two(s.lr_first, s.lr_last);
    std::vector<smup::RunSpec> runs;
    for (auto const& width : {std::to_string(s.base_width), std::to_string(s.width)}) {
      auto const part = smup::sweep_grid({{"pattern", {std::string(dense)}},
                                          {"parameterization", ps},
                                          {"width", {width}},
                                          {"density", {"1"}}},
                                         lrs, seeds);
      runs.insert(runs.end(), part.begin(), part.end());
    }
    auto const target = smup::sweep_grid({{"pattern", s.patterns},
                                          {"parameterization", ps},
                                          {"width", {std::to_string(s.width)}},
                                          {"density", sparse}},
                                         lrs, seeds);
    runs.insert(runs.end(), target.begin(), target.end());

    auto const csv = s.out / "transfer.csv";
    auto const sweep = smup::run_sweep(runs, {.csv = csv, .shard = s.sharding.shard}, study.train);
    std::cerr << "sweep: " << sweep.executed << " runs trained, " << sweep.skipped
              << " kept from an earlier run, " << sweep.diverged << " diverged\n";
    // Only the process that completes the sweep checks coordinates and reports.
    if (!smup_example::sweep_complete(runs, csv, s.sharding.shard,
                                      "coordinate check, transfer_<pattern>.svg, summary.md"))
      return;

    std::cerr << "coordinate check...\n";
    auto const coord_rows = study.coordinate_check();
    smup::write_csv(
        s.out / "coord_check.csv",
        {"pattern", "parameterization", "width", "density", "step", "layer", "mean_abs"},
        coord_rows);
    auto const records = smup::read_sweep_results_merged(csv, runs);
    std::ostringstream summary;
    auto const block =
        (s.model == Model::mlp
             ? smup_example::block_pattern_name<MlpBlock>()
             : smup_example::block_pattern_name<smup_example::structured_transfer::GptBlock>())
            .substr(std::string_view("block").size()); // "8x8"
    summary << "# LR transfer with structured sparsity\n\n"
            << study.description << " LR grid 2^" << s.lr_first << " ... 2^" << s.lr_last
            << ". Hidden matrices unstructured (Bernoulli per weight), N:M (1 kept in every M "
               "consecutive fan-in entries, M = 1/density) or "
            << block
            << " blocks (a fraction density of whole blocks, spread evenly over block rows).\n\n"
            << "## Drift of the optimal LR over density\n\nOptimal LR as log2, from the mean "
               "over seeds (interpolated; \">=\" / \"<=\" where the minimum is the grid's "
               "edge). Drift: largest minus smallest optimum over the target's densities, in "
               "powers of two (\">=\" where a grid edge makes it a lower bound).\n\n"
            << drift_table(s, records, ps);
    for (auto const& pattern : s.patterns) {
      auto const report = pattern_report(s, records, ps, pattern);
      report.figure.write(s.out / ("transfer_" + pattern + ".svg"));
      summary << "\n## " << pattern << "\n\n"
              << report.optima_table << "\nAt density " << s.densities.back()
              << ", each parameterization with the LR tuned on its dense base model:\n\n"
              << report.base_tuned_table(s.densities.back());
    }
    summary << "\n## Coordinate check\n\nMean |x| of " << last_hidden_output(s) << " at width "
            << s.width << ", step " << s.coord_steps << " (after " << s.coord_steps - 1
            << " optimizer updates), relative to density 1 (coord_check.csv has every layer and "
               "step):\n\n"
            << coord_check_table(s, coord_rows, ps);
    double const minutes =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / 60;
    summary << "\nWall time of this invocation: " << fixed(minutes, 1) << " min.\n";
    // Whole or not at all: two shards finishing together may both write it.
    smup::detail::write_file_atomically(s.out / "summary.md", summary.str(),
                                        "example_06_structured_transfer");
    std::cout << summary.str();
  });
}
