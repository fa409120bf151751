// 04_lm_sparse_loss: the loss at high sparsity when every base HP is tuned on the small
// dense model (the SmuP paper's Figure 3, at small scale). For SP, muP and SmuP in turn:
// tune on the dense base GPT, one HP at a time, the learning rate eta, then the readout
// multiplier alpha_out, the input multiplier alpha_in and the LR multiplier of the
// non-hidden tensors (embeddings, readout, norms, biases), each at the best values found
// so far; then train the target width at every density with the tuned HPs, over several
// seeds (the tuning runs use seed 0). Without the last multiplier SP can look worse than
// it is at its own optimum.
//
//   example_04_lm_sparse_loss              # base 64 dense, target 128 at densities 1..1/64
//   example_04_lm_sparse_loss --full       # target 256, 300 steps, 3 seeds
//   example_04_lm_sparse_loss --seeds 3    # three target runs per density (2 by default)
//   example_04_lm_sparse_loss --smoke      # seconds: checks the pipeline end to end
//   example_04_lm_sparse_loss --tied-readout   # readout tied to the token embedding
//   mpirun -np 3 example_04_lm_sparse_loss --shard auto   # over 3 processes
//
// Writes sparse_loss.csv (every run, resumable), sparse_loss.svg and sparse_loss.md into
// --out (lm-results).
//
// Sharded (--shard i/n), the study runs in two phases. Tuning: each parameterization's
// tuning is a chain of runs that each depend on the best found before, so the whole chain
// of the k-th parameterization (SP, muP, SmuP; k = 0, 1, 2) goes to shard k % n + 1. Target
// runs: once every parameterization is tuned, shard i trains every n-th of them. A shard
// that finds another's tuning unfinished stops after its own, asking to be rerun; the shard
// that finishes the target runs last writes the report.

#include <smup/core/parse_ratio.hpp>
#include <smup/diagnostics/svg_plot.hpp>
#include <smup/diagnostics/sweep.hpp>
#include <smup/io/text.hpp>

#include "../common/lm_options.hpp"
#include "../common/lm_training.hpp"
#include "../common/run_example.hpp"
#include "../common/sweep_options.hpp"
#include "settings.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <limits>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using E = smup_example::LmSpace;

using smup_example::lm_sparse_loss::parse;
using smup_example::lm_sparse_loss::Settings;
using smup_example::lm_sparse_loss::usage;

std::string fixed(double v, int digits) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, v);
  return buffer;
}

/// The validation losses of one configuration over its seeds.
struct SeedSpread {
  double mean = std::numeric_limits<double>::infinity(), low = mean, high = -mean;
  std::size_t diverged = 0, seeds = 0;

  explicit SeedSpread(std::vector<double> const& losses) : seeds(losses.size()) {
    double sum = 0;
    std::size_t finite = 0;
    for (double l : losses) {
      if (!std::isfinite(l)) {
        ++diverged;
        continue;
      }
      sum += l;
      low = std::min(low, l);
      high = std::max(high, l);
      ++finite;
    }
    if (finite > 0) mean = sum / double(finite);
  }

  /// "2.6712 (2.6650-2.6790)", "2.6712 (2.6650-2.6790), 1 of 3 diverged" or "diverged".
  [[nodiscard]] std::string cell() const {
    if (diverged == seeds) return "diverged";
    std::string text = fixed(mean, 4);
    if (seeds - diverged > 1) text += " (" + fixed(low, 4) + "-" + fixed(high, 4) + ")";
    if (diverged > 0)
      text += ", " + std::to_string(diverged) + " of " + std::to_string(seeds) + " diverged";
    return text;
  }
};

/// The HPs one run uses; they are also its key columns in the CSV, as powers of two.
struct Choice {
  int eta = -9, alpha_in = 0, alpha_out = 0, lr_mult = 0;
  [[nodiscard]] smup::HyperParams hyperparams() const {
    return {.sigma = 0.02,
            .eta = std::ldexp(1.0, eta),
            .alpha_in = std::ldexp(1.0, alpha_in),
            .alpha_out = std::ldexp(1.0, alpha_out),
            .lr_mult_non_hidden = std::ldexp(1.0, lr_mult)};
  }
};

class Study {
public:
  Study(Settings const& s, smup_example::LmData& data) : s_(s), data_(data) {}

  [[nodiscard]] std::filesystem::path csv() const { return s_.io.out / "sparse_loss.csv"; }

