#pragma once
// example_03_lm_lr_transfer's command line: the model, densities, LR grid and seeds of the
// sweep, checkpoints, shards, and where results and text live.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "../common/arguments.hpp"
#include "../common/lm_options.hpp"

namespace smup_example::lm_lr_transfer {

struct Settings {
  LmSetup lm{};
  std::int64_t width = 128;
  std::vector<std::string> densities{"1", "1/4", "1/16", "1/64"};
  int lr_first = -11, lr_last = -5; // powers of two
  int seeds = 1;
  LmOptions io{}; // --out, --data, --tied-readout, --shard, checkpoints
};

inline constexpr char const* usage =
    "usage: example_03_lm_lr_transfer [--full | --smoke] [--out DIR] [--data PATH] [--steps N] "
    "[--seeds N] [--tied-readout]\n"
    "                                 [--checkpoint-every N] [--stop-after-steps N]\n"
    "                                 [--shard i/n | --shard auto]\n"
    "  LR transfer across density of a byte-level GPT (SP, muP, SmuP) on the fortunes (or\n"
    "  PATH, a text file or folder); writes transfer.csv, transfer.svg and transfer.md into\n"
    "  DIR (default lm-results, lm-results/tied-readout with the readout tied to the token\n"
    "  embedding). Finished runs are kept and skipped on restart; with --checkpoint-every N\n"
    "  a run also saves its state every N steps to DIR/checkpoints and an interrupted run\n"
    "  resumes there. --stop-after-steps N exits (status 3) after N steps, checkpointed.\n"
    "  --shard i/n (1 <= i <= n) trains every n-th run of the sweep, into\n"
    "  DIR/transfer.shard-i-of-n.csv; --shard auto takes i and n from mpirun, mpiexec or\n"
    "  srun. The last shard to finish writes the report over all shards' files (rerun any\n"
    "  shard's command to write it).\n";

inline Parsed<Settings> parse(Arguments const& args) {
  Parsed<Settings> parsed;
  Settings& s = parsed.settings;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (s.io.read(args, i)) continue;
    if (asks_for_help(args[i])) return {.help = true};
    if (args[i] == "--full") {
      s.width = 256;
      s.densities = {"1", "1/2", "1/4", "1/8", "1/16", "1/32", "1/64"};
      s.seeds = 2;
      s.lm.steps = 300;
    } else if (args[i] == "--smoke") {
      s.lm.base_width = 16;
      s.width = 32;
      use_smoke_lm(s.lm);
      s.densities = {"1", "1/4"};
      s.lr_first = -8;
      s.lr_last = -6;
      s.lm.steps = 5;
    } else if (args[i] == "--steps") {
      s.lm.steps = args.positive(i);
    } else if (args[i] == "--seeds") {
      s.seeds = args.positive(i);
    } else {
      throw std::invalid_argument("unknown option '" + args[i] + "'");
    }
  }
  s.io.finish();
  s.lm.tied_readout = s.io.tied_readout;
  apply_checkpoint_options(s.io, s.lm);
  return parsed;
}

} // namespace smup_example::lm_lr_transfer
