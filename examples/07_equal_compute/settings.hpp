#pragma once
// example_07_equal_compute's command line: which models, their sizes and step counts, the
// LR grids of the dense base models, seeds, and where results and data live.
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>

#include <smup/io/fashion_mnist.hpp>

#include "../common/arguments.hpp"
#include "../common/lm_options.hpp"

namespace smup_example::equal_compute {

struct Settings {
  std::string model = "both"; ///< gpt, mlp or both
  /// The GPT: base width 64 (LmSetup's), compared at widths d, 2d and 4d. The default step
  /// counts keep the whole default run (both models, tuning and comparison) near 15 min on
  /// 2 cores: the GPT's 4d models take about 175 ms a step on one core.
  LmSetup lm{.steps = 400};
  double gpt_sigma = 0.02;
  int gpt_lr_first = -10, gpt_lr_last = -5; // powers of two
  /// The Fashion-MNIST MLP: base width 128, compared at widths d, 2d and 4d.
  std::int64_t mlp_base_width = 128;
  int mlp_hidden_layers = 4;
  std::int64_t mlp_batch = 128;
  int mlp_steps = 600;
  double mlp_sigma = 0.05;
  std::int64_t train_images = 0; // 0: all 60k
  int mlp_lr_first = -12, mlp_lr_last = -6;
  int seeds = 2;
  int points = 12; ///< evenly spaced evaluations of each comparison run (the last at the end)
  std::string preset = "default"; ///< default, full or smoke, for the report
  std::filesystem::path out = "sparse-results";
  std::filesystem::path data = smup::io::default_fashion_mnist_dir;
  std::filesystem::path text{}; ///< empty: Debian's fortunes

  [[nodiscard]] bool runs_gpt() const { return model == "gpt" || model == "both"; }
  [[nodiscard]] bool runs_mlp() const { return model == "mlp" || model == "both"; }
};

inline constexpr char const* usage =
    "usage: example_07_equal_compute [--full | --smoke] [--model gpt|mlp|both] [--out DIR]\n"
    "                                [--data DIR] [--text PATH] [--steps N] [--seeds N]\n"
    "  At equal hidden-matrix FLOPs and parameters, with the learning rate tuned once on a\n"
    "  dense base model of width d and transferred by SmuP, does a wider sparse model beat\n"
    "  the dense one? Compares width d dense with 2d at density 1/4 and 4d at density 1/16\n"
    "  (unstructured, N:M and block sparsity) for a byte-level GPT on the fortunes (or PATH,\n"
    "  a text file or folder; d = 64) and a Fashion-MNIST MLP (from DIR; d = 128). Writes\n"
    "  lr_tuning.csv, curves.csv (validation loss against tokens or images, counted training\n"
    "  FLOPs and wall seconds of training), equal_compute_<model>.svg and summary.md into\n"
    "  --out (default sparse-results). Finished runs are kept and skipped on restart.\n"
    "  --steps N sets both models' step counts; --full: GPT d = 128, MLP d = 256, longer\n"
    "  runs, 3 seeds; --smoke: tiny models, a few steps, seconds.\n";

inline Parsed<Settings> parse(Arguments const& args) {
  Parsed<Settings> parsed;
  Settings& s = parsed.settings;
  int steps = 0, seeds = 0;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (asks_for_help(args[i])) return {.help = true};
    if (args[i] == "--full" || args[i] == "--smoke") {
      auto const preset = args[i].substr(2);
      if (s.preset != "default" && s.preset != preset)
        throw std::invalid_argument("--full and --smoke exclude each other");
      s.preset = preset;
    } else if (args[i] == "--model") {
      s.model = args.text(i);
      if (!s.runs_gpt() && !s.runs_mlp())
        throw std::invalid_argument("--model needs gpt, mlp or both (got '" + s.model + "')");
    } else if (args[i] == "--out") {
      s.out = args.text(i);
    } else if (args[i] == "--data") {
      s.data = args.text(i);
    } else if (args[i] == "--text") {
      s.text = args.text(i);
    } else if (args[i] == "--steps") {
      steps = args.positive(i);
    } else if (args[i] == "--seeds") {
      seeds = args.positive(i);
    } else {
      throw std::invalid_argument("unknown option '" + args[i] + "'");
    }
  }
  if (s.preset == "full") {
    // Widths 128 -> 512 and 256 -> 1024: every N:M group and 4 x 4 / 8 x 8 block fits.
    s.lm.base_width = 128;
    s.lm.steps = 1000;
    s.mlp_base_width = 256;
    s.mlp_steps = 2000;
    s.seeds = 3;
  } else if (s.preset == "smoke") {
    // Width 64 (GPT) and 128 (MLP) at density 1/16 still keep one 4 x 4 or 8 x 8 block
    // per block row and whole groups of 16.
    s.lm.base_width = 16;
    s.lm.head_dim = 8;
    s.lm.context = 16;
    s.lm.batch = 4;
    s.lm.steps = 5;
    s.lm.eval_batches = 2;
    s.gpt_lr_first = -9;
    s.gpt_lr_last = -8;
    s.mlp_base_width = 32;
    s.mlp_hidden_layers = 2;
    s.mlp_steps = 20;
    s.train_images = 4096;
    s.mlp_lr_first = -9;
    s.mlp_lr_last = -8;
    s.seeds = 1;
    s.points = 4;
  }
  if (steps > 0) s.lm.steps = s.mlp_steps = steps;
  if (seeds > 0) s.seeds = seeds;
  return parsed;
}

} // namespace smup_example::equal_compute