  /// The run of one configuration; its HPs are its key columns.
  [[nodiscard]] static smup::RunSpec run_of(std::string const& p, std::int64_t width,
                                            std::string const& density, Choice const& c,
                                            std::uint64_t seed) {
    return {.key = {{"parameterization", p},
                    {"width", std::to_string(width)},
                    {"density", density},
                    {"alpha_in", std::to_string(c.alpha_in)},
                    {"alpha_out", std::to_string(c.alpha_out)},
                    {"lr_mult", std::to_string(c.lr_mult)}},
            .lr = std::ldexp(1.0, c.eta),
            .seed = seed};
  }

  smup::RunResult train(smup::RunSpec const& run) {
    Choice c{.eta = static_cast<int>(std::lround(std::log2(run.lr))),
             .alpha_in = std::stoi(run.at("alpha_in")),
             .alpha_out = std::stoi(run.at("alpha_out")),
             .lr_mult = std::stoi(run.at("lr_mult"))};
    return smup_example::train_lm_run(s_.lm, data_, run, c.hyperparams());
  }

  /// The val loss of each run, in order (infinite for a diverged run). With `train`, runs
  /// no file of the sweep holds are trained (into this shard's file) first; without, a run
  /// missing from the files leaves the result empty.
  std::optional<std::vector<double>> losses(std::vector<smup::RunSpec> const& runs, bool train) {
    if (train)
      smup::run_sweep(runs, {.csv = csv(), .shard = s_.io.sharding.shard, .split_runs = false},
                      [&](smup::RunSpec const& run) { return this->train(run); });
    else if (!smup::sweep_progress(runs, csv()).complete())
      return std::nullopt;
    return lookup(runs, smup::read_sweep_results_merged(csv()));
  }

  /// The val loss of each run in `records` (infinite when diverged or absent).
  static std::vector<double> lookup(std::vector<smup::RunSpec> const& runs,
                                    std::vector<smup::SweepRecord> const& records) {
    std::vector<double> out;
    for (auto const& run : runs) {
      double loss = std::numeric_limits<double>::infinity();
      for (auto const& r : records)
        if (r.spec.key == run.key && r.spec.lr == run.lr && r.spec.seed == run.seed &&
            !r.result.diverged)
          loss = r.result.val_loss;
      out.push_back(loss);
    }
    return out;
  }

  /// One HP at a time on the dense base model, each at the best values found so far. With
  /// `train` false, only from the files; empty when a step of the chain is missing there.
  std::optional<Choice> tune(std::string const& p, bool train) {
    Choice best;
    for (auto const& [values, field] : {std::pair{s_.eta_exponents, &Choice::eta},
                                        std::pair{s_.multiplier_exponents, &Choice::alpha_out},
                                        std::pair{s_.multiplier_exponents, &Choice::alpha_in},
                                        std::pair{s_.multiplier_exponents, &Choice::lr_mult}}) {
      std::vector<Choice> choices;
      std::vector<smup::RunSpec> runs;
      for (int v : values) {
        Choice c = best;
        c.*field = v;
        choices.push_back(c);
        runs.push_back(run_of(p, s_.lm.base_width, "1", c, 0));
      }
      auto const l = losses(runs, train);
      if (!l) return std::nullopt;
      std::size_t arg = 0;
      for (std::size_t i = 1; i < l->size(); ++i)
        if ((*l)[i] < (*l)[arg]) arg = i;
      best = choices[arg];
    }
    return best;
  }

private:
  Settings const& s_;
  smup_example::LmData& data_;
};

} // namespace

