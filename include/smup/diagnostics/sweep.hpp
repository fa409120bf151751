#pragma once
/// A resumable hyper-parameter sweep: a grid of runs, one CSV line per finished run, and
/// the learning-rate optimum of each group of curves.
///
///     auto runs = smup::sweep_grid({{"parameterization", {"SP", "muP", "SmuP"}},
///                                   {"width", {"256"}},
///                                   {"density", {"1", "1/4", "1/16"}}},
///                                  smup::powers_of_two(-12, -6), {0, 1});
///     smup::run_sweep(runs, {.csv = "demo-results/transfer.csv"},
///                     [&](smup::RunSpec const& run) -> smup::RunResult {
///                       auto density = smup::parse_ratio(run.at("density"));
///                       ... train with run.lr and run.seed ...
///                       return {.train_loss = t, .val_loss = v, .val_acc = acc};
///                     });
///     auto optima = smup::lr_optima(smup::read_sweep_results("demo-results/transfer.csv"),
///                                   {"parameterization", "density"});
///
/// With keys parameterization, width, density (in that order) the default columns are the
/// demo's header: parameterization,width,density,lr,seed,train_loss,val_loss,val_acc,diverged.
///
/// Resuming: every finished run is appended (and flushed) to the CSV at once. Started again
/// with the same file, run_sweep skips the runs already there, matched by their key values,
/// learning rate and seed, so an interrupted sweep continues where it stopped, even after
/// kill -9: each row is on disk (fsync'ed) before the next run starts.
///
/// Faults: while it runs, the sweep holds a lock on its CSV, so a second process started
/// on the same file stops at once with an error saying so (shards write files of their
/// own; a killed holder leaves no lock). A last row cut short by a crash is dropped, with a
/// message on stderr, and its run done again; a complete row that does not read back is an
/// error naming its file and line. A row that cannot be written (disk full) stops the sweep
/// with an error naming the file and giving the row; the file keeps only whole rows.
///
/// Divergence policy: a run counts as diverged, and is recorded with `nan` losses and
/// diverged=1 while the sweep goes on, when the callback
/// - returns a non-finite train or validation loss, or sets `diverged`, or
/// - throws smup::RunDiverged (to stop a run early once its loss blows up; see
///   smup::require_finite_step in optim/divergence.hpp, which also checks the gradient).
/// Any other exception (smup::error from a bad configuration, std::bad_alloc, ...) is a
/// bug, not a result: it stops the sweep and propagates. The runs finished before it are
/// already on disk, so rerunning after the fix resumes.
///
/// Many processes: with `.shard = smup::parse_shard("2/4")` (or smup::shard_from_environment()
/// under mpirun or srun) a process trains a quarter of the grid and appends only to
/// transfer.shard-2-of-4.csv; see sweep_shard.hpp. Resuming skips runs found in any file of
/// the sweep. Once every shard is done, read_sweep_results_merged reads all the files as one,
/// and sweep_progress tells a process whether they are all done:
///
///     smup::run_sweep(runs, {.csv = csv, .shard = shard}, train);
///     if (smup::sweep_progress(runs, csv).complete())
///       report(smup::read_sweep_results_merged(csv, runs));

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iostream>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include <smup/core/error.hpp>
#include <smup/diagnostics/csv.hpp>
#include <smup/diagnostics/sweep_shard.hpp>
#include <smup/optim/divergence.hpp> // smup::RunDiverged

namespace smup {

/// One run of a sweep: named key values (the CSV's key columns, in order), an LR and a seed.
///
///     smup::RunSpec run{.key = {{"parameterization", "SmuP"}, {"density", "1/16"}},
///                       .lr = 0x1p-9, .seed = 1};
///     std::string const& density = run.at("density");  // "1/16"
struct RunSpec {
  std::vector<std::pair<std::string, std::string>> key{};
  double lr = 0;
  std::uint64_t seed = 0;

  /// The value of key column `name`; throws smup::error when the run has no such key.
  [[nodiscard]] std::string const& at(std::string_view name) const {
    for (auto const& [k, v] : key)
      if (k == name) return v;
    std::string names;
    for (auto const& kv : key) names += (names.empty() ? "" : ", ") + kv.first;
    detail::fail("smup::RunSpec: no key named '" + std::string(name) + "'. This run's keys are " +
                 (names.empty() ? "none" : names) + ". Use one of them, or add it to the grid.");
  }

