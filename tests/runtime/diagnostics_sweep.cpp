// The sweep runner: every run once, resumable from its CSV, diverged runs recorded, and
// the LR optimum interpolated in log2(lr); split into shards, each with its own file, and
// the shards' files read back as one.
#include "catch.hpp"
#include "error_text.hpp"
#include "temp_dir.hpp"

#include <smup/core/error.hpp>
#include <smup/diagnostics/csv.hpp>
#include <smup/diagnostics/sweep.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

using smup_test::TempDir;

std::vector<std::string> const demo_columns{
    "parameterization", "width",    "density", "lr",      "seed",
    "train_loss",       "val_loss", "val_acc", "diverged"};

std::vector<smup::RunSpec> demo_grid() {
  return smup::sweep_grid(
      {{"parameterization", {"SP", "SmuP"}}, {"width", {"256"}}, {"density", {"1", "1/16"}}},
      smup::powers_of_two(-10, -8), {0, 1});
}

/// A deterministic fake training run: a parabola in log2(lr) per density.
smup::RunResult fake_train(smup::RunSpec const& run) {
  // Binary fractions throughout, so the CSV text below is exact.
  double const centre = run.at("density") == "1" ? -9.0 : -8.25;
  double const x = std::log2(run.lr) - centre;
  double const loss = 0.375 + 0.0625 * x * x + 0.0078125 * static_cast<double>(run.seed);
  return {.train_loss = loss - 0.0625, .val_loss = loss, .val_acc = 0.9};
}

std::string identity(smup::RunSpec const& run) { return run.describe(); }

using smup_test::error_text;

bool contains(std::string const& text, std::string const& part) {
  return text.find(part) != std::string::npos;
}

/// The files in `dir`, by name.
std::set<std::string> files_in(fs::path const& dir) {
  std::set<std::string> names;
  for (auto const& entry : fs::directory_iterator(dir)) names.insert(entry.path().filename());
  return names;
}

/// Equal runs with equal results, in the same order.
void check_same_records(std::vector<smup::SweepRecord> const& a,
                        std::vector<smup::SweepRecord> const& b) {
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    INFO("record " << i << ": " << a[i].spec.describe() << " / " << b[i].spec.describe());
    CHECK(a[i].spec.key == b[i].spec.key);
    CHECK(a[i].spec.lr == b[i].spec.lr);
    CHECK(a[i].spec.seed == b[i].spec.seed);
    CHECK(a[i].result.train_loss == b[i].result.train_loss);
    CHECK(a[i].result.val_loss == b[i].result.val_loss);
    CHECK(a[i].result.val_acc == b[i].result.val_acc);
    CHECK(a[i].result.diverged == b[i].result.diverged);
  }
}

/// Sets and unsets environment variables for one test, and puts every variable it
/// touched back as it was.
class Environment {
public:
  Environment() = default;
  Environment(Environment const&) = delete;
  Environment& operator=(Environment const&) = delete;
  ~Environment() {
    for (auto const& [name, value] : saved_) {
      if (value)
        ::setenv(name.c_str(), value->c_str(), 1);
      else
        ::unsetenv(name.c_str());
    }
  }
  void set(std::string const& name, std::string const& value) {
    save(name);
    ::setenv(name.c_str(), value.c_str(), 1);
  }
  void unset(std::string const& name) {
    save(name);
    ::unsetenv(name.c_str());
  }

private:
  void save(std::string const& name) {
    if (saved_.count(name)) return;
    char const* const value = std::getenv(name.c_str());
    saved_[name] = value ? std::optional<std::string>(value) : std::nullopt;
  }
  std::map<std::string, std::optional<std::string>> saved_;
};

/// Captures what std::cerr receives while alive.
struct CaptureStderr {
  std::ostringstream text;
  std::streambuf* old = std::cerr.rdbuf(text.rdbuf());
  ~CaptureStderr() { std::cerr.rdbuf(old); }
  CaptureStderr() = default;
  CaptureStderr(CaptureStderr const&) = delete;
  CaptureStderr& operator=(CaptureStderr const&) = delete;
};

} // namespace

