#pragma once
// The command-line options the language-model examples share: where results go, which
// text to train on, whether the readout is tied to the token embedding, checkpoints, and
// which shard of a sweep this process runs; and the model and run sizes they set.
#include <cstddef>
#include <cstdint>
#include <filesystem>

#include <smup/io/text_corpus.hpp>

#include "arguments.hpp"
#include "shard_option.hpp"

namespace smup_example {

/// "untied" or "tied to the token embedding", for the reports.
inline char const* readout_kind(bool tied_readout) {
  return tied_readout ? "tied to the token embedding" : "untied";
}

struct LmOptions {
  std::filesystem::path out{};  ///< empty until finish(): see there
  std::filesystem::path data{}; ///< empty: Debian's fortunes
  bool tied_readout = false;
  int checkpoint_every = 0; ///< steps between a run's checkpoints (DIR/checkpoints); 0: none
  int stop_after_steps = 0; ///< training steps before exiting with status 3; 0: run to the end
  ShardOption sharding{};   ///< --shard i/n or auto: this process's share of a sweep

  /// Reads args[i] if it is --out, --data, --tied-readout, --checkpoint-every,
  /// --stop-after-steps or --shard; returns whether it was one of them.
  bool read(Arguments const& args, std::size_t& i) {
    if (sharding.read(args, i)) return true;
    if (args[i] == "--checkpoint-every") {
      checkpoint_every = args.positive(i);
    } else if (args[i] == "--stop-after-steps") {
      stop_after_steps = args.positive(i);
    } else if (args[i] == "--out") {
      out = args.text(i);
    } else if (args[i] == "--data") {
      data = args.text(i);
    } else if (args[i] == "--tied-readout") {
      tied_readout = true;
    } else {
      return false;
    }
    return true;
  }

  /// After parsing: without --out, results go to lm-results, and tied-readout runs to
  /// lm-results/tied-readout, so a resumed sweep never mixes the two kinds.
  void finish() {
    if (out.empty()) out = tied_readout ? "lm-results/tied-readout" : "lm-results";
    // A stop needs a checkpoint to resume from.
    if (stop_after_steps > 0 && checkpoint_every == 0) checkpoint_every = stop_after_steps;
  }

  [[nodiscard]] smup::io::TextCorpus corpus() const {
    return data.empty() ? smup::io::load_fortunes() : smup::io::load_text(data);
  }
};

/// The size of the GPT and of its training run.
struct LmSetup {
  std::int64_t base_width = 64;
  int blocks = 2;
  std::int64_t head_dim = 32;
  std::int64_t context = 64;
  std::int64_t batch = 16; ///< sequences per step
  int steps = 150;
  std::int64_t eval_batches = 8; ///< of the fixed validation windows
  bool tied_readout = false;     ///< the readout reuses the token embedding's table
  int checkpoint_every = 0;      ///< steps between checkpoints; 0: none
  int stop_after_steps = 0;      ///< steps in this process before stopping early; 0: never
  std::filesystem::path checkpoint_dir{};
};

/// The tiny GPT of the examples' --smoke runs (seconds): one block, head size 8, context
/// 16, 4 sequences a step, 2 validation batches.
inline void use_smoke_lm(LmSetup& lm) {
  lm.blocks = 1;
  lm.head_dim = 8;
  lm.context = 16;
  lm.batch = 4;
  lm.eval_batches = 2;
}

/// Copies the checkpoint options into the setup; checkpoints go to out/checkpoints.
inline void apply_checkpoint_options(LmOptions const& io, LmSetup& lm) {
  lm.checkpoint_every = io.checkpoint_every;
  lm.stop_after_steps = io.stop_after_steps;
  lm.checkpoint_dir = io.out / "checkpoints";
}

} // namespace smup_example
