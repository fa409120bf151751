#pragma once
// example_04_lm_sparse_loss's command line: the model, densities, tuning grids and seeds of
// the study, checkpoints, shards, and where results and text live.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "../common/arguments.hpp"
#include "../common/lm_options.hpp"

namespace smup_example::lm_sparse_loss {

struct Settings {
  LmSetup lm{};
  std::int64_t width = 128;
  std::vector<std::string> densities{"1", "1/2", "1/4", "1/8", "1/16", "1/32", "1/64"};
  std::vector<int> eta_exponents{-11, -10, -9, -8, -7, -6, -5};
  std::vector<int> multiplier_exponents{-2, -1, 0, 1, 2}; ///< alpha_in, alpha_out, lr_mult: 2^e
  int seeds = 2;  ///< of each target run; the table gives their mean and range
  LmOptions io{}; // --out, --data, --tied-readout, --shard, checkpoints
};

inline constexpr char const* usage =
    "usage: example_04_lm_sparse_loss [--full | --smoke] [--out DIR] [--data PATH] [--steps N]\n"
    "                                 [--seeds N] [--tied-readout]\n"
    "                                 [--checkpoint-every N] [--stop-after-steps N]\n"
    "                                 [--shard i/n | --shard auto]\n"
    "  Tunes eta, alpha_out, alpha_in and the non-hidden LR multiplier of a dense base GPT\n"
    "  for SP, muP and SmuP, then trains the target width at every density with them, N\n"
    "  seeds each (2 unless given); writes sparse_loss.csv, sparse_loss.svg and\n"
    "  sparse_loss.md into DIR (lm-results, or lm-results/tied-readout with the readout\n"
    "  tied to the token embedding). With --checkpoint-every N a run saves its state every\n"
    "  N steps to DIR/checkpoints and an interrupted run resumes there; --stop-after-steps N\n"
    "  exits (status 3) after N steps, checkpointed. Finished runs are kept on restart.\n"
    "  --shard i/n (1 <= i <= n; auto: i and n from mpirun, mpiexec or srun) splits the\n"
    "  study, writing DIR/sparse_loss.shard-i-of-n.csv, in two phases: shard k % n + 1\n"
    "  tunes the k-th parameterization (SP, muP, SmuP: k = 0, 1, 2); then, once all three\n"
    "  are tuned, shard i trains every n-th target run. A shard that finds another's tuning\n"
    "  unfinished stops after its own: rerun it once the others finish. The last shard to\n"
    "  finish the target runs writes the report (rerun any shard's command to write it).\n";

inline Parsed<Settings> parse(Arguments const& args) {
  Parsed<Settings> parsed;
  Settings& s = parsed.settings;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (s.io.read(args, i)) continue;
    if (asks_for_help(args[i])) return {.help = true};
    if (args[i] == "--full") {
      s.width = 256;
      s.lm.steps = 300;
      s.seeds = 3;
    } else if (args[i] == "--smoke") {
      s.lm = {.base_width = 16,
              .blocks = 1,
              .head_dim = 8,
              .context = 16,
              .batch = 4,
              .steps = 4,
              .eval_batches = 2};
      s.width = 32;
      s.densities = {"1", "1/4"};
      s.eta_exponents = {-7, -6};
      s.multiplier_exponents = {0, 1};
      s.seeds = 1;
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

} // namespace smup_example::lm_sparse_loss