  /// "parameterization=SmuP density=1/16 lr=2^-9 seed=1", for progress lines and messages.
  [[nodiscard]] std::string describe() const;
};

/// What a training run reports. Leave val_acc empty when there is none.
///
///     return smup::RunResult{.train_loss = 0.39, .val_loss = 0.41, .val_acc = 0.86};
struct RunResult {
  double train_loss = std::numeric_limits<double>::quiet_NaN();
  double val_loss = std::numeric_limits<double>::quiet_NaN();
  std::optional<double> val_acc{};
  bool diverged = false;
};

/// One key column of a grid and its values, e.g. `{"density", {"1", "1/4", "1/16"}}`.
struct SweepAxis {
  std::string name{};
  std::vector<std::string> values{};
};

/// Where results go and how chatty the sweep is.
///
///     smup::SweepOptions{.csv = "transfer.csv",
///                        .columns = {"parameterization", "width", "density", "lr", "seed",
///                                    "train_loss", "val_loss", "val_acc", "diverged"}}
struct SweepOptions {
  std::filesystem::path csv{};
  /// The CSV's columns, any order: every key name, lr, seed, train_loss, val_loss and
  /// diverged, optionally val_acc. Empty: the keys, then lr, seed, train_loss, val_loss,
  /// val_acc, diverged.
  std::vector<std::string> columns{};
  bool quiet = false; ///< no progress lines on stderr
  /// This process's share of the grid and its own file (see sweep_shard.hpp). Default 1 of
  /// 1: every run, appended to `csv`.
  SweepShard shard{};
  /// false: the shard trains every run given, not its share by position, still writing only
  /// its own file. For callers that share out the work themselves, e.g. a chain of runs
  /// that each depend on the last, all given to one shard.
  bool split_runs = true;
};

/// What one call of run_sweep did: `total` is this shard's share of the grid (the whole
/// grid unsharded), `diverged` counts among the runs executed by this call.
struct SweepReport {
  std::size_t total = 0;
  std::size_t skipped = 0;
  std::size_t executed = 0;
  std::size_t diverged = 0;
};

/// A run read back from a sweep's CSV.
struct SweepRecord {
  RunSpec spec{};
  RunResult result{};
};

/// Which loss picks the optimum.
enum class SweepLoss { val, train };

/// The LR optimum of one curve. `lr` and `loss` are the interpolated optimum: the vertex of
/// the parabola in log2(lr) through the grid minimum and its two neighbours. They equal the
/// grid point (`interpolated` false) when the minimum is at the grid's edge, a neighbour
/// diverged, or the three points do not curve upward.
///
///     auto opt = smup::lr_optimum({{0x1p-10, 0.52}, {0x1p-9, 0.47}, {0x1p-8, 0.49}});
///     std::log2(opt->lr);  // about -8.8
struct LrOptimum {
  double lr = 0;
  double loss = 0;
  double grid_lr = 0;
  double grid_loss = 0;
  bool interpolated = false;
};

/// The optimum of one seed's curve; empty when every run of that seed diverged.
struct SeedOptimum {
  std::uint64_t seed = 0;
  std::optional<LrOptimum> optimum{};
};

/// Optima of one group (e.g. parameterization x density), per seed and for the mean over
/// seeds. `mean_curve` is (lr, mean loss) sorted by lr, nan where any seed diverged.
struct GroupOptimum {
  std::vector<std::pair<std::string, std::string>> group{};
  std::vector<SeedOptimum> per_seed{};
  std::optional<LrOptimum> mean{};
  std::vector<std::pair<double, double>> mean_curve{};
  std::size_t runs = 0;
  std::size_t diverged = 0;
};

namespace detail {

inline constexpr std::string_view sweep_reserved[] = {"lr",       "seed",    "train_loss",
                                                      "val_loss", "val_acc", "diverged"};

inline bool is_sweep_reserved(std::string_view name) {
  return std::find(std::begin(sweep_reserved), std::end(sweep_reserved), name) !=
         std::end(sweep_reserved);
}

/// Shortest text that reads back as the same double ("nan", "inf" for the rest).
inline std::string format_double(double v) {
  if (std::isnan(v)) return "nan";
  char buffer[64];
  auto const r = std::to_chars(buffer, buffer + sizeof buffer, v);
  return std::string(buffer, r.ptr);
}

inline bool parse_double(std::string_view text, double& out) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  auto const r = std::from_chars(text.data(), text.data() + text.size(), out);
  return r.ec == std::errc{} && r.ptr == text.data() + text.size() && !text.empty();
}

inline bool parse_seed(std::string_view text, std::uint64_t& out) {
  auto const r = std::from_chars(text.data(), text.data() + text.size(), out);
  return r.ec == std::errc{} && r.ptr == text.data() + text.size() && !text.empty();
}

/// "2^-9" for powers of two (the usual LR grid), else "0.0003": for people, not for files.
inline std::string format_lr(double lr) {
  int exponent = 0;
  if (std::isfinite(lr) && lr > 0 && std::frexp(lr, &exponent) == 0.5)
    return "2^" + std::to_string(exponent - 1);
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.6g", lr);
  return buffer;
}

inline std::string format_duration(double seconds) {
  char buffer[48];
  if (!(seconds >= 0)) seconds = 0;
  if (seconds < 60) {
    std::snprintf(buffer, sizeof buffer, "%.1f s", seconds);
  } else if (seconds < 3600) {
    auto const s = static_cast<long long>(seconds + 0.5);
    std::snprintf(buffer, sizeof buffer, "%lld min %02lld s", s / 60, s % 60);
  } else {
    auto const m = static_cast<long long>(seconds / 60 + 0.5);
    std::snprintf(buffer, sizeof buffer, "%lld h %02lld min", m / 60, m % 60);
  }
  return buffer;
}

/// Identity of a run for resuming: key values, the LR as it reads back, and the seed.
inline std::string run_identity(std::vector<std::string> const& key_values, double lr,
                                std::uint64_t seed) {
  std::string id;
  for (auto const& v : key_values) id += v + '\x1f';
  return id + format_double(lr) + '\x1f' + std::to_string(seed);
}

inline std::string run_identity(RunSpec const& run) {
  std::vector<std::string> values;
  for (auto const& kv : run.key) values.push_back(kv.second);
  return run_identity(values, run.lr, run.seed);
}

/// Where each CSV column's text comes from.
struct SweepColumn {
  enum Kind { key, lr, seed, train_loss, val_loss, val_acc, diverged } kind = key;
  std::size_t key_index = 0;
};

inline SweepColumn::Kind reserved_kind(std::string_view name) {
  if (name == "lr") return SweepColumn::lr;
  if (name == "seed") return SweepColumn::seed;
  if (name == "train_loss") return SweepColumn::train_loss;
  if (name == "val_loss") return SweepColumn::val_loss;
  if (name == "val_acc") return SweepColumn::val_acc;
  return SweepColumn::diverged;
}

/// Checks the grid and the columns together; returns the column layout.
inline std::vector<SweepColumn> sweep_layout(std::vector<RunSpec> const& runs,
                                             std::vector<std::string>& columns) {
  std::string const entity = "smup::run_sweep";
  auto const& first = runs.front().key;
  std::set<std::string> key_names;
  for (auto const& [name, value] : first) {
    if (name.empty() || is_sweep_reserved(name) || !key_names.insert(name).second)
      fail(entity + ": key name '" + name +
           "' is empty, repeated, or one of lr, seed, train_loss, val_loss, val_acc, "
           "diverged. Each key becomes its own CSV column. Rename it.");
  }
  std::set<std::string> seen;
  for (std::size_t r = 0; r < runs.size(); ++r) {
    auto const& run = runs[r];
    bool same_keys = run.key.size() == first.size();
    for (std::size_t i = 0; same_keys && i < first.size(); ++i)
      same_keys = run.key[i].first == first[i].first;
    if (!same_keys)
      fail(entity + ": run " + std::to_string(r) + " (" + run.describe() +
           ") has other key names than run 0 (" + runs.front().describe() +
           "). All runs share one CSV layout. Give every run the same keys in the same order.");
    if (!(std::isfinite(run.lr) && run.lr > 0))
      fail(entity + ": run " + std::to_string(r) + " (" + run.describe() +
           ") has a learning rate that is not a positive finite number. Such a run cannot "
           "train. Fix the LR grid.");
    if (!seen.insert(run_identity(run)).second)
      fail(entity + ": run " + run.describe() +
           " appears twice in the grid. Its second copy would be skipped as already done. "
           "Remove the duplicate.");
  }

  if (columns.empty()) {
    for (auto const& kv : first) columns.push_back(kv.first);
    for (auto name : sweep_reserved) columns.emplace_back(name);
  }
  std::vector<SweepColumn> layout;
  std::set<std::string> used;
  for (auto const& c : columns) {
    if (!used.insert(c).second)
      fail(entity + ": column '" + c + "' is listed twice. Each column holds one value. " +
           "List it once.");
    if (is_sweep_reserved(c)) {
      layout.push_back({reserved_kind(c), 0});
      continue;
    }
    auto const it =
        std::find_if(first.begin(), first.end(), [&](auto const& kv) { return kv.first == c; });
    if (it == first.end())
      fail(entity + ": column '" + c +
           "' is neither a key of the runs nor one of lr, seed, train_loss, val_loss, val_acc, "
           "diverged. The sweep would have nothing to write there. Add it to the runs' keys or "
           "drop the column.");
    layout.push_back({SweepColumn::key, static_cast<std::size_t>(it - first.begin())});
  }
  std::vector<std::string> required;
  for (auto const& kv : first) required.push_back(kv.first);
  for (auto name : {"lr", "seed", "train_loss", "val_loss", "diverged"})
    required.emplace_back(name);
  for (auto const& name : required)
    if (!used.count(name))
      fail(entity + ": the columns lack '" + name +
           "'. Without it a finished run cannot be recognised or read back. Add the column.");
  return layout;
}

inline std::vector<std::string> sweep_row(std::vector<SweepColumn> const& layout,
                                          RunSpec const& run, RunResult const& result) {
  std::vector<std::string> row;
  for (auto const& c : layout) {
    switch (c.kind) {
    case SweepColumn::key: row.push_back(run.key[c.key_index].second); break;
    case SweepColumn::lr: row.push_back(format_double(run.lr)); break;
    case SweepColumn::seed: row.push_back(std::to_string(run.seed)); break;
    case SweepColumn::train_loss: row.push_back(format_double(result.train_loss)); break;
    case SweepColumn::val_loss: row.push_back(format_double(result.val_loss)); break;
    case SweepColumn::val_acc:
      row.push_back(result.val_acc ? format_double(*result.val_acc) : std::string{});
      break;
    case SweepColumn::diverged: row.push_back(result.diverged ? "1" : "0"); break;
    }
  }
  return row;
}

/// One file of a sweep: its header and complete rows. An unfinished last line (an append
/// cut short, or one another process is writing right now) is left out, as CsvAppender
/// drops it on reopening; a file created an instant ago may have no header yet.
///
/// A complete line that does not read as a row (too few fields, a loss that is not a
/// number) is an error naming the file and line, never skipped: appends write whole lines,
/// so a crash cannot make one, and it was damaged or edited by something else. Skipping it
/// would silently lose, or train again, a result nobody knows was there.
struct SweepFile {
  std::filesystem::path path{};
  std::vector<std::string> header{};
  std::vector<std::vector<std::string>> rows{};
  std::vector<std::size_t> lines{}; ///< the 1-based line of each row in the file, for messages
};

inline SweepFile read_sweep_file(std::filesystem::path const& path, std::string const& entity) {
  CsvParse parse = parse_csv(read_text_file(path, entity));
  if (parse.last_unterminated && !parse.open_quote) parse.records.pop_back();
  SweepFile file{.path = path};
  if (parse.records.empty()) return file;
  for (std::size_t r = 1; r < parse.records.size(); ++r)
    file.lines.push_back(parse.records[r].line);
  CsvTable table = to_table(std::move(parse.records), path, entity);
  file.header = std::move(table.header);
  file.rows = std::move(table.rows);
  return file;
}

/// The sweep's files that have a header, in sweep_csv_files' order; throws when two
/// disagree on the columns.
inline std::vector<SweepFile> read_sweep_files(std::filesystem::path const& csv,
                                               std::string const& entity) {
  std::vector<SweepFile> out;
  for (auto const& path : sweep_csv_files(csv)) {
    SweepFile file = read_sweep_file(path, entity);
    if (file.header.empty()) continue;
    if (!out.empty() && file.header != out.front().header)
      fail(entity + ": '" + out.front().path.string() + "' has the columns '" +
           describe_header(out.front().header) + "' but '" + path.string() + "' has '" +
           describe_header(file.header) +
           "'. The files of one sweep share one layout; merging these would mix two. Move the "
           "files of the other layout away.");
    out.push_back(std::move(file));
  }
  return out;
}

/// The run_identity of every row of `files`, with the key values taken in `key_names`' order.
inline std::set<std::string> finished_runs(std::vector<SweepFile> const& files,
                                           std::vector<std::string> const& key_names,
                                           std::string const& entity) {
  std::set<std::string> done;
  for (auto const& file : files) {
    auto const column = [&](std::string const& name) {
      auto const it = std::find(file.header.begin(), file.header.end(), name);
      if (it == file.header.end())
        fail(entity + ": '" + file.path.string() + "' has no column '" + name +
             "'. A finished run is recognised by its key values, lr and seed. Pass the grid "
             "of the sweep that wrote the file, or move the file away.");
      return static_cast<std::size_t>(it - file.header.begin());
    };
    std::vector<std::size_t> keys;
    for (auto const& name : key_names) keys.push_back(column(name));
    auto const lr_column = column("lr"), seed_column = column("seed");
    for (std::size_t r = 0; r < file.rows.size(); ++r) {
      auto const& row = file.rows[r];
      double lr = 0;
      std::uint64_t seed = 0;
      if (!parse_double(row[lr_column], lr) || !parse_seed(row[seed_column], seed))
        fail(entity + ": '" + file.path.string() + "' line " + std::to_string(file.lines[r]) +
             " has lr '" + row[lr_column] + "' and seed '" + row[seed_column] +
             "', which do not read as numbers. Resuming matches runs by them. Fix or remove "
             "that line.");
      std::vector<std::string> values;
      for (auto c : keys) values.push_back(row[c]);
      done.insert(run_identity(values, lr, seed));
    }
  }
  return done;
}

/// The rows of one sweep file as records, in the file's order; throws naming the file, line
/// and column of the first value that does not read back.
inline std::vector<SweepRecord> sweep_records(SweepFile const& file, std::string const& entity) {
  auto const& header = file.header;
  for (auto name : {"lr", "seed", "train_loss", "val_loss", "diverged"})
    if (std::find(header.begin(), header.end(), name) == header.end())
      fail(entity + ": '" + file.path.string() + "' has no column '" + name +
           "'. A sweep's CSV has lr, seed, train_loss, val_loss and diverged. Pass the file "
           "run_sweep wrote.");
  std::vector<SweepRecord> out;
  for (std::size_t r = 0; r < file.rows.size(); ++r) {
    auto const& row = file.rows[r];
    SweepRecord rec;
    for (std::size_t c = 0; c < header.size(); ++c) {
      auto const& name = header[c];
      auto const& text = row[c];
      bool ok = true;
      if (!is_sweep_reserved(name)) {
        rec.spec.key.emplace_back(name, text);
      } else if (name == "lr") {
        ok = parse_double(text, rec.spec.lr);
      } else if (name == "seed") {
        ok = parse_seed(text, rec.spec.seed);
      } else if (name == "train_loss") {
        ok = parse_double(text, rec.result.train_loss);
      } else if (name == "val_loss") {
        ok = parse_double(text, rec.result.val_loss);
      } else if (name == "val_acc") {
        double acc = 0;
        if (!text.empty()) {
          ok = parse_double(text, acc);
          rec.result.val_acc = acc;
        }
      } else if (text == "0" || text == "1") {
        rec.result.diverged = text == "1";
      } else {
        ok = false;
      }
      if (!ok) {
        std::string const expected = name == "diverged" ? "0 or 1"
                                     : name == "seed"   ? "a whole number"
                                                        : "a number";
        fail(entity + ": '" + file.path.string() + "' line " + std::to_string(file.lines[r]) +
             " has '" + text + "' in column '" + name + "', which does not read as " + expected +
             ". Results are read back as numbers; a damaged line is not skipped, since its "
             "run would be lost or trained again unnoticed. Fix or remove that line.");
      }
    }
    out.push_back(std::move(rec));
  }
  return out;
}

} // namespace detail

