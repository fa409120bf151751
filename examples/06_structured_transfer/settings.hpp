#pragma once
// example_06_structured_transfer's command line: the sweep's size, where results and data
// live, and which shard of the sweep this process runs.
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include <smup/io/fashion_mnist.hpp>

#include "../common/arguments.hpp"
#include "../common/lm_options.hpp"
#include "../common/shard_option.hpp"

namespace smup_example::structured_transfer {

/// The model of the sweep: the Fashion-MNIST MLP of `make demo` or the byte-level GPT of
/// `make lm-demo`.
enum class Model { mlp, gpt };

struct Settings {
  Model model = Model::mlp;
  std::int64_t base_width = 128;
  std::int64_t width = 256;
  int hidden_layers = 4;
  /// Sparsity structures of the target's hidden matrices: unstructured (Bernoulli per
  /// weight), nm (1 kept in every M = 1/density consecutive fan-in entries), block8x8 (whole
  /// 8 x 8 blocks). The dense runs (base model, target at density 1) are shared by all.
  std::vector<std::string> patterns{"unstructured", "nm", "block8x8"};
  /// Density 1 first; the others are 1/M with an N:M type for each (1/2 ... 1/16).
  std::vector<std::string> densities{"1", "1/2", "1/4", "1/8", "1/16"};
  int lr_first = -12, lr_last = -6; // powers of two
  int seeds = 2;
  int steps = 600;
  std::int64_t batch = 128;
  double sigma = 0.05;
  std::int64_t train_images = 0; // 0: all 60k
  std::vector<std::string> coord_densities{"1", "1/4", "1/16"};
  int coord_steps = 5;
  std::filesystem::path out = "structured-results";
  /// MLP: the Fashion-MNIST folder. GPT: a text file or folder; empty: Debian's fortunes.
  std::filesystem::path data = smup::io::default_fashion_mnist_dir;
  /// GPT only: its shape and run (base_width, width and the HPs above are the sweep's).
  LmSetup lm{};
  ShardOption sharding{};
};

/// The GPT sweep's defaults: example 03's model and budget (base 64 -> 128, 150 AdamW steps
/// of 16 x 64 tokens); 4 x 4 blocks leave 2 blocks per block row of a width-128 matrix at
/// 1/16; an LR grid around SmuP's optimum there (2^-9), whose upper edge bounds SP's and
/// muP's sparse optima.
inline void use_gpt(Settings& s) {
  s.model = Model::gpt;
  s.base_width = 64;
  s.width = 128;
  s.patterns = {"unstructured", "nm", "block4x4"};
  s.densities = {"1", "1/4", "1/16"};
  s.lr_first = -11;
  s.lr_last = -7;
  s.steps = 150;
  s.sigma = 0.02;
  s.out = "structured-results/gpt";
  s.data.clear();
}

inline constexpr char const* usage =
    "usage: example_06_structured_transfer [--model mlp|gpt] [--full | --smoke] [--out DIR]\n"
    "                                      [--data PATH] [--steps N] [--seeds N]\n"
    "                                      [--shard i/n | --shard auto]\n"
    "  Does a learning rate tuned on a small dense MLP transfer to a wider one whose hidden\n"
    "  matrices are sparse with structure? Trains SP, muP and SmuP MLPs on Fashion-MNIST over\n"
    "  an LR grid, densities 1 ... 1/16 and seeds, for unstructured, N:M (1:2 ... 1:16) and\n"
    "  8x8-block sparsity; writes transfer.csv, coord_check.csv, one transfer_<pattern>.svg\n"
    "  per pattern and summary.md (the optimum's drift over density) into DIR (default\n"
    "  structured-results). Finished runs are kept and skipped on restart.\n"
    "  --model gpt: the byte-level GPT of example 03 instead (base width 64 -> 128, densities\n"
    "  1, 1/4, 1/16, 4x4 blocks) on the fortunes or PATH (a text file or folder), into\n"
    "  DIR (default structured-results/gpt); --full: width 256, densities 1 ... 1/16.\n"
    "  --shard i/n (1 <= i <= n) trains every n-th run of the sweep, into\n"
    "  DIR/transfer.shard-i-of-n.csv; --shard auto takes i and n from mpirun, mpiexec or\n"
    "  srun. The last shard to finish writes the report over all shards' files (rerun any\n"
    "  shard's command to write it).\n";

inline Parsed<Settings> parse(Arguments const& args) {
  Parsed<Settings> parsed;
  Settings& s = parsed.settings;
  // The model first: --full, --smoke and the defaults depend on it.
  for (std::size_t i = 0; i < args.size(); ++i)
    if (args[i] == "--model") {
      auto const name = args.text(i);
      if (name == "gpt") {
        use_gpt(s);
      } else if (name != "mlp") {
        throw std::invalid_argument("--model takes mlp or gpt, not '" + name + "'");
      }
    }
  bool const gpt = s.model == Model::gpt;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (s.sharding.read(args, i)) continue;
    if (asks_for_help(args[i])) return {.help = true};
    if (args[i] == "--model") {
      ++i; // read above
    } else if (args[i] == "--full" && gpt) {
      s.width = 256;
      s.densities = {"1", "1/2", "1/4", "1/8", "1/16"};
      s.steps = 300;
    } else if (args[i] == "--smoke" && gpt) {
      // Width 32: whole groups of 4 and 4 x 4 blocks in every hidden matrix.
      s.base_width = 16;
      s.width = 32;
      use_smoke_lm(s.lm);
      s.densities = {"1", "1/4"};
      s.lr_first = -8;
      s.lr_last = -6;
      s.seeds = 1;
      s.steps = 5;
      s.coord_densities = {"1", "1/4"};
      s.coord_steps = 2;
    } else if (args[i] == "--full") {
      // Same densities: each needs its own N:M type, and 1/16 of a width-1024 row still
      // leaves 8 blocks of 8 per block row.
      s.width = 1024;
      s.seeds = 3;
      s.steps = 1200;
    } else if (args[i] == "--smoke") {
      // Width 64 holds whole groups of 4 and whole 8 x 8 blocks.
      s.base_width = 32;
      s.width = 64;
      s.hidden_layers = 2;
      s.densities = {"1", "1/4"};
      s.lr_first = -9;
      s.lr_last = -7;
      s.seeds = 1;
      s.steps = 30;
      s.train_images = 4096;
      s.coord_densities = {"1", "1/4"};
      s.coord_steps = 2;
    } else if (args[i] == "--out") {
      s.out = args.text(i);
    } else if (args[i] == "--data") {
      s.data = args.text(i);
    } else if (args[i] == "--steps") {
      s.steps = args.positive(i);
    } else if (args[i] == "--seeds") {
      s.seeds = args.positive(i);
    } else {
      throw std::invalid_argument("unknown option '" + args[i] + "'");
    }
  }
  s.lm.base_width = s.base_width;
  s.lm.steps = s.steps;
  return parsed;
}

} // namespace smup_example::structured_transfer