TEST_CASE("A grid lists every combination with the seed varying fastest", "[diagnostics][sweep]") {
  auto const runs = demo_grid();
  REQUIRE(runs.size() == 2 * 2 * 3 * 2);
  CHECK(runs[0].describe() == "parameterization=SP width=256 density=1 lr=2^-10 seed=0");
  CHECK(runs[1].describe() == "parameterization=SP width=256 density=1 lr=2^-10 seed=1");
  CHECK(runs[2].describe() == "parameterization=SP width=256 density=1 lr=2^-9 seed=0");
  CHECK(runs[6].at("density") == "1/16");
  CHECK(runs.back().describe() == "parameterization=SmuP width=256 density=1/16 lr=2^-8 seed=1");
  CHECK(contains(error_text([&] { (void)runs[0].at("depth"); }), "parameterization, width"));
  CHECK_THROWS_AS(smup::powers_of_two(-6, -12), smup::error);
  CHECK_THROWS_AS(smup::sweep_grid({{"density", {}}}, {0.1}, {0}), smup::error);
}

TEST_CASE("Every run is executed once and a second sweep over the same file runs nothing",
          "[diagnostics][sweep]") {
  TempDir dir("sweep-once");
  auto const csv = dir.path / "results" / "transfer.csv";
  auto const runs = demo_grid();
  std::map<std::string, int> calls;
  auto train = [&](smup::RunSpec const& run) {
    ++calls[identity(run)];
    return fake_train(run);
  };
  smup::SweepOptions const options{.csv = csv, .columns = demo_columns, .quiet = true};
  auto const first = smup::run_sweep(runs, options, train);
  CHECK(first.total == runs.size());
  CHECK(first.executed == runs.size());
  CHECK(first.skipped == 0);
  CHECK(first.diverged == 0);
  CHECK(calls.size() == runs.size());
  for (auto const& [run, n] : calls) CHECK(n == 1);

  auto const table = smup::read_csv(csv);
  CHECK(table.header == demo_columns);
  REQUIRE(table.rows.size() == runs.size());
  CHECK(table.rows[0] == std::vector<std::string>{"SP", "256", "1", "0.0009765625", "0", "0.375",
                                                  "0.4375", "0.9", "0"});

  calls.clear();
  auto const second = smup::run_sweep(runs, options, train);
  CHECK(calls.empty());
  CHECK(second.executed == 0);
  CHECK(second.skipped == runs.size());
  CHECK(smup::read_csv(csv).rows.size() == runs.size());

  // A grown grid runs only what is new; LRs that are not powers of two match exactly too.
  auto more = runs;
  more.push_back({runs[0].key, 3e-4, 0});
  CHECK(smup::run_sweep(more, options, train).executed == 1);
  CHECK(smup::run_sweep(more, options, train).executed == 0);
}

TEST_CASE("An interrupted sweep resumes with only the remaining runs", "[diagnostics][sweep]") {
  TempDir dir("sweep-resume");
  auto const csv = dir.path / "transfer.csv";
  auto const runs = demo_grid();
  smup::SweepOptions const options{.csv = csv, .quiet = true}; // default columns
  std::map<std::string, int> calls;
  int started = 0;
  auto crashing = [&](smup::RunSpec const& run) -> smup::RunResult {
    if (++started == 6) throw std::runtime_error("out of memory on the device");
    ++calls[identity(run)];
    return fake_train(run);
  };
  CHECK_THROWS_WITH(smup::run_sweep(runs, options, crashing), "out of memory on the device");
  CHECK(smup::read_csv(csv).rows.size() == 5);

  // A configuration error is a bug, not a divergence: it stops the sweep as well.
  auto misconfigured = [&](smup::RunSpec const&) -> smup::RunResult {
    smup::detail::fail("smup::Test: bad configuration.");
  };
  CHECK_THROWS_AS(smup::run_sweep(runs, options, misconfigured), smup::error);
  CHECK(smup::read_csv(csv).rows.size() == 5);

  auto resumed = smup::run_sweep(runs, options, [&](smup::RunSpec const& run) {
    ++calls[identity(run)];
    return fake_train(run);
  });
  CHECK(resumed.skipped == 5);
  CHECK(resumed.executed == runs.size() - 5);
  CHECK(calls.size() == runs.size());
  for (auto const& [run, n] : calls) CHECK(n == 1);
  CHECK(smup::read_sweep_results(csv).size() == runs.size());
}

