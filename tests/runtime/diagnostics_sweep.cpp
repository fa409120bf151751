// The sweep runner: every run once, resumable from its CSV, diverged runs recorded, and
// the LR optimum interpolated in log2(lr).
#include "catch.hpp"
#include "temp_dir.hpp"

#include <smup/core/error.hpp>
#include <smup/diagnostics/csv.hpp>
#include <smup/diagnostics/sweep.hpp>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <limits>
#include <map>
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

template <class F> std::string error_text(F&& f) {
  try {
    f();
  } catch (smup::error const& e) {
    return e.what();
  }
  return "no smup::error was thrown";
}

bool contains(std::string const& text, std::string const& part) {
  return text.find(part) != std::string::npos;
}

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
