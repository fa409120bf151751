#pragma once
// The examples' --shard option, which splits one sweep over many processes: i/n, or auto
// for the rank and size a launcher gives this process. Read without printing, so that the
// parsers stay quiet; the program says what --shard auto found once it runs.
#include <cstddef>
#include <stdexcept>
#include <string>

#include <smup/core/error.hpp>
#include <smup/diagnostics/sweep_shard.hpp>

#include "arguments.hpp"

namespace smup_example {

struct ShardOption {
  smup::SweepShard shard{};   ///< 1 of 1 unless --shard says otherwise
  bool given = false;         ///< for the examples that run no sweep, to refuse it
  bool from_launcher = false; ///< --shard auto

  /// Reads args[i] if it is --shard i/n (1-based) or --shard auto (the rank and size an
  /// mpirun, mpiexec or srun launch gives this process); returns whether it was.
  bool read(Arguments const& args, std::size_t& i) {
    if (args[i] != "--shard") return false;
    std::string const value = args.text(i);
    try {
      shard = value == "auto" ? smup::shard_from_environment() : smup::parse_shard(value);
    } catch (smup::error const& e) {
      throw std::invalid_argument("--shard " + value + ": " + e.what());
    }
    given = true;
    from_launcher = value == "auto";
    return true;
  }

  /// For --shard auto, what the launcher made of this process, as a line for the log;
  /// empty otherwise.
  [[nodiscard]] std::string launcher_note() const {
    if (!from_launcher) return {};
    return "--shard auto: " +
           (shard.count > 1 ? "this process is " + shard.describe()
                            : std::string("no launcher started this process as one of several; "
                                          "it runs the whole sweep")) +
           "\n";
  }
};

} // namespace smup_example
