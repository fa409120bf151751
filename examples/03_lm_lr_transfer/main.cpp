// 03_lm_lr_transfer: does the learning rate tuned on a small dense byte-level GPT
// transfer to a wider, sparser one (the SmuP paper's Figure 1, at small scale)? Trains SP,
// muP and SmuP on Debian's fortunes over an LR grid x density x seed with a fixed token
// budget, and writes transfer.csv (the MLP demo's columns, val_acc empty), transfer.svg
// and transfer.md into --out (lm-results).
//
//   example_03_lm_lr_transfer              # base 64 dense, target 128 at densities 1..1/64
//   example_03_lm_lr_transfer --full       # target 256, every density 1..1/64, 2 seeds
//   example_03_lm_lr_transfer --smoke      # seconds: checks the pipeline end to end
//
// Resumable: finished runs are kept in <out>/transfer.csv and skipped when restarted.

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

#include "../common/arguments.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

using E = Kokkos::DefaultExecutionSpace;
using Pattern = smup::Unstructured;

struct Settings {
  std::int64_t base_width = 64;
  std::int64_t width = 128;
  int blocks = 2;
  std::int64_t head_dim = 32;
  std::int64_t context = 64;
  std::int64_t batch = 16;
  std::vector<std::string> densities{"1", "1/4", "1/16", "1/64"};
  int lr_first = -11, lr_last = -5; // powers of two
  int seeds = 1;
  int steps = 150;
  std::int64_t eval_batches = 8; ///< of the fixed validation windows, batch x context each
  std::filesystem::path out = "lm-results";
  std::filesystem::path data{}; // empty: Debian's fortunes
};

constexpr char const* usage =
    "usage: example_03_lm_lr_transfer [--full | --smoke] [--out DIR] [--data PATH] [--steps N] "
    "[--seeds N]\n"
    "  LR transfer across density of a byte-level GPT (SP, muP, SmuP) on the fortunes (or\n"
    "  PATH, a text file or folder); writes transfer.csv, transfer.svg and transfer.md into\n"
    "  DIR (default lm-results). Finished runs are kept and skipped on restart.\n";

Settings parse(int argc, char** argv) {
  Settings s;
  smup_example::Arguments const args(argc, argv);
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--full") {
      s.width = 256;
      s.densities = {"1", "1/2", "1/4", "1/8", "1/16", "1/32", "1/64"};
      s.seeds = 2;
      s.steps = 300;
    } else if (args[i] == "--smoke") {
      s.base_width = 16;
      s.width = 32;
      s.blocks = 1;
      s.head_dim = 8;
      s.context = 16;
      s.batch = 4;
      s.densities = {"1", "1/4"};
      s.lr_first = -8;
      s.lr_last = -6;
      s.steps = 5;
      s.eval_batches = 2;
    } else if (args[i] == "--out") {
      s.out = args.text(i);
    } else if (args[i] == "--data") {
      s.data = args.text(i);
    } else if (args[i] == "--steps") {
      s.steps = args.positive(i);
    } else if (args[i] == "--seeds") {
      s.seeds = args.positive(i);
    } else if (args[i] == "--help" || args[i] == "-h") {
      std::cout << usage;
      std::exit(0);
    } else {
      throw std::invalid_argument("unknown option '" + args[i] + "'");
    }
  }
  return s;
}

struct Data {
  smup::io::TextCorpus corpus;
  smup::io::TextBatches<E> validation;
};

/// Trains one model on the fixed token budget and evaluates it on the validation windows.
template <class P> smup::RunResult train_one(Settings const& s, Data& data, std::int64_t width,
                                             smup::ratio density, double lr, std::uint64_t seed) {
  smup::HyperParams const hp{.sigma = 0.02, .eta = lr};
  smup::GPT<P, Pattern> model({.context = s.context,
                               .width = width,
                               .head_dim = s.head_dim,
                               .blocks = s.blocks,
                               .density = density},
                              {.width = s.base_width}, hp, seed);
  smup::AdamW<P> adam(model, hp, {.beta1 = 0.9, .beta2 = 0.95});
  smup::io::TextBatches<E> train(data.corpus, smup::io::TextPart::train, s.batch, s.context, seed);
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

smup::RunResult train_run(Settings const& s, Data& data, smup::RunSpec const& run) {
  auto const& p = run.at("parameterization");
  auto const width = std::stoll(run.at("width"));
  auto const density = smup::parse_ratio(run.at("density"));
  if (p == smup::SP::name) return train_one<smup::SP>(s, data, width, density, run.lr, run.seed);
  if (p == smup::MuP::name) return train_one<smup::MuP>(s, data, width, density, run.lr, run.seed);
  return train_one<smup::SMuP>(s, data, width, density, run.lr, run.seed);
}

} // namespace