TEST_CASE("Diverged runs are recorded with nan losses and counted", "[diagnostics][sweep]") {
  TempDir dir("sweep-diverged");
  auto const csv = dir.path / "transfer.csv";
  auto const runs =
      smup::sweep_grid({{"density", {"1", "1/16"}}}, smup::powers_of_two(-9, -6), {0});
  auto train = [](smup::RunSpec const& run) -> smup::RunResult {
    if (run.lr == 0x1p-6) throw smup::RunDiverged("loss is inf at step 12");
    if (run.lr == 0x1p-7 && run.at("density") == "1/16")
      return {.train_loss = std::numeric_limits<double>::quiet_NaN(), .val_loss = 1.0};
    auto r = fake_train(run);
    r.val_acc.reset();
    return r;
  };
  auto const report = smup::run_sweep(runs, {.csv = csv, .quiet = true}, train);
  CHECK(report.executed == 8);
  CHECK(report.diverged == 3);

  auto const table = smup::read_csv(csv);
  std::size_t diverged_rows = 0;
  for (auto const& row : table.rows) {
    if (row[table.column("diverged")] == "1") {
      ++diverged_rows;
      CHECK(row[table.column("train_loss")] == "nan");
      CHECK(row[table.column("val_loss")] == "nan");
    } else {
      CHECK(row[table.column("val_acc")].empty()); // none reported
    }
  }
  CHECK(diverged_rows == 3);

  auto const records = smup::read_sweep_results(csv);
  auto const optima = smup::lr_optima(records, {"density"});
  REQUIRE(optima.size() == 2);
  CHECK(optima[0].group == std::vector<std::pair<std::string, std::string>>{{"density", "1"}});
  CHECK(optima[0].runs == 4);
  CHECK(optima[0].diverged == 1);
  CHECK(optima[1].diverged == 2);
  CHECK(std::isnan(optima[1].mean_curve.back().second));
  REQUIRE(optima[1].mean);
  // The density-1/16 minimum sits next to a diverged LR: no parabola, the grid point wins.
  CHECK(optima[1].mean->grid_lr == 0x1p-8);
  CHECK_FALSE(optima[1].mean->interpolated);
}

TEST_CASE("The interpolated optimum is exact for a parabola in log2 of the LR",
          "[diagnostics][sweep]") {
  auto parabola = [](double centre, std::vector<int> const& exponents) {
    std::vector<std::pair<double, double>> points;
    for (int e : exponents)
      points.emplace_back(std::ldexp(1.0, e), 0.3 + 0.02 * (e - centre) * (e - centre));
    return points;
  };
  auto const opt = smup::lr_optimum(parabola(-8.3, {-12, -11, -10, -9, -8, -7, -6}));
  REQUIRE(opt);
  CHECK(opt->interpolated);
  CHECK(opt->grid_lr == 0x1p-8);
  CHECK(std::log2(opt->lr) == Approx(-8.3).margin(1e-12));
  CHECK(opt->loss == Approx(0.3).margin(1e-12));

  // Uneven spacing and shuffled input do not matter.
  auto const uneven = smup::lr_optimum(parabola(-9.6, {-6, -12, -9, -10, -7}));
  REQUIRE(uneven);
  CHECK(uneven->interpolated);
  CHECK(std::log2(uneven->lr) == Approx(-9.6).margin(1e-12));
}

