#pragma once
/// Splitting a sweep over processes or nodes: which runs each process trains, and which
/// file each one writes, so that no two processes ever append to the same file.
///
///     smup::SweepShard shard = smup::parse_shard("2/4"); // or smup::shard_from_environment()
///     smup::run_sweep(runs, {.csv = "out/transfer.csv", .shard = shard}, train);
///     // trains the runs at positions 1, 5, 9, ... of `runs`, into out/transfer.shard-2-of-4.csv
///
/// Numbering is 1-based, in the struct as in the text "i/n" and the file names: shard i of
/// n has 1 <= i <= n. Shard i trains the runs whose 0-based position p in the grid has
/// p % n == i - 1, so each shard gets an even mix of the grid (small and large models alike).
///
/// Files: shard i of n, for n > 1, appends only to `<stem>.shard-<i>-of-<n><extension>`
/// beside the sweep's CSV (transfer.csv: transfer.shard-2-of-4.csv); shard 1 of 1, the
/// default, writes the CSV itself. The sweep's files are the CSV and every shard file of
/// that name, of any n: run_sweep skips a run found in any of them (so a sweep can go on
/// with another shard count), and read_sweep_results_merged and sweep_progress read them all.
///
/// Launchers: shard_from_environment takes the rank and size that MPI and Slurm launchers
/// give each process, without linking MPI:
///
///     mpirun -np 4 prog --shard auto   # Open MPI: OMPI_COMM_WORLD_RANK, OMPI_COMM_WORLD_SIZE
///     mpiexec -n 4 prog --shard auto   # MPICH, Intel MPI (Hydra): PMI_RANK, PMI_SIZE
///     srun -n 4 prog --shard auto      # Slurm: SLURM_PROCID, SLURM_NTASKS
///
/// The tasks of a Slurm job array are separate jobs of one task each: give them the shard,
///
///     sbatch --array=0-3 --wrap='prog --shard $((SLURM_ARRAY_TASK_ID +
///     1))/$SLURM_ARRAY_TASK_COUNT'

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <smup/core/error.hpp>

namespace smup {

/// Shard `index` of `count`, 1-based: {1, 1} is the whole sweep in one process.
struct SweepShard {
  int index = 1;
  int count = 1;

