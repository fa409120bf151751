#pragma once
// example_05_weight_decay's command line: the widths, densities, weight-decay grid and seeds
// of the sweep, which matrices decay, shards, and where results and data live.
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include <smup/io/fashion_mnist.hpp>

#include "../common/arguments.hpp"
#include "../common/shard_option.hpp"

namespace smup_example::weight_decay {

struct Settings {
  std::int64_t base_width = 128;
  std::vector<std::string> widths{"128", "512"};
  std::vector<std::string> densities{"1", "1/4"};
  int hidden_layers = 2;
  double eta = 0x1p-8;
  int wd_first = -5, wd_last = 7; // powers of two
  int seeds = 4;
  int steps = 400;
  std::int64_t batch = 128;
  std::int64_t train_images = 4096;
  std::filesystem::path out = "wd-results";
  std::filesystem::path data = smup::io::default_fashion_mnist_dir;
  ShardOption sharding{};
  /// Which matrices decay: "hidden" only, where the two policies differ, and/or "all"
  /// (input and readout too, which both policies decay alike).
  std::vector<std::string> decayed{"hidden"};
};

inline constexpr char const* usage =
    "usage: example_05_weight_decay [--smoke] [--out DIR] [--data DIR] [--steps N] [--seeds N]\n"
    "                               [--decay hidden|all|both] [--shard i/n | --shard auto]\n"
    "  Sweeps AdamW's weight decay for the coupled and base_coupled policies on SmuP MLPs\n"
    "  (Fashion-MNIST) at two widths and two densities, 4 seeds, decaying only the hidden\n"
    "  matrices (--decay all: every matrix; both: the two sweeps); writes weight_decay.csv,\n"
    "  weight_decay.svg and summary.md into DIR (default wd-results). Finished runs are\n"
    "  kept and skipped on restart. --shard i/n (1 <= i <= n) trains every n-th run, into\n"
    "  DIR/weight_decay.shard-i-of-n.csv; --shard auto takes i and n from mpirun, mpiexec\n"
    "  or srun. The last shard to finish writes the report over all shards' files (rerun\n"
    "  any shard's command to write it).\n";

inline Parsed<Settings> parse(Arguments const& args) {
  Parsed<Settings> parsed;
  Settings& s = parsed.settings;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (s.sharding.read(args, i)) continue;
    if (asks_for_help(args[i])) return {.help = true};
    if (args[i] == "--smoke") {
      s.base_width = 32;
      s.widths = {"32", "64"};
      s.wd_first = -1;
      s.wd_last = 1;
      s.seeds = 1;
      s.steps = 20;
      s.train_images = 1024;
    } else if (args[i] == "--out") {
      s.out = args.text(i);
    } else if (args[i] == "--data") {
      s.data = args.text(i);
    } else if (args[i] == "--steps") {
      s.steps = args.positive(i);
    } else if (args[i] == "--seeds") {
      s.seeds = args.positive(i);
    } else if (args[i] == "--decay") {
      auto const scope = args.text(i);
      if (scope != "all" && scope != "hidden" && scope != "both")
        throw std::invalid_argument("--decay takes hidden, all or both (got '" + scope + "')");
      s.decayed = scope == "both" ? std::vector<std::string>{"all", "hidden"}
                                  : std::vector<std::string>{scope};
    } else {
      throw std::invalid_argument("unknown option '" + args[i] + "'");
    }
  }
  return parsed;
}

} // namespace smup_example::weight_decay