int main(int argc, char* argv[]) {
  return smup_example::run_example(argc, argv, usage, parse, [](Settings const& s) {
    std::cerr << s.io.sharding.launcher_note();
    auto const start = std::chrono::steady_clock::now();
    std::filesystem::create_directories(s.io.out);
    auto corpus = s.io.corpus();
    smup::io::TextBatches<E> validation(corpus, smup::io::TextPart::validation, s.lm.batch,
                                        s.lm.context);
    smup_example::LmData data{std::move(corpus), std::move(validation)};
    Study study(s, data);
    auto const& shard = s.io.sharding.shard;

    // Phase 1, tuning: the k-th parameterization's chain of runs belongs to shard k % n + 1;
    // the others' results are read from the files when there.
    std::vector<std::string> const ps{std::string(smup::SP::name), std::string(smup::MuP::name),
                                      std::string(smup::SMuP::name)};
    std::vector<Choice> tuned;
    std::string unfinished;
    std::set<std::size_t> tuners;
    for (std::size_t k = 0; k < ps.size(); ++k) {
      if (auto const best = study.tune(ps[k], smup::in_shard(k, shard))) {
        tuned.push_back(*best);
        continue;
      }
      unfinished += (unfinished.empty() ? "" : ", ") + ps[k];
      tuners.insert(k % static_cast<std::size_t>(shard.count) + 1);
    }
    if (!unfinished.empty()) {
      std::string by;
      for (auto t : tuners) by += (by.empty() ? "" : ", ") + std::to_string(t);
      std::cout << shard.describe() << " has done its part of the tuning; the tuning of "
                << unfinished << " (by shard" << (tuners.size() > 1 ? "s " : " ") << by
                << ") is not finished, and the target runs need every parameterization's. "
                << "Rerun this command once " << (tuners.size() > 1 ? "they finish" : "it finishes")
                << ": it then trains this shard's share of the target runs.\n";
      return;
    }

    // Phase 2, the target at every density and seed with the tuned HPs: every n-th run.
    std::vector<smup::RunSpec> targets;
    for (std::size_t k = 0; k < ps.size(); ++k)
      for (auto const& density : s.densities)
        for (int seed = 0; seed < s.seeds; ++seed)
          targets.push_back(
              Study::run_of(ps[k], s.width, density, tuned[k], static_cast<std::uint64_t>(seed)));
    smup::run_sweep(targets, {.csv = study.csv(), .shard = shard},
                    [&](smup::RunSpec const& run) { return study.train(run); });
    if (!smup_example::sweep_complete(targets, study.csv(), shard,
                                      "sparse_loss.svg, sparse_loss.md", "target runs"))
      return;

    auto const records = smup::read_sweep_results_merged(study.csv());
    smup::SvgFigure fig{.title = "Dense-tuned HPs, width " + std::to_string(s.width)};
    auto& panel = fig.add_panel("all parameterizations", {"density", smup::AxisScale::log2},
                                {"validation loss"});
    std::ostringstream tuned_table, table;
    tuned_table << "| parameterization | eta | alpha_out | alpha_in | non-hidden lr mult | base "
                   "loss (seed 0) |\n|---|---|---|---|---|---|\n";
    table << "| density |";
    std::vector<std::vector<SeedSpread>> by_density(s.densities.size());
    for (std::size_t k = 0; k < ps.size(); ++k) {
      auto const& p = ps[k];
      auto const& best = tuned[k];
      auto const base_loss =
          Study::lookup({Study::run_of(p, s.lm.base_width, "1", best, 0)}, records).front();
      tuned_table << "| " << p << " | 2^" << best.eta << " | 2^" << best.alpha_out << " | 2^"
                  << best.alpha_in << " | 2^" << best.lr_mult << " | " << fixed(base_loss, 4)
                  << " |\n";
      table << " " << p << " |";
      for (std::size_t d = 0; d < s.densities.size(); ++d) {
        std::vector<smup::RunSpec> seeds;
        for (int seed = 0; seed < s.seeds; ++seed)
          seeds.push_back(
              Study::run_of(p, s.width, s.densities[d], best, static_cast<std::uint64_t>(seed)));
        SeedSpread const spread(Study::lookup(seeds, records));
        if (std::isfinite(spread.mean))
          panel.add(p, smup::parse_ratio(s.densities[d]).to_double(), spread.mean);
        by_density[d].push_back(spread);
      }
    }
    table << "\n|---|---|---|---|\n";
    for (std::size_t d = 0; d < s.densities.size(); ++d) {
      table << "| " << s.densities[d] << " |";
      for (auto const& spread : by_density[d]) table << " " << spread.cell() << " |";
      table << "\n";
    }
    fig.write(s.io.out / "sparse_loss.svg");
    double const minutes =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / 60;
    std::ostringstream summary;
    summary << "# GPT loss at high sparsity with dense-tuned HPs\n\nBase: width " << s.lm.base_width
            << ", dense; HPs tuned one at a time in the order eta, "
            << "alpha_out, alpha_in, non-hidden LR multiplier. Target: width " << s.width << ", "
            << s.lm.steps << " AdamW steps of " << s.lm.batch << " x " << s.lm.context
            << " tokens, readout " << smup_example::readout_kind(s.lm.tied_readout)
            << "; validation loss in nats per byte. Tuning runs use seed 0; each target run "
            << "is trained with " << s.seeds << (s.seeds == 1 ? " seed" : " seeds")
            << " (mask, init and batch order), the table gives the mean"
            << (s.seeds == 1 ? "" : " and, in brackets, the lowest and highest") << ".\n\n"
            << tuned_table.str() << "\nValidation loss of the target with those HPs:\n\n"
            << table.str() << "\nWall time of this invocation: " << fixed(minutes, 1) << " min.\n";
    // Whole or not at all: two shards finishing together may both write it.
    smup::detail::write_file_atomically(s.io.out / "sparse_loss.md", summary.str(),
                                        "example_04_lm_sparse_loss");
    std::cout << summary.str();
  });
}
