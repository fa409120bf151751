#pragma once
/// The report of a learning-rate transfer sweep over parameterization x width x density
/// (the keys the sweep runner writes): the LR optimum of every curve as a markdown table,
/// the figure (validation loss against LR, one curve per density of the target width, one
/// panel per parameterization, each curve's optimum marked), and the headline — the loss
/// of each parameterization at one density when it reuses the LR its dense base model
/// preferred.
///
///     auto records = smup::read_sweep_results("demo-results/transfer.csv");
///     auto report = smup::transfer_report(records, {.parameterizations = {"SP", "muP", "SmuP"},
///                                                   .base_width = "128", .target_width = "256",
///                                                   .lr_first = -12, .lr_last = -6});
///     report.figure.write("demo-results/transfer.svg");
///     std::cout << report.optima_table << report.base_tuned_table("1/32");
///
/// A minimum on the grid's edge only bounds the optimum; the table says which way (">=").

#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <smup/diagnostics/svg_plot.hpp>
#include <smup/diagnostics/sweep.hpp>

namespace smup {

struct TransferReportOptions {
  std::vector<std::string> parameterizations; ///< panel order, e.g. {"SP", "muP", "SmuP"}
  std::string base_width;                     ///< the dense base model's width column
  std::string target_width;                   ///< the width whose densities are plotted
  int lr_first = 0, lr_last = 0;              ///< the LR grid, as powers of two
  std::string title{};
};

struct TransferReport {
  std::string optima_table; ///< markdown: one row per (parameterization, width, density)
  SvgFigure figure;
  /// Grid LR of each base model's mean optimum, in panel order.
  std::vector<std::pair<std::string, double>> base_lr{};
  std::vector<SweepRecord> records{};
  std::string target_width{};

  /// Markdown: at `density` of the target width, each parameterization's mean validation
  /// loss (and accuracy, where recorded) with the LR its dense base model preferred.
  [[nodiscard]] std::string base_tuned_table(std::string const& density) const {
    std::string out =
        "| parameterization | base-tuned lr | val loss | val acc |\n|---|---|---|---|\n";
    for (auto const& [p, lr] : base_lr) {
      double loss = 0, acc = 0;
      int n = 0, with_acc = 0;
      for (auto const& r : records)
        if (r.spec.at("parameterization") == p && r.spec.at("width") == target_width &&
            r.spec.at("density") == density && r.spec.lr == lr && !r.result.diverged) {
          loss += r.result.val_loss;
          ++n;
          if (r.result.val_acc) {
            acc += *r.result.val_acc;
            ++with_acc;
          }
        }
      out += "| " + p + " | 2^" + fixed(std::log2(lr), 0) + " | " +
             (n ? fixed(loss / n, 4) : std::string("diverged")) + " | " +
             (with_acc ? fixed(acc / with_acc, 4) : std::string("-")) + " |\n";
    }
    return out;
  }

  static std::string fixed(double v, int digits) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.*f", digits, v);
    return buffer;
  }
};

[[nodiscard]] inline TransferReport transfer_report(std::vector<SweepRecord> const& records,
                                                    TransferReportOptions const& o) {
  TransferReport report{.optima_table = "",
                        .figure = {.title = o.title},
                        .records = records,
                        .target_width = o.target_width};
  auto const optima = lr_optima(records, {"parameterization", "width", "density"});
  auto const lr_text = [&](LrOptimum const& opt) {
    auto const exponent = std::log2(opt.grid_lr);
    std::string const bound = opt.interpolated                ? ""
                              : exponent >= o.lr_last - 1e-9  ? ">= "
                              : exponent <= o.lr_first + 1e-9 ? "<= "
                                                              : "";
    return bound + "2^" + TransferReport::fixed(std::log2(opt.lr), 2);
  };
  std::map<std::string, PlotPanel*> panels;
  for (auto const& p : o.parameterizations)
    panels[p] =
        &report.figure.add_panel(p, {"learning rate", AxisScale::log2}, {"validation loss"});
  report.optima_table = "| parameterization | width | density | optimal lr (mean, interpolated) | "
                        "per seed | val loss at optimum |\n|---|---|---|---|---|---|\n";
  for (auto const& p : o.parameterizations)
    for (auto const& g : optima) {
      if (g.group[0].second != p) continue;
      auto const& width = g.group[1].second;
      auto const& density = g.group[2].second;
      std::string per_seed;
      for (auto const& so : g.per_seed)
        per_seed += (per_seed.empty() ? "" : ", ") +
                    (so.optimum ? lr_text(*so.optimum) : std::string("diverged"));
      report.optima_table += "| " + p + " | " + width + " | " + density + " | " +
                             (g.mean ? lr_text(*g.mean) : "none") + " | " + per_seed + " | " +
                             (g.mean ? TransferReport::fixed(g.mean->loss, 4) : "-") + " |\n";
      if (width == o.base_width && density == "1" && g.mean)
        report.base_lr.emplace_back(p, g.mean->grid_lr);
      if (width != o.target_width) continue;
      auto const series = "density " + density;
      for (auto const& [lr, loss] : g.mean_curve) panels[p]->add(series, lr, loss);
      if (g.mean) panels[p]->highlight(series, g.mean->lr, g.mean->loss);
    }
  return report;
}

} // namespace smup