TEST_CASE("The optimum falls back to the grid point at the edge or on a flat stretch",
          "[diagnostics][sweep]") {
  std::vector<std::pair<double, double>> const edge{
      {0x1p-12, 0.30}, {0x1p-11, 0.35}, {0x1p-10, 0.5}};
  auto const at_edge = smup::lr_optimum(edge);
  REQUIRE(at_edge);
  CHECK_FALSE(at_edge->interpolated);
  CHECK(at_edge->lr == 0x1p-12);
  CHECK(at_edge->loss == 0.30);

  auto const upper_edge = smup::lr_optimum({{0x1p-12, 0.5}, {0x1p-11, 0.4}});
  REQUIRE(upper_edge);
  CHECK(upper_edge->lr == 0x1p-11);

  auto const flat = smup::lr_optimum({{0x1p-10, 0.4}, {0x1p-9, 0.4}, {0x1p-8, 0.4}});
  REQUIRE(flat);
  CHECK_FALSE(flat->interpolated);
  CHECK(flat->lr == 0x1p-10);

  double const nan = std::numeric_limits<double>::quiet_NaN();
  CHECK_FALSE(smup::lr_optimum({{0x1p-10, nan}, {0x1p-9, nan}}));
  CHECK_FALSE(smup::lr_optimum({}));
  CHECK_THROWS_AS(smup::lr_optimum({{0x1p-9, 0.4}, {0x1p-9, 0.5}}), smup::error);
  CHECK_THROWS_AS(smup::lr_optimum({{0.0, 0.4}}), smup::error);
}

TEST_CASE("Optima are found per seed and for the mean over seeds in each group",
          "[diagnostics][sweep]") {
  std::vector<smup::SweepRecord> records;
  for (auto const* p : {"SP", "SmuP"})
    for (std::uint64_t seed : {0, 1})
      for (int e = -12; e <= -6; ++e) {
        // Same curvature, centres -8.2 and -8.6 (SP one octave lower): the mean of the two
        // seeds is a parabola centred halfway.
        double const centre = (seed == 0 ? -8.2 : -8.6) + (p[1] == 'P' ? -1.0 : 0.0);
        double const loss = 0.3 + 0.02 * (e - centre) * (e - centre);
        records.push_back({{{{"parameterization", p}, {"width", "256"}}, std::ldexp(1.0, e), seed},
                           {.train_loss = loss, .val_loss = loss}});
      }
  auto const optima = smup::lr_optima(records, {"parameterization"});
  REQUIRE(optima.size() == 2);
  CHECK(optima[0].group[0].second == "SP");
  REQUIRE(optima[0].per_seed.size() == 2);
  CHECK(optima[0].per_seed[0].seed == 0);
  REQUIRE(optima[0].per_seed[0].optimum);
  CHECK(std::log2(optima[0].per_seed[0].optimum->lr) == Approx(-9.2).margin(1e-9));
  CHECK(std::log2(optima[0].per_seed[1].optimum->lr) == Approx(-9.6).margin(1e-9));
  REQUIRE(optima[0].mean);
  CHECK(std::log2(optima[0].mean->lr) == Approx(-9.4).margin(1e-9));
  CHECK(optima[0].mean_curve.size() == 7);
  REQUIRE(optima[1].mean);
  CHECK(std::log2(optima[1].mean->lr) == Approx(-8.4).margin(1e-9));
  CHECK(optima[1].runs == 14);

  // Two widths in one group would mix two curves: an error that says what to add.
  auto mixed = records;
  mixed.push_back(records[0]);
  mixed.back().spec.key[1].second = "512";
  CHECK(contains(error_text([&] { (void)smup::lr_optima(mixed, {"parameterization"}); }),
                 "group_by"));
  CHECK(smup::lr_optima(mixed, {"parameterization", "width"}).size() == 3);
}