inline std::string RunSpec::describe() const {
  std::string out;
  for (auto const& [k, v] : key) out += k + "=" + v + " ";
  return out + "lr=" + detail::format_lr(lr) + " seed=" + std::to_string(seed);
}

/// 2^first, 2^(first+1), ..., 2^last: the usual LR grid.
///
///     smup::powers_of_two(-12, -6);  // 2^-12 ... 2^-6, seven values
[[nodiscard]] inline std::vector<double> powers_of_two(int first, int last) {
  if (first > last)
    detail::fail("smup::powers_of_two: first exponent " + std::to_string(first) + " exceeds last " +
                 std::to_string(last) +
                 ". The grid would be empty. Pass them in increasing order.");
  std::vector<double> out;
  for (int e = first; e <= last; ++e) out.push_back(std::ldexp(1.0, e));
  return out;
}

/// Every combination of the axes' values, the LRs and the seeds. The first axis varies
/// slowest and the seed fastest, so all seeds of one LR point finish together.
///
///     auto runs = smup::sweep_grid({{"density", {"1", "1/16"}}}, {0x1p-9, 0x1p-8}, {0, 1});
///     // 8 runs: density=1 lr=2^-9 seed=0, density=1 lr=2^-9 seed=1, ...
[[nodiscard]] inline std::vector<RunSpec> sweep_grid(std::vector<SweepAxis> const& axes,
                                                     std::vector<double> const& lrs,
                                                     std::vector<std::uint64_t> const& seeds) {
  for (auto const& axis : axes)
    if (axis.values.empty())
      detail::fail("smup::sweep_grid: axis '" + axis.name +
                   "' has no values. The grid would be empty. Give it at least one value.");
  if (lrs.empty() || seeds.empty())
    detail::fail("smup::sweep_grid: no learning rates or no seeds. The grid would be empty. "
                 "Give at least one of each.");
  std::vector<RunSpec> out;
  std::vector<std::size_t> index(axes.size(), 0);
  for (;;) {
    std::vector<std::pair<std::string, std::string>> key;
    for (std::size_t a = 0; a < axes.size(); ++a)
      key.emplace_back(axes[a].name, axes[a].values[index[a]]);
    for (double lr : lrs)
      for (std::uint64_t seed : seeds) out.push_back({key, lr, seed});
    std::size_t a = axes.size();
    while (a > 0 && ++index[a - 1] == axes[a - 1].values.size()) index[--a] = 0;
    if (a == 0) break;
  }
  return out;
}