int main(int argc, char* argv[]) {
  Kokkos::ScopeGuard kokkos(argc, argv);
  Settings s;
  try {
    s = parse(argc, argv);
  } catch (std::exception const& e) {
    std::cerr << "error: " << e.what() << "\n" << usage;
    return 2;
  }
  auto const start = std::chrono::steady_clock::now();
  try {
    std::filesystem::create_directories(s.out);
    auto corpus = s.data.empty() ? smup::io::load_fortunes() : smup::io::load_text(s.data);
    smup::io::TextBatches<E> validation(corpus, smup::io::TextPart::validation, s.batch, s.context);
    Data data{std::move(corpus), std::move(validation)};
    std::cerr << "corpus: " << data.corpus.size() << " bytes from " << data.corpus.files.size()
              << " file(s)\n";

    // The base model (dense, base width) tunes the LR; the target reuses it at every density.
    std::vector<std::uint64_t> seeds;
    for (int i = 0; i < s.seeds; ++i) seeds.push_back(static_cast<std::uint64_t>(i));
    std::vector<std::string> const ps{std::string(smup::SP::name), std::string(smup::MuP::name),
                                      std::string(smup::SMuP::name)};
    auto runs = smup::sweep_grid(
        {{"parameterization", ps}, {"width", {std::to_string(s.base_width)}}, {"density", {"1"}}},
        smup::powers_of_two(s.lr_first, s.lr_last), seeds);
    auto target = smup::sweep_grid(
        {{"parameterization", ps}, {"width", {std::to_string(s.width)}}, {"density", s.densities}},
        smup::powers_of_two(s.lr_first, s.lr_last), seeds);
    runs.insert(runs.end(), target.begin(), target.end());
    auto const csv = s.out / "transfer.csv";
    auto const sweep = smup::run_sweep(
        runs, {.csv = csv}, [&](smup::RunSpec const& run) { return train_run(s, data, run); });
    std::cerr << "sweep: " << sweep.executed << " runs trained, " << sweep.skipped
              << " kept from an earlier run, " << sweep.diverged << " diverged\n";

    auto const report = smup::transfer_report(
        smup::read_sweep_results(csv),
        {.parameterizations = ps,
         .base_width = std::to_string(s.base_width),
         .target_width = std::to_string(s.width),
         .lr_first = s.lr_first,
         .lr_last = s.lr_last,
         .title = "GPT LR transfer on fortunes (width " + std::to_string(s.width) + ", " +
                  std::to_string(s.steps) + " steps of " + std::to_string(s.batch * s.context) +
                  " tokens)"});
    report.figure.write(s.out / "transfer.svg");
    auto const sparsest = s.densities.back();
    double const minutes =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / 60;
    std::ostringstream summary;
    summary << "# GPT LR transfer across density\n\nBase: width " << s.base_width
            << ", dense. Target: width " << s.width << ", " << s.blocks << " blocks, head size "
            << s.head_dim << ", context " << s.context << ", " << s.steps << " AdamW steps of "
            << s.batch << " sequences, " << s.seeds << " seed(s); validation loss (nats per "
            << "byte) on " << s.eval_batches << " fixed batches.\n\n"
            << report.optima_table << "\nAt density " << sparsest << " (width " << s.width
            << "), each parameterization with the LR tuned on its dense base model:\n\n"
            << report.base_tuned_table(sparsest)
            << "\nWall time of this invocation: " << smup::TransferReport::fixed(minutes, 1)
            << " min.\n";
    {
      std::ofstream out(s.out / "transfer.md");
      out << summary.str();
    }
    std::cout << summary.str();
  } catch (std::exception const& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
