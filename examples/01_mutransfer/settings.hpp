#pragma once
// example_01_mutransfer's command line: the sweep's size, where results and data live,
// and which shard of the sweep this process runs.
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include <smup/io/fashion_mnist.hpp>

#include "../common/arguments.hpp"
#include "../common/shard_option.hpp"

namespace smup_example::mutransfer {

struct Settings {
  std::int64_t base_width = 128;
  std::int64_t width = 256;
  int hidden_layers = 4;
  std::vector<std::string> densities{"1", "1/2", "1/4", "1/8", "1/16", "1/32"};
  int lr_first = -12, lr_last = -6; // powers of two
  int seeds = 2;
  int steps = 600;
  std::int64_t batch = 128;
  double sigma = 0.05;
  std::int64_t train_images = 0; // 0: all 60k
  std::vector<std::int64_t> coord_widths{128, 256, 512, 1024};
  std::vector<std::string> coord_densities{"1", "1/4", "1/16"};
  int coord_steps = 5;
  std::filesystem::path out = "demo-results";
  std::filesystem::path data = smup::io::default_fashion_mnist_dir;
  ShardOption sharding{};
};

inline constexpr char const* usage =
    "usage: example_01_mutransfer [--full | --smoke] [--out DIR] [--data DIR] [--steps N] [--seeds "
    "N]\n"
    "                             [--shard i/n | --shard auto]\n"
    "  Trains SP, muP and SmuP MLPs on Fashion-MNIST over an LR grid, densities and seeds;\n"
    "  writes transfer.csv, coord_check.csv, SVG figures and summary.md into DIR\n"
    "  (default demo-results). Finished runs are kept and skipped on restart.\n"
    "  --shard i/n (1 <= i <= n) trains every n-th run of the sweep, into\n"
    "  DIR/transfer.shard-i-of-n.csv; --shard auto takes i and n from mpirun, mpiexec or\n"
    "  srun. The last shard to finish writes the report over all shards' files (rerun any\n"
    "  shard's command to write it).\n";

inline Parsed<Settings> parse(Arguments const& args) {
  Parsed<Settings> parsed;
  Settings& s = parsed.settings;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (s.sharding.read(args, i)) continue;
    if (asks_for_help(args[i])) return {.help = true};
    if (args[i] == "--full") {
      s.width = 1024;
      s.seeds = 3;
      s.steps = 1200;
      s.densities.push_back("1/64");
      s.coord_widths.push_back(2048);
    } else if (args[i] == "--smoke") {
      s.base_width = 32;
      s.width = 64;
      s.hidden_layers = 2;
      s.densities = {"1", "1/4"};
      s.lr_first = -9;
      s.lr_last = -7;
      s.seeds = 1;
      s.steps = 30;
      s.train_images = 4096;
      s.coord_widths = {32, 64};
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
  return parsed;
}

} // namespace smup_example::mutransfer