TEST_CASE("A bad grid or column list is an error before any run starts", "[diagnostics][sweep]") {
  TempDir dir("sweep-bad");
  auto const csv = dir.path / "t.csv";
  int calls = 0;
  auto train = [&](smup::RunSpec const& run) {
    ++calls;
    return fake_train(run);
  };
  smup::SweepOptions const options{.csv = csv, .quiet = true};
  auto runs = demo_grid();

  auto duplicated = runs;
  duplicated.push_back(runs[3]);
  CHECK(contains(error_text([&] { smup::run_sweep(duplicated, options, train); }), "twice"));

  auto bad_lr = runs;
  bad_lr[2].lr = -1;
  CHECK(contains(error_text([&] { smup::run_sweep(bad_lr, options, train); }), "learning rate"));

  auto other_keys = runs;
  other_keys[1].key.pop_back();
  CHECK(contains(error_text([&] { smup::run_sweep(other_keys, options, train); }),
                 "other key names"));

  auto reserved = runs;
  for (auto& r : reserved) r.key[0].first = "seed";
  CHECK(contains(error_text([&] { smup::run_sweep(reserved, options, train); }), "'seed'"));

  auto missing = options;
  missing.columns = {"parameterization", "width",    "lr",      "seed",
                     "train_loss",       "val_loss", "diverged"};
  CHECK(contains(error_text([&] { smup::run_sweep(runs, missing, train); }), "'density'"));
  auto unknown = options;
  unknown.columns = demo_columns;
  unknown.columns.push_back("depth");
  CHECK(contains(error_text([&] { smup::run_sweep(runs, unknown, train); }), "'depth'"));

  smup::write_csv(csv, {"lr", "loss"}, {});
  CHECK(contains(error_text([&] { smup::run_sweep(runs, options, train); }), csv.string()));
  CHECK(calls == 0);
}

TEST_CASE("Each run prints a progress line with its loss and an ETA unless quiet",
          "[diagnostics][sweep]") {
  TempDir dir("sweep-progress");
  auto const runs = smup::sweep_grid({{"density", {"1/16"}}}, {0x1p-9, 3e-4}, {7});
  std::string text;
  {
    CaptureStderr capture;
    smup::run_sweep(runs, {.csv = dir.path / "a.csv"}, fake_train);
    smup::run_sweep(runs, {.csv = dir.path / "b.csv", .quiet = true}, fake_train);
    text = capture.text.str();
  }
  INFO(text);
  CHECK(contains(text, "[1/2] density=1/16 lr=2^-9 seed=7  val_loss 0.4648  train_loss 0.4023"
                       "  val_acc 0.9000  ("));
  CHECK(contains(text, "[2/2] density=1/16 lr=0.0003 seed=7  val_loss "));
  CHECK(contains(text, ", ETA "));
  CHECK(text.find("[1/2]") == text.rfind("[1/2]")); // the quiet sweep printed nothing
}

TEST_CASE("Shard i of n trains the runs at positions p with p % n == i - 1, into its own file",
          "[diagnostics][sweep][shard]") {
  TempDir dir("sweep-shards");
  auto const runs = demo_grid(); // 24 runs
  auto const unsharded = dir.path / "unsharded" / "transfer.csv";
  smup::run_sweep(runs, {.csv = unsharded, .quiet = true}, fake_train);
  auto const reference = smup::read_sweep_results(unsharded);

  for (int n : {1, 2, 3, 5, 24, 30}) {
    INFO("n = " << n);
    auto const folder = dir.path / ("n" + std::to_string(n));
    auto const csv = folder / "transfer.csv";
    std::map<std::string, int> calls;
    std::set<std::string> expected_files;
    for (int i = 1; i <= n; ++i) {
      INFO("shard " << i);
      std::vector<std::string> mine;
      auto const report = smup::run_sweep(runs, {.csv = csv, .quiet = true, .shard = {i, n}},
                                          [&](smup::RunSpec const& run) {
                                            ++calls[identity(run)];
                                            mine.push_back(identity(run));
                                            return fake_train(run);
                                          });
      std::vector<std::string> positions;
      for (std::size_t p = static_cast<std::size_t>(i - 1); p < runs.size();
           p += static_cast<std::size_t>(n))
        positions.push_back(identity(runs[p]));
      CHECK(mine == positions);
      CHECK(report.total == positions.size());
      CHECK(report.executed == positions.size());
      CHECK(report.skipped == 0);

      // Each shard wrote its own file and no other.
      auto const own = smup::shard_csv_path(csv, {i, n});
      CHECK(own == (n == 1 ? csv
                           : folder / ("transfer.shard-" + std::to_string(i) + "-of-" +
                                       std::to_string(n) + ".csv")));
      expected_files.insert(own.filename());
      CHECK(files_in(folder) == expected_files);
      CHECK(smup::read_csv(own).rows.size() == positions.size());
      // Complete once every shard that has runs is done.
      CHECK(smup::sweep_progress(runs, csv).complete() ==
            (static_cast<std::size_t>(i) >= std::min(static_cast<std::size_t>(n), runs.size())));
    }
    CHECK(calls.size() == runs.size());
    for (auto const& [run, count] : calls) CHECK(count == 1);
    CHECK(smup::sweep_csv_files(csv).size() == static_cast<std::size_t>(n));

    // The merged shards are the unsharded sweep: in the grid's order when given the grid.
    check_same_records(smup::read_sweep_results_merged(csv, runs), reference);
    CHECK(smup::read_sweep_results_merged(csv).size() == runs.size());
    auto const progress = smup::sweep_progress(runs, csv);
    CHECK(progress.done == runs.size());
    CHECK(progress.files == smup::sweep_csv_files(csv));
  }
}

