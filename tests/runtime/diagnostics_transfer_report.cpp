// The transfer report: optima per (parameterization, width, density) with grid-edge bounds,
// the base models' LRs, and the loss each parameterization gets with its base-tuned LR.
#include "catch.hpp"

#include <smup/diagnostics/transfer_report.hpp>

#include <cmath>
#include <string>
#include <vector>

namespace {

smup::SweepRecord record(std::string p, std::string width, std::string density, int lr_exp,
                         double val_loss, bool diverged = false) {
  smup::SweepRecord r;
  r.spec.key = {{"parameterization", p}, {"width", width}, {"density", density}};
  r.spec.lr = std::ldexp(1.0, lr_exp);
  r.spec.seed = 0;
  r.result.train_loss = val_loss;
  r.result.val_loss = val_loss;
  r.result.diverged = diverged;
  return r;
}

/// A curve over 2^-9 ... 2^-6 whose minimum sits at `best`.
void curve(std::vector<smup::SweepRecord>& out, std::string p, std::string width,
           std::string density, int best) {
  for (int e = -9; e <= -6; ++e)
    out.push_back(record(p, width, density, e, 1.0 + 0.1 * std::abs(e - best)));
}

} // namespace

TEST_CASE("A transfer report finds each curve's optimum and bounds those on the grid's edge",
          "[diagnostics][transfer]") {
  std::vector<smup::SweepRecord> records;
  curve(records, "SP", "64", "1", -8);
  curve(records, "SP", "128", "1/4", -6); // minimum on the upper edge
  curve(records, "SmuP", "64", "1", -8);
  curve(records, "SmuP", "128", "1/4", -8);
  auto const report = smup::transfer_report(records, {.parameterizations = {"SmuP", "SP"},
                                                      .base_width = "64",
                                                      .target_width = "128",
                                                      .lr_first = -9,
                                                      .lr_last = -6,
                                                      .title = "t"});
  CHECK_THAT(report.optima_table, Catch::Contains("| SP | 128 | 1/4 | >= 2^-6.00 |"));
  CHECK_THAT(report.optima_table, Catch::Contains("| SmuP | 128 | 1/4 | 2^-8.00 |"));
  // Panel order follows the options, and the rows come grouped by parameterization.
  CHECK(report.optima_table.find("| SmuP |") < report.optima_table.find("| SP |"));
  REQUIRE(report.base_lr.size() == 2);
  CHECK(report.base_lr[0] == std::pair<std::string, double>{"SmuP", 0x1p-8});
  CHECK(report.figure.panels.size() == 2);
  // At 1/4 with the base LR 2^-8: SmuP sits at its optimum, SP two grid steps off it.
  auto const headline = report.base_tuned_table("1/4");
  CHECK_THAT(headline, Catch::Contains("| SmuP | 2^-8 | 1.0000 | - |"));
  CHECK_THAT(headline, Catch::Contains("| SP | 2^-8 | 1.2000 | - |"));
}

TEST_CASE("A transfer report says when every run at the base-tuned LR diverged",
          "[diagnostics][transfer]") {
  std::vector<smup::SweepRecord> records;
  curve(records, "SP", "64", "1", -8);
  records.push_back(record("SP", "128", "1/4", -8, NAN, true));
  records.push_back(record("SP", "128", "1/4", -9, 1.1));
  auto const report = smup::transfer_report(records, {.parameterizations = {"SP"},
                                                      .base_width = "64",
                                                      .target_width = "128",
                                                      .lr_first = -9,
                                                      .lr_last = -6});
  CHECK_THAT(report.base_tuned_table("1/4"), Catch::Contains("| SP | 2^-8 | diverged | - |"));
}
