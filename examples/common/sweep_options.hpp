#pragma once
// What a process of a sharded sweep (--shard, see shard_option.hpp) says when it has done
// its share but the sweep as a whole is not finished yet.
//
// The report is written by the process that finds the sweep complete after its share:
// the last shard to finish. Rerunning any shard's command once all have finished trains
// nothing more and writes it. Two shards finishing at the same moment may both write it:
// the same report, each file replaced whole.
#include <cstddef>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <smup/diagnostics/sweep.hpp>
#include <smup/diagnostics/sweep_shard.hpp>

namespace smup_example {

/// After this process's share of a sweep: whether every run of `runs` is in the files of
/// the sweep at `csv`, so that this process writes the report (`report`, e.g.
/// "transfer.svg, transfer.md"). If not, prints how far the sweep is and who reports.
inline bool sweep_complete(std::vector<smup::RunSpec> const& runs, std::filesystem::path const& csv,
                           smup::SweepShard const& shard, std::string const& report,
                           std::string const& what = "runs of the sweep") {
  auto const progress = smup::sweep_progress(runs, csv);
  if (!progress.complete()) {
    std::cout << shard.describe() << " done; " << progress.done << " of " << progress.total << " "
              << what << " are in. The shard that finishes last writes the report (" << report
              << "); to write it yourself once all shards have finished, rerun any shard's "
              << "command: it trains nothing more.\n";
    return false;
  }
  if (progress.files.size() > 1) {
    std::cerr << "sweep complete: " << progress.total << " " << what << " in "
              << progress.files.size() << " files (";
    for (std::size_t f = 0; f < progress.files.size(); ++f)
      std::cerr << (f ? ", " : "") << progress.files[f].filename().string();
    std::cerr << "); writing the report\n";
  }
  return true;
}

} // namespace smup_example