TEST_CASE("A sweep resumed with another shard count trains only the runs no file holds",
          "[diagnostics][sweep][shard]") {
  TempDir dir("sweep-shard-resume");
  auto const csv = dir.path / "transfer.csv";
  auto const runs = demo_grid();
  std::map<std::string, int> calls;
  auto train = [&](smup::RunSpec const& run) {
    ++calls[identity(run)];
    return fake_train(run);
  };
  // Half of the sweep as shard 1 of 2 (the even positions), then the rest in three shards.
  CHECK(smup::run_sweep(runs, {.csv = csv, .quiet = true, .shard = {1, 2}}, train).executed == 12);
  auto progress = smup::sweep_progress(runs, csv);
  CHECK(progress.total == 24);
  CHECK(progress.done == 12);
  REQUIRE(progress.missing.size() == 12);
  CHECK(identity(progress.missing.front()) == identity(runs[1])); // grid order
  CHECK(identity(progress.missing.back()) == identity(runs[23]));
  CHECK_FALSE(progress.complete());

  std::size_t executed = 0, skipped = 0;
  for (int i = 1; i <= 3; ++i) {
    auto const report = smup::run_sweep(runs, {.csv = csv, .quiet = true, .shard = {i, 3}}, train);
    CHECK(report.total == 8);
    executed += report.executed;
    skipped += report.skipped;
  }
  CHECK(executed == 12);
  CHECK(skipped == 12);
  CHECK(calls.size() == runs.size());
  for (auto const& [run, count] : calls) CHECK(count == 1);
  CHECK(smup::sweep_progress(runs, csv).complete());

  // Unsharded, the same sweep finds every run in the shard files and trains none; its
  // own file, the CSV, gets the header only.
  auto const last = smup::run_sweep(runs, {.csv = csv, .quiet = true}, train);
  CHECK(last.executed == 0);
  CHECK(last.skipped == 24);
  CHECK(smup::read_csv(csv).rows.empty());
  CHECK(smup::sweep_csv_files(csv) ==
        std::vector<fs::path>{
            csv, dir.path / "transfer.shard-1-of-2.csv", dir.path / "transfer.shard-1-of-3.csv",
            dir.path / "transfer.shard-2-of-3.csv", dir.path / "transfer.shard-3-of-3.csv"});

  // A grown grid trains only what is new, into the file of the shard that owns it.
  auto more = runs;
  more.push_back({runs[0].key, 3e-4, 0}); // position 24
  calls.clear();
  CHECK(smup::run_sweep(more, {.csv = csv, .quiet = true, .shard = {2, 3}}, train).executed == 0);
  CHECK(smup::run_sweep(more, {.csv = csv, .quiet = true, .shard = {1, 3}}, train).executed == 1);
  CHECK(calls.size() == 1);
  CHECK(smup::read_sweep_results_merged(csv, more).size() == 25);
}

