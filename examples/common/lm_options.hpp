#pragma once
// The command-line options the language-model examples share: where results go, which
// text to train on, whether the readout is tied to the token embedding, checkpoints, and
// which shard of a sweep this process runs.
#include <cstddef>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include <smup/diagnostics/sweep_shard.hpp>
#include <smup/io/text.hpp>

#include "arguments.hpp"
#include "sweep_options.hpp"

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
  smup::SweepShard shard{}; ///< --shard i/n or auto: this process's share of a sweep
  bool shard_given = false; ///< for the examples that run no sweep, to refuse it

  /// Reads args[i] if it is --out, --data, --tied-readout, --checkpoint-every,
  /// --stop-after-steps, --shard or --help (which prints `usage` and exits); returns
  /// whether it was one of them.
  bool read(Arguments const& args, std::size_t& i, char const* usage) {
    if (read_shard(args, i, shard)) {
      shard_given = true;
    } else if (args[i] == "--checkpoint-every") {
      checkpoint_every = args.positive(i);
    } else if (args[i] == "--stop-after-steps") {
      stop_after_steps = args.positive(i);
    } else if (args[i] == "--out") {
      out = args.text(i);
    } else if (args[i] == "--data") {
      data = args.text(i);
    } else if (args[i] == "--tied-readout") {
      tied_readout = true;
    } else if (args[i] == "--help" || args[i] == "-h") {
      std::cout << usage;
      std::exit(0);
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

} // namespace smup_example