/// Runs every run of `runs` not yet in `options.csv`, appending one CSV line as each ends.
///
///     auto report = smup::run_sweep(runs, {.csv = "transfer.csv", .quiet = true},
///                                   [](smup::RunSpec const& r) { return train(r); });
///     // report.executed, report.skipped, report.diverged
///
/// Prints `[k/N] <run> val_loss ... train_loss ... (<run time>, ETA <time>)` on stderr per
/// run unless `quiet`. See the top of this header for the divergence policy. Throws
/// smup::error before running anything if the grid or the columns are inconsistent, or if
/// the CSV exists with another header.
template <class Train> SweepReport run_sweep(std::vector<RunSpec> const& runs,
                                             SweepOptions const& options, Train&& train) {
  static_assert(std::invocable<Train&, RunSpec const&> &&
                    std::convertible_to<std::invoke_result_t<Train&, RunSpec const&>, RunResult>,
                "smup::run_sweep: the callback must be callable as RunResult(RunSpec const&). "
                "The sweep passes each run and records what it returns. Take a "
                "smup::RunSpec const& and return a smup::RunResult.");
  std::string const entity = "smup::run_sweep";
  SweepShard const shard = options.shard;
  detail::check_shard(shard, entity);
  std::vector<RunSpec const*> share;
  for (std::size_t p = 0; p < runs.size(); ++p)
    if (!options.split_runs || in_shard(p, shard)) share.push_back(&runs[p]);
  SweepReport report;
  report.total = share.size();
  if (runs.empty()) return report;
  if (options.csv.empty())
    detail::fail(entity + ": no CSV path. Results and resuming need a file. Set "
                          "SweepOptions::csv.");
  std::vector<std::string> columns = options.columns;
  auto const layout = detail::sweep_layout(runs, columns); // the whole grid: every shard agrees

  // Done is what any file of the sweep holds, whichever shard count wrote it.
  auto const files = detail::read_sweep_files(options.csv, entity);
  for (auto const& file : files)
    if (file.header != columns)
      detail::fail(entity + ": '" + file.path.string() + "' has the header '" +
                   detail::describe_header(file.header) + "' but this sweep writes '" +
                   detail::describe_header(columns) +
                   "'. Its files would hold two layouts. Move the old file away or write to "
                   "another file.");
  for (auto const& file : files) (void)detail::sweep_records(file, entity); // every line reads
  std::vector<std::string> key_names;
  for (auto const& kv : runs.front().key) key_names.push_back(kv.first);
  auto const done = detail::finished_runs(files, key_names, entity);
  auto const own = shard_csv_path(options.csv, shard);
  CsvAppender out(own, columns);

  std::vector<RunSpec const*> pending;
  for (auto const* run : share)
    if (!done.count(detail::run_identity(*run))) pending.push_back(run);
  report.skipped = share.size() - pending.size();
  std::string const who = shard.count > 1 ? "smup sweep, " + shard.describe() : "smup sweep";
  if (!options.quiet && shard.count > 1 && options.split_runs)
    std::cerr << who << ": " << share.size() << " of the grid's " << runs.size()
              << " runs are this shard's; it appends to '" << own.string() << "'.\n";
  if (!options.quiet && report.skipped > 0) {
    bool const shard_files = std::any_of(
        files.begin(), files.end(), [&](auto const& file) { return file.path != options.csv; });
    std::cerr << who << ": " << report.skipped << " of " << share.size() << " runs are already in '"
              << options.csv.string() << "'" << (shard_files ? " or its shard files" : "")
              << "; running the other " << pending.size() << ".\n";
  }
  std::string const tag = shard.count > 1 ? "shard " + std::to_string(shard.index) + "/" +
                                                std::to_string(shard.count) + " "
                                          : std::string{};

  using clock = std::chrono::steady_clock;
  auto const sweep_start = clock::now();
  for (std::size_t k = 0; k < pending.size(); ++k) {
    RunSpec const& run = *pending[k];
    std::string const counter =
        tag + "[" + std::to_string(k + 1) + "/" + std::to_string(pending.size()) + "] ";
    auto const run_start = clock::now();
    RunResult result;
    std::string reason;
    try {
      result = std::invoke(train, run);
    } catch (RunDiverged const& e) {
      result.diverged = true;
      reason = e.what();
    } catch (...) {
      if (!options.quiet)
        std::cerr << counter << run.describe() << " failed; the sweep stops (finished runs "
                  << "are kept in '" << own.string() << "').\n";
      throw;
    }
    if (!result.diverged &&
        (!std::isfinite(result.train_loss) || !std::isfinite(result.val_loss))) {
      result.diverged = true;
      reason = "non-finite loss";
    }
    if (result.diverged) {
      double const nan = std::numeric_limits<double>::quiet_NaN();
      result.train_loss = result.val_loss = nan;
      result.val_acc = nan;
      ++report.diverged;
    }
    auto const row = detail::sweep_row(layout, run, result);
    try {
      out.append(row);
    } catch (error const& e) {
      // The run is done but its result is not on disk: hand the result over in the message.
      std::string text = csv_line(row);
      text.pop_back();
      detail::fail(entity + ": the result of " + run.describe() + " could not be recorded. " +
                   e.what() + " Its row would have read: " + text +
                   " . Once the cause is fixed, running the sweep again trains only the runs "
                   "not in the file, this one included.");
    }
    ++report.executed;

    if (!options.quiet) {
      auto const now = clock::now();
      double const run_seconds = std::chrono::duration<double>(now - run_start).count();
      double const total_seconds = std::chrono::duration<double>(now - sweep_start).count();
      double const eta =
          total_seconds / double(k + 1) * double(pending.size() - (k + 1)); // mean so far
      std::string line = counter + run.describe();
      if (result.diverged) {
        line += "  diverged";
        if (!reason.empty()) line += " (" + reason + ")";
      } else {
        char buffer[96];
        std::snprintf(buffer, sizeof buffer, "  val_loss %.4f  train_loss %.4f", result.val_loss,
                      result.train_loss);
        line += buffer;
        if (result.val_acc) {
          std::snprintf(buffer, sizeof buffer, "  val_acc %.4f", *result.val_acc);
          line += buffer;
        }
      }
      line += "  (" + detail::format_duration(run_seconds) + ", ETA " +
              detail::format_duration(eta) + ")\n";
      std::cerr << line << std::flush;
    }
  }
  return report;
}