TEST_CASE("Merging keeps one copy of a run found twice and skips a line being written",
          "[diagnostics][sweep][shard]") {
  TempDir dir("sweep-shard-merge");
  auto const csv = dir.path / "transfer.csv";
  auto const runs = demo_grid();
  smup::SweepOptions const first{.csv = csv, .quiet = true, .shard = {1, 2}};
  smup::run_sweep(runs, first, fake_train);
  auto const shard_file = dir.path / "transfer.shard-1-of-2.csv";

  // The same runs again in a file of a larger shard count, with other losses: the copy in
  // the first file (by shard count, then index) is the one kept.
  auto copy = smup::read_csv(shard_file);
  for (auto& row : copy.rows) row[copy.column("val_loss")] = "7";
  smup::write_csv(dir.path / "transfer.shard-3-of-4.csv", copy.header, copy.rows);
  auto const merged = smup::read_sweep_results_merged(csv);
  REQUIRE(merged.size() == 12);
  for (auto const& rec : merged) CHECK(rec.result.val_loss != 7);

  // A line another process is writing (no newline yet) is not a run yet.
  {
    std::ofstream out(dir.path / "transfer.shard-2-of-2.csv", std::ios::binary);
    out << smup::csv_line(copy.header) << "SP,256,1,0.0009765625,1,0.375";
  }
  CHECK(smup::read_sweep_results_merged(csv).size() == 12);
  CHECK(smup::sweep_progress(runs, csv).done == 12);
  // Shard 2 of 2 drops that unfinished line and trains its runs.
  auto const second =
      smup::run_sweep(runs, {.csv = csv, .quiet = true, .shard = {2, 2}}, fake_train);
  CHECK(second.executed == 12);
  CHECK(smup::read_sweep_results_merged(csv).size() == 24);
  CHECK(smup::read_csv(dir.path / "transfer.shard-2-of-2.csv").rows.size() == 12);

  // Files of another layout, and a sweep with no file at all, are errors that say so.
  smup::write_csv(dir.path / "transfer.shard-1-of-3.csv", {"lr", "seed", "loss"}, {});
  auto const mixed = error_text([&] { (void)smup::read_sweep_results_merged(csv); });
  CHECK(contains(mixed, "transfer.shard-1-of-3.csv"));
  CHECK(contains(mixed, "transfer.shard-1-of-2.csv"));
  CHECK(contains(mixed, "lr,seed,loss"));
  CHECK(contains(error_text([&] { smup::run_sweep(runs, first, fake_train); }),
                 "transfer.shard-1-of-3.csv"));
  CHECK(contains(error_text([&] { (void)smup::sweep_progress(runs, csv); }), "lr,seed,loss"));
  CHECK(contains(error_text([&] { (void)smup::read_sweep_results_merged(dir.path / "none.csv"); }),
                 "none.shard-<i>-of-<n>.csv"));
}

TEST_CASE("Shards are written i/n, 1-based, and their files named after the CSV",
          "[diagnostics][sweep][shard]") {
  CHECK(smup::parse_shard("2/4") == smup::SweepShard{.index = 2, .count = 4});
  CHECK(smup::parse_shard("1/1") == smup::SweepShard{});
  CHECK(smup::parse_shard("4/4").describe() == "shard 4 of 4");
  for (std::string bad :
       {"0/4", "5/4", "3/2", "1/0", "a/b", "2", "2/", "/4", "-1/4", "2/4x", "", " 1/2", "1/2/3"}) {
    INFO("'" << bad << "'");
    CHECK(contains(error_text([&] { (void)smup::parse_shard(bad); }), "'" + bad + "'"));
  }
  CHECK(contains(error_text([&] { (void)smup::parse_shard("3/2"); }), "numbered 1 to 2"));
  CHECK(contains(error_text([&] { (void)smup::parse_shard("1/0"); }), "at least one"));

  CHECK(smup::shard_csv_path("out/transfer.csv", {2, 4}) == "out/transfer.shard-2-of-4.csv");
  CHECK(smup::shard_csv_path("out/transfer.csv", {1, 1}) == "out/transfer.csv");
  CHECK(smup::shard_csv_path("results", {1, 2}) == "results.shard-1-of-2");
  CHECK_THROWS_AS(smup::shard_csv_path("t.csv", {0, 2}), smup::error);

  TempDir dir("sweep-shard-names");
  auto const csv = dir.path / "transfer.csv";
  for (auto name :
       {"transfer.shard-02-of-4.csv", "transfer.shard-1-of-1.csv", "transfer.shard-5-of-4.csv",
        "other.shard-1-of-2.csv", "transfer.shard-1-of-2.csv.tmp-123", "transfer.shard-x-of-2.csv",
        "transfer.shard-10-of-12.csv", "transfer.shard-2-of-2.csv"})
    std::ofstream(dir.path / name) << "";
  CHECK(smup::sweep_csv_files(csv) ==
        std::vector<fs::path>{dir.path / "transfer.shard-2-of-2.csv",
                              dir.path / "transfer.shard-10-of-12.csv"});
  CHECK(smup::sweep_csv_files(dir.path / "missing" / "transfer.csv").empty());

  int calls = 0;
  auto train = [&](smup::RunSpec const& run) {
    ++calls;
    return fake_train(run);
  };
  CHECK(
      contains(error_text([&] {
                 smup::run_sweep(demo_grid(), {.csv = csv, .quiet = true, .shard = {3, 2}}, train);
               }),
               "shard 3 of 2"));
  CHECK(calls == 0);
}