  /// "shard 2 of 4", for messages.
  [[nodiscard]] std::string describe() const {
    return "shard " + std::to_string(index) + " of " + std::to_string(count);
  }
  friend bool operator==(SweepShard const&, SweepShard const&) = default;
};

namespace detail {

inline void check_shard(SweepShard const& shard, std::string const& entity) {
  if (shard.count < 1 || shard.index < 1 || shard.index > shard.count)
    fail(entity + ": shard " + std::to_string(shard.index) + " of " + std::to_string(shard.count) +
         " does not exist. Shards are numbered 1 to n, n >= 1. Pass an index between 1 and the "
         "count.");
}

/// The whole of `text` as an int; false when it is anything else.
inline bool parse_int(std::string_view text, int& out) {
  auto const r = std::from_chars(text.data(), text.data() + text.size(), out);
  return !text.empty() && r.ec == std::errc{} && r.ptr == text.data() + text.size();
}

/// The shard whose file `name` is, for the sweep whose CSV is `csv`; empty for any other
/// name. Only the exact spelling shard_csv_path writes counts (no leading zeros, n > 1).
inline std::optional<SweepShard> shard_of_file_name(std::string_view name,
                                                    std::filesystem::path const& csv) {
  std::string const prefix = csv.stem().string() + ".shard-";
  std::string const suffix = csv.extension().string();
  if (name.size() <= prefix.size() + suffix.size() || !name.starts_with(prefix) ||
      !name.ends_with(suffix))
    return std::nullopt;
  auto const middle = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
  auto const of = middle.find("-of-");
  SweepShard shard;
  if (of == std::string_view::npos || !parse_int(middle.substr(0, of), shard.index) ||
      !parse_int(middle.substr(of + 4), shard.count))
    return std::nullopt;
  if (shard.count < 2 || shard.index < 1 || shard.index > shard.count ||
      middle != std::to_string(shard.index) + "-of-" + std::to_string(shard.count))
    return std::nullopt;
  return shard;
}

} // namespace detail

/// Reads "i/n", 1-based: shard i of n, 1 <= i <= n.
///
///     smup::parse_shard("2/4");  // {.index = 2, .count = 4}
///     smup::parse_shard("0/4");  // smup::error: shards are numbered from 1
[[nodiscard]] inline SweepShard parse_shard(std::string_view text) {
  std::string const entity = "smup::parse_shard";
  auto const slash = text.find('/');
  SweepShard shard;
  if (slash == std::string_view::npos || !detail::parse_int(text.substr(0, slash), shard.index) ||
      !detail::parse_int(text.substr(slash + 1), shard.count))
    detail::fail(entity + ": '" + std::string(text) +
                 "' is not of the form i/n with whole numbers i and n. A shard is named by its "
                 "number and the number of shards. Write e.g. 2/4 for the second of four.");
  if (shard.count < 1)
    detail::fail(entity + ": '" + std::string(text) + "' splits the sweep into " +
                 std::to_string(shard.count) +
                 " shards. There must be at least one. Give n >= 1 (1/1 is the whole sweep).");
  if (shard.index < 1 || shard.index > shard.count)
    detail::fail(entity + ": '" + std::string(text) + "' names shard " +
                 std::to_string(shard.index) + " of " + std::to_string(shard.count) +
                 ", but shards are numbered 1 to " + std::to_string(shard.count) +
                 " (1-based). Give i between 1 and n, e.g. 1/" + std::to_string(shard.count) +
                 " to " + std::to_string(shard.count) + "/" + std::to_string(shard.count) + ".");
  return shard;
}

/// The shard of this process from its launcher's variables: Open MPI's
/// OMPI_COMM_WORLD_RANK and OMPI_COMM_WORLD_SIZE, else PMI_RANK and PMI_SIZE (MPICH, Intel
/// MPI), else Slurm's SLURM_PROCID and SLURM_NTASKS; rank r of size n is shard r + 1 of n.
/// {1, 1} when none is set (one process). The MPI launchers' come first: an mpirun inside
/// a Slurm allocation leaves the allocation's variables in every rank. Throws smup::error
/// naming the variable when one of a pair is missing or does not read as a rank and size.
///
///     // mpirun -np 4 prog: rank 2 reads
///     smup::shard_from_environment();  // {.index = 3, .count = 4}
[[nodiscard]] inline SweepShard shard_from_environment() {
  std::string const entity = "smup::shard_from_environment";
  constexpr std::pair<char const*, char const*> launchers[] = {
      {"OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"},
      {"PMI_RANK", "PMI_SIZE"},
      {"SLURM_PROCID", "SLURM_NTASKS"}};
  for (auto const& [rank_name, size_name] : launchers) {
    char const* const rank_text = std::getenv(rank_name);
    char const* const size_text = std::getenv(size_name);
    if (!rank_text && !size_text) continue;
    auto const shown = [](char const* name, char const* value) {
      return std::string(name) + (value ? "='" + std::string(value) + "'" : " is not set");
    };
    std::string const both = shown(rank_name, rank_text) + ", " + shown(size_name, size_text);
    if (!rank_text || !size_text)
      detail::fail(entity + ": " + both +
                   ". A launcher sets both; with one alone this process was not started as one "
                   "of several (a Slurm batch script's own shell, say, rather than srun). Start it "
                   "with mpirun or srun, or pass the shard as i/n.");
    int rank = 0, size = 0;
    if (!detail::parse_int(rank_text, rank) || !detail::parse_int(size_text, size) || size < 1 ||
        rank < 0 || rank >= size)
      detail::fail(entity + ": " + both +
                   ", which is not a rank r and a size n with 0 <= r < n. The shard cannot be "
                   "told from them. Fix or unset them, or pass the shard as i/n.");
    return {rank + 1, size};
  }
  return {};
}

/// Whether the run at 0-based `position` of the grid belongs to `shard`.
[[nodiscard]] inline bool in_shard(std::size_t position, SweepShard const& shard) {
  return position % static_cast<std::size_t>(shard.count) ==
         static_cast<std::size_t>(shard.index - 1);
}

/// The file shard `shard` of the sweep at `csv` appends to: `csv` itself for 1 of 1, else
/// `<stem>.shard-<i>-of-<n><extension>` in the same folder.
///
///     smup::shard_csv_path("out/transfer.csv", {2, 4});  // "out/transfer.shard-2-of-4.csv"
[[nodiscard]] inline std::filesystem::path shard_csv_path(std::filesystem::path const& csv,
                                                          SweepShard const& shard) {
  detail::check_shard(shard, "smup::shard_csv_path");
  if (shard.count == 1) return csv;
  std::filesystem::path out = csv;
  out.replace_filename(csv.stem().string() + ".shard-" + std::to_string(shard.index) + "-of-" +
                       std::to_string(shard.count) + csv.extension().string());
  return out;
}

/// The sweep's files that exist: `csv` first, then its shard files (any n) ordered by shard
/// count, then index.
[[nodiscard]] inline std::vector<std::filesystem::path>
sweep_csv_files(std::filesystem::path const& csv) {
  namespace fs = std::filesystem;
  std::vector<fs::path> out;
  std::error_code ec;
  if (fs::is_regular_file(csv, ec)) out.push_back(csv);
  fs::path const folder = csv.has_parent_path() ? csv.parent_path() : fs::path(".");
  std::vector<SweepShard> shards;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    auto const shard = detail::shard_of_file_name(it->path().filename().string(), csv);
    std::error_code type_ec;
    if (shard && it->is_regular_file(type_ec)) shards.push_back(*shard);
  }
  std::sort(shards.begin(), shards.end(), [](SweepShard const& a, SweepShard const& b) {
    return std::pair(a.count, a.index) < std::pair(b.count, b.index);
  });
  for (auto const& shard : shards) out.push_back(shard_csv_path(csv, shard));
  return out;
}

} // namespace smup