/// Reads one CSV of a sweep back. Columns other than lr, seed, train_loss, val_loss,
/// val_acc and diverged are the key, in the file's order. A sweep run in shards is spread
/// over several files: read_sweep_results_merged reads them all. As there, a last line
/// without its newline (a row being appended right now, or cut short by a crash) is left
/// out; any other line that does not read back is an error naming the file and line.
///
///     for (auto const& rec : smup::read_sweep_results("transfer.csv"))
///       if (!rec.result.diverged) use(rec.spec.at("density"), rec.spec.lr, rec.result.val_loss);
[[nodiscard]] inline std::vector<SweepRecord>
read_sweep_results(std::filesystem::path const& path) {
  std::string const entity = "smup::read_sweep_results";
  auto const file = detail::read_sweep_file(path, entity);
  if (file.header.empty())
    detail::fail(entity + ": '" + path.string() +
                 "' has no header line. A sweep's CSV starts with one. Pass the file "
                 "run_sweep wrote.");
  return detail::sweep_records(file, entity);
}

/// Reads every file of the sweep at `csv` as one: `csv` and its shard files of any count
/// (see sweep_shard.hpp), each without an unfinished last line. A run found in two files
/// (trained twice, by shards of two counts at once, say: the same run, so the same
/// result) is kept once, from the first file in sweep_csv_files' order: `csv`, then shard
/// files by count and index.
///
/// Records come in file order, unless `grid` is given: then the grid's runs come first, in
/// the grid's order (the order of an unsharded sweep, which reports such as lr_optima
/// follow), then any others in file order.
///
///     auto records = smup::read_sweep_results_merged("out/transfer.csv", runs);
///
/// Throws smup::error when no file of the sweep exists or two files have other columns.
[[nodiscard]] inline std::vector<SweepRecord>
read_sweep_results_merged(std::filesystem::path const& csv, std::vector<RunSpec> const& grid = {}) {
  std::string const entity = "smup::read_sweep_results_merged";
  auto const files = detail::read_sweep_files(csv, entity);
  if (files.empty())
    detail::fail(entity + ": no file of the sweep at '" + csv.string() + "': neither it nor a '" +
                 csv.stem().string() + ".shard-<i>-of-<n>" + csv.extension().string() +
                 "' beside it exists with a header. There are no results to read. Run the "
                 "sweep first, or check the path.");
  std::vector<SweepRecord> records;
  std::set<std::string> seen;
  for (auto const& file : files)
    for (auto& rec : detail::sweep_records(file, entity))
      if (seen.insert(detail::run_identity(rec.spec)).second) records.push_back(std::move(rec));
  if (grid.empty()) return records;

  // The grid's key names may come in another order than the file's columns.
  auto const identity_by = [](std::vector<std::string> const& names, RunSpec const& spec) {
    std::vector<std::string> values;
    for (auto const& name : names) values.push_back(spec.at(name));
    return detail::run_identity(values, spec.lr, spec.seed);
  };
  std::vector<std::string> names;
  for (auto const& kv : grid.front().key) names.push_back(kv.first);
  std::map<std::string, std::size_t> where;
  for (std::size_t r = 0; r < records.size(); ++r)
    where.emplace(identity_by(names, records[r].spec), r);
  std::vector<SweepRecord> ordered;
  std::vector<bool> taken(records.size(), false);
  for (auto const& run : grid)
    if (auto const it = where.find(identity_by(names, run));
        it != where.end() && !taken[it->second]) {
      taken[it->second] = true;
      ordered.push_back(records[it->second]);
    }
  for (std::size_t r = 0; r < records.size(); ++r)
    if (!taken[r]) ordered.push_back(std::move(records[r]));
  return ordered;
}