TEST_CASE("A sharded sweep says which shard it is and tags its progress lines",
          "[diagnostics][sweep][shard]") {
  TempDir dir("sweep-shard-progress");
  auto const runs = smup::sweep_grid({{"density", {"1/16"}}}, {0x1p-9, 0x1p-8, 3e-4}, {7});
  std::string text;
  {
    CaptureStderr capture;
    smup::run_sweep(runs, {.csv = dir.path / "a.csv", .shard = {2, 2}}, fake_train);
    smup::run_sweep(runs, {.csv = dir.path / "a.csv"}, fake_train);
    text = capture.text.str();
  }
  INFO(text);
  CHECK(contains(text, "smup sweep, shard 2 of 2: 1 of the grid's 3 runs are this shard's; it "
                       "appends to '"));
  CHECK(contains(text, "a.shard-2-of-2.csv'"));
  CHECK(contains(text, "shard 2/2 [1/1] density=1/16 lr=2^-8 seed=7  val_loss "));
  CHECK(contains(text, "smup sweep: 1 of 3 runs are already in '"));
  CHECK(contains(text, "a.csv' or its shard files; running the other 2."));
}

TEST_CASE("The shard of an MPI rank or Slurm task comes from its launcher's variables",
          "[diagnostics][sweep][shard]") {
  Environment env;
  std::vector<std::string> const names{
      "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "PMI_RANK", "PMI_SIZE",
      "SLURM_PROCID",         "SLURM_NTASKS"};
  for (auto const& name : names) env.unset(name);
  CHECK(smup::shard_from_environment() == smup::SweepShard{}); // one process

  env.set("SLURM_PROCID", "3");
  env.set("SLURM_NTASKS", "8");
  CHECK(smup::shard_from_environment() == smup::SweepShard{4, 8});
  env.set("PMI_RANK", "0");
  env.set("PMI_SIZE", "2");
  CHECK(smup::shard_from_environment() == smup::SweepShard{1, 2}); // MPI before Slurm
  env.set("OMPI_COMM_WORLD_RANK", "5");
  env.set("OMPI_COMM_WORLD_SIZE", "6");
  CHECK(smup::shard_from_environment() == smup::SweepShard{6, 6}); // Open MPI first

  for (auto const& name : names) env.unset(name);
  env.set("PMI_RANK", "1");
  env.set("PMI_SIZE", "4");
  CHECK(smup::shard_from_environment() == smup::SweepShard{2, 4});

  // Broken variables are errors that name them, never a silent guess.
  env.set("PMI_RANK", "4");
  CHECK(contains(error_text([] { (void)smup::shard_from_environment(); }), "PMI_RANK='4'"));
  env.set("PMI_RANK", "one");
  CHECK(contains(error_text([] { (void)smup::shard_from_environment(); }), "PMI_RANK='one'"));
  env.unset("PMI_SIZE");
  env.set("PMI_RANK", "1");
  CHECK(contains(error_text([] { (void)smup::shard_from_environment(); }), "PMI_SIZE is not set"));
  env.unset("PMI_RANK");
  env.set("OMPI_COMM_WORLD_SIZE", "0");
  env.set("OMPI_COMM_WORLD_RANK", "0");
  CHECK(contains(error_text([] { (void)smup::shard_from_environment(); }),
                 "OMPI_COMM_WORLD_SIZE='0'"));
}
