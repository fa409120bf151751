#pragma once
// example_02_lm_coord_check's command line: the model, densities, steps and seeds of the
// coordinate check, and where results and text live.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "../common/arguments.hpp"
#include "../common/lm_options.hpp"

namespace smup_example::lm_coord_check {

struct Settings {
  std::int64_t base_width = 64;
  std::int64_t width = 256;
  int blocks = 2;
  std::int64_t head_dim = 32;
  std::int64_t context = 64;
  std::int64_t batch = 16;
  std::vector<std::string> densities{"1", "1/2", "1/4", "1/8", "1/16"};
  int steps = 10;
  int seeds = 3;
  double lr = 0x1p-8;
  LmOptions io{}; // --out, --data, --tied-readout
};

inline constexpr char const* usage =
    "usage: example_02_lm_coord_check [--full | --smoke] [--out DIR] [--data PATH] [--steps N] "
    "[--seeds N] [--tied-readout]\n"
    "  Coordinate check across density of a byte-level GPT (SP, muP, SmuP) on the fortunes\n"
    "  (or PATH, a text file or folder); writes coord_check.csv, coord_check_density.svg\n"
    "  and coord_check.md into DIR (default lm-results, lm-results/tied-readout with the\n"
    "  readout tied to the token embedding).\n";

inline Parsed<Settings> parse(Arguments const& args) {
  Parsed<Settings> parsed;
  Settings& s = parsed.settings;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (s.io.read(args, i)) continue;
    if (asks_for_help(args[i])) return {.help = true};
    if (args[i] == "--full") {
      s.width = 512;
      s.densities = {"1", "1/2", "1/4", "1/8", "1/16", "1/32", "1/64"};
      s.seeds = 5;
    } else if (args[i] == "--smoke") {
      s.base_width = 16;
      s.width = 32;
      s.blocks = 1;
      s.head_dim = 8;
      s.context = 16;
      s.batch = 4;
      s.densities = {"1", "1/4"};
      s.steps = 2;
      s.seeds = 1;
    } else if (args[i] == "--steps") {
      s.steps = args.positive(i);
    } else if (args[i] == "--seeds") {
      s.seeds = args.positive(i);
    } else {
      throw std::invalid_argument("unknown option '" + args[i] + "'");
    }
  }
  if (s.io.checkpoint_every > 0 || s.io.stop_after_steps > 0)
    throw std::invalid_argument("--checkpoint-every and --stop-after-steps: the coordinate "
                                "check trains each model a few steps; there is nothing to resume");
  if (s.io.sharding.given)
    throw std::invalid_argument("--shard: the coordinate check is not a sweep of runs; run it "
                                "in one process");
  s.io.finish();
  return parsed;
}

} // namespace smup_example::lm_coord_check