/// How much of a grid the files of its sweep hold.
struct SweepProgress {
  std::size_t total = 0;                      ///< runs in the grid
  std::size_t done = 0;                       ///< of them, in some file of the sweep
  std::vector<RunSpec> missing{};             ///< the others, in the grid's order
  std::vector<std::filesystem::path> files{}; ///< the sweep's files, as read_sweep_results_merged
  [[nodiscard]] bool complete() const { return missing.empty(); }
};

/// Which runs of `runs` are in the files of the sweep at `csv` (the CSV and its shard
/// files), e.g. for a shard to tell whether it finished the sweep and should write the
/// report, or that others are still at work.
///
///     auto const progress = smup::sweep_progress(runs, "out/transfer.csv");
///     if (!progress.complete()) std::cout << progress.done << " of " << progress.total << "\n";
[[nodiscard]] inline SweepProgress sweep_progress(std::vector<RunSpec> const& runs,
                                                  std::filesystem::path const& csv) {
  std::string const entity = "smup::sweep_progress";
  SweepProgress progress;
  progress.total = runs.size();
  auto const files = detail::read_sweep_files(csv, entity);
  for (auto const& file : files) progress.files.push_back(file.path);
  if (runs.empty()) return progress;
  std::vector<std::string> names;
  for (auto const& kv : runs.front().key) names.push_back(kv.first);
  auto const done = detail::finished_runs(files, names, entity);
  for (auto const& run : runs) {
    std::vector<std::string> values;
    for (auto const& name : names) values.push_back(run.at(name));
    if (done.count(detail::run_identity(values, run.lr, run.seed)))
      ++progress.done;
    else
      progress.missing.push_back(run);
  }
  return progress;
}

