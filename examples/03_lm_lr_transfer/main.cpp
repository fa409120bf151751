// 03_lm_lr_transfer: does the learning rate tuned on a small dense byte-level GPT
// transfer to a wider, sparser one (the SmuP paper's Figure 1, at small scale)? Trains SP,
// muP and SmuP on Debian's fortunes over an LR grid x density x seed with a fixed token
// budget, and writes transfer.csv (the MLP demo's columns, val_acc empty), transfer.svg
// and transfer.md into --out (lm-results).
//
//   example_03_lm_lr_transfer              # base 64 dense, target 128 at densities 1..1/64
//   example_03_lm_lr_transfer --full       # target 256, every density 1..1/64, 2 seeds
//   example_03_lm_lr_transfer --smoke      # seconds: checks the pipeline end to end
//   example_03_lm_lr_transfer --tied-readout   # readout tied to the token embedding
//   srun -n 8 example_03_lm_lr_transfer --shard auto   # the sweep over 8 processes
//
// Resumable: finished runs are kept in <out>/transfer.csv and skipped when restarted.
// Shard i of n trains every n-th run into <out>/transfer.shard-i-of-n.csv; the last shard
// to finish writes the report over all the files.

#include <smup/core/parse_ratio.hpp>
#include <smup/diagnostics/sweep.hpp>
#include <smup/diagnostics/transfer_report.hpp>
#include <smup/io/text.hpp>
#include <smup/models/gpt.hpp>
#include <smup/optim/adam.hpp>
#include <smup/parameterization/mup.hpp>
#include <smup/parameterization/sp.hpp>
#include <smup/parameterization/sparse_mup.hpp>
#include <smup/sparsity/unstructured.hpp>

#include "../common/lm_options.hpp"
#include "../common/lm_training.hpp"
#include "../common/run_example.hpp"
#include "../common/sweep_options.hpp"
#include "settings.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

using E = smup_example::LmSpace;

using smup_example::lm_lr_transfer::parse;
using smup_example::lm_lr_transfer::Settings;
using smup_example::lm_lr_transfer::usage;

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
    std::cerr << "corpus: " << data.corpus.size() << " bytes from " << data.corpus.files.size()
              << " file(s)\n";

    // The base model (dense, base width) tunes the LR; the target reuses it at every density.
    std::vector<std::uint64_t> seeds;
    for (int i = 0; i < s.seeds; ++i) seeds.push_back(static_cast<std::uint64_t>(i));
    std::vector<std::string> const ps{std::string(smup::SP::name), std::string(smup::MuP::name),
                                      std::string(smup::SMuP::name)};
    auto runs = smup::sweep_grid({{"parameterization", ps},
                                  {"width", {std::to_string(s.lm.base_width)}},
                                  {"density", {"1"}}},
                                 smup::powers_of_two(s.lr_first, s.lr_last), seeds);
    auto target = smup::sweep_grid(
        {{"parameterization", ps}, {"width", {std::to_string(s.width)}}, {"density", s.densities}},
        smup::powers_of_two(s.lr_first, s.lr_last), seeds);
    runs.insert(runs.end(), target.begin(), target.end());
    auto const csv = s.io.out / "transfer.csv";
    auto const sweep = smup::run_sweep(
        runs, {.csv = csv, .shard = s.io.sharding.shard}, [&](smup::RunSpec const& run) {
          return smup_example::train_lm_run(s.lm, data, run, {.sigma = 0.02, .eta = run.lr});
        });
    std::cerr << "sweep: " << sweep.executed << " runs trained, " << sweep.skipped
              << " kept from an earlier run, " << sweep.diverged << " diverged\n";
    if (!smup_example::sweep_complete(runs, csv, s.io.sharding.shard, "transfer.svg, transfer.md"))
      return;

    auto const report = smup::transfer_report(
        smup::read_sweep_results_merged(csv, runs),
        {.parameterizations = ps,
         .base_width = std::to_string(s.lm.base_width),
         .target_width = std::to_string(s.width),
         .lr_first = s.lr_first,
         .lr_last = s.lr_last,
         .title = "GPT LR transfer on fortunes (width " + std::to_string(s.width) + ", " +
                  std::to_string(s.lm.steps) + " steps of " +
                  std::to_string(s.lm.batch * s.lm.context) + " tokens)"});
    report.figure.write(s.io.out / "transfer.svg");
    auto const sparsest = s.densities.back();
    double const minutes =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / 60;
    std::ostringstream summary;
    summary << "# GPT LR transfer across density\n\nBase: width " << s.lm.base_width
            << ", dense. Target: width " << s.width << ", " << s.lm.blocks << " blocks, head size "
            << s.lm.head_dim << ", context " << s.lm.context << ", readout "
            << smup_example::readout_kind(s.lm.tied_readout) << ", " << s.lm.steps
            << " AdamW steps of " << s.lm.batch << " sequences, " << s.seeds
            << " seed(s); validation loss (nats per "
            << "byte) on " << s.lm.eval_batches << " fixed batches.\n\n"
            << report.optima_table << "\nAt density " << sparsest << " (width " << s.width
            << "), each parameterization with the LR tuned on its dense base model:\n\n"
            << report.base_tuned_table(sparsest)
            << "\nWall time of this invocation: " << smup::TransferReport::fixed(minutes, 1)
            << " min.\n";
    // Whole or not at all: two shards finishing together may both write it.
    smup::detail::write_file_atomically(s.io.out / "transfer.md", summary.str(),
                                        "example_03_lm_lr_transfer");
    std::cout << summary.str();
  });
}