/// The LR optimum of one curve of (lr, loss) points, one point per LR, in any order.
/// Non-finite losses (diverged runs) never win and break the interpolation next to them.
/// Empty when no loss is finite. See LrOptimum for the interpolation.
///
///     auto opt = smup::lr_optimum({{0x1p-10, 0.52}, {0x1p-9, 0.47}, {0x1p-8, 0.49}});
[[nodiscard]] inline std::optional<LrOptimum>
lr_optimum(std::vector<std::pair<double, double>> points) {
  for (auto const& [lr, loss] : points)
    if (!(std::isfinite(lr) && lr > 0))
      detail::fail("smup::lr_optimum: learning rate " + detail::format_double(lr) +
                   " is not a positive finite number. The optimum is found in log2(lr). Pass "
                   "positive learning rates.");
  std::sort(points.begin(), points.end());
  for (std::size_t i = 1; i < points.size(); ++i)
    if (points[i].first == points[i - 1].first)
      detail::fail("smup::lr_optimum: learning rate " + detail::format_lr(points[i].first) +
                   " appears twice. A curve has one loss per LR. Average the seeds first (or "
                   "use lr_optima).");
  std::optional<std::size_t> best;
  for (std::size_t i = 0; i < points.size(); ++i)
    if (std::isfinite(points[i].second) && (!best || points[i].second < points[*best].second))
      best = i;
  if (!best) return std::nullopt;
  std::size_t const i = *best;
  LrOptimum out{points[i].first, points[i].second, points[i].first, points[i].second, false};
  if (i == 0 || i + 1 == points.size()) return out;
  double const y0 = points[i - 1].second, y1 = points[i].second, y2 = points[i + 1].second;
  if (!std::isfinite(y0) || !std::isfinite(y2)) return out;
  double const x0 = std::log2(points[i - 1].first), x1 = std::log2(points[i].first),
               x2 = std::log2(points[i + 1].first);
  // Newton form: p(x) = y0 + d1 (x - x0) + a (x - x0)(x - x1); the vertex is where p' = 0.
  double const d1 = (y1 - y0) / (x1 - x0);
  double const a = ((y2 - y1) / (x2 - x1) - d1) / (x2 - x0);
  if (!(a > 0)) return out; // flat or downward: no minimum to interpolate
  double const xv = 0.5 * (x0 + x1) - d1 / (2 * a);
  double const yv = y0 + d1 * (xv - x0) + a * (xv - x0) * (xv - x1);
  if (!std::isfinite(xv) || !std::isfinite(yv)) return out;
  out.lr = std::exp2(xv);
  out.loss = yv;
  out.interpolated = true;
  return out;
}

/// The LR optimum of every group of records (e.g. group_by {"parameterization",
/// "density"}), per seed and for the mean loss over seeds. Groups keep the order in which
/// they first appear. Throws smup::error if a group holds two runs with the same LR and
/// seed (a key that varies is missing from group_by).
///
///     for (auto const& g : smup::lr_optima(records, {"parameterization", "density"}))
///       if (g.mean) std::printf("%s: 2^%.2f\n", g.group[1].second.c_str(), std::log2(g.mean->lr));
[[nodiscard]] inline std::vector<GroupOptimum> lr_optima(std::vector<SweepRecord> const& records,
                                                         std::vector<std::string> const& group_by,
                                                         SweepLoss loss = SweepLoss::val) {
  struct Group {
    GroupOptimum result;
    std::map<std::uint64_t, std::map<double, double>> curves;     // seed -> lr -> loss
    std::map<std::pair<std::uint64_t, double>, std::string> seen; // for the duplicate message
  };
  std::vector<Group> groups;
  std::map<std::vector<std::string>, std::size_t> index;
  for (auto const& rec : records) {
    std::vector<std::string> values;
    for (auto const& name : group_by) values.push_back(rec.spec.at(name));
    auto [it, inserted] = index.emplace(values, groups.size());
    if (inserted) {
      Group g;
      for (std::size_t i = 0; i < group_by.size(); ++i)
        g.result.group.emplace_back(group_by[i], values[i]);
      groups.push_back(std::move(g));
    }
    Group& g = groups[it->second];
    auto const at = std::make_pair(rec.spec.seed, rec.spec.lr);
    if (auto const dup = g.seen.find(at); dup != g.seen.end())
      detail::fail("smup::lr_optima: two runs in one group share lr and seed: '" + dup->second +
                   "' and '" + rec.spec.describe() +
                   "'. Their curves would be mixed. Add the key that tells them apart to "
                   "group_by.");
    g.seen.emplace(at, rec.spec.describe());
    double const value = rec.result.diverged      ? std::numeric_limits<double>::quiet_NaN()
                         : loss == SweepLoss::val ? rec.result.val_loss
                                                  : rec.result.train_loss;
    g.curves[rec.spec.seed][rec.spec.lr] = value;
    ++g.result.runs;
    if (rec.result.diverged) ++g.result.diverged;
  }

  std::vector<GroupOptimum> out;
  for (auto& g : groups) {
    std::map<double, std::pair<double, std::size_t>> sums; // lr -> (sum, count)
    for (auto const& [seed, curve] : g.curves) {
      std::vector<std::pair<double, double>> points(curve.begin(), curve.end());
      g.result.per_seed.push_back({seed, lr_optimum(points)});
      for (auto const& [lr, value] : curve) {
        auto& s = sums[lr];
        s.first += value; // a diverged seed makes the mean nan: that LR is unstable
        ++s.second;
      }
    }
    for (auto const& [lr, s] : sums)
      g.result.mean_curve.emplace_back(lr, s.first / static_cast<double>(s.second));
    g.result.mean = lr_optimum(g.result.mean_curve);
    out.push_back(std::move(g.result));
  }
  return out;
}

} // namespace smup
