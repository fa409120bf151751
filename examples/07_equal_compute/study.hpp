#pragma once
// The part of example_07_equal_compute that both models share: tuning the LR on the dense
// base model (a resumable sweep), the seven compared configurations, one curve file per
// finished run, the figure and the model's section of summary.md. The models' own files
// (gpt.cpp, mlp.cpp) say how to train and how to count FLOPs.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iostream>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <Kokkos_Core.hpp>

#include <smup/core/identity.hpp>
#include <smup/core/parse_ratio.hpp>
#include <smup/diagnostics/csv.hpp>
#include <smup/diagnostics/svg_plot.hpp>
#include <smup/diagnostics/sweep.hpp>
#include <smup/optim/divergence.hpp>

#include "../common/pattern_by_name.hpp"
#include "settings.hpp"

namespace smup_example::equal_compute {

/// One compared model: its hidden matrices' pattern ("dense" for the base), width, density.
struct Config {
  std::string pattern;
  std::int64_t width = 0;
  std::string density; ///< "1", "1/4", "1/16"

  [[nodiscard]] std::string label() const {
    return pattern == dense_pattern ? "dense " + std::to_string(width)
                                    : pattern + " " + std::to_string(width) + " @ " + density;
  }
};

/// One evaluation of a comparison run, after `step` optimizer steps.
struct Point {
  int step = 0;
  double samples = 0; ///< tokens (GPT) or images (MLP) trained on
  double flops = 0;   ///< counted training FLOPs so far
  double seconds = 0; ///< wall time of training so far, evaluations left out
  double val_loss = 0;
};

/// What a comparison run measured: the model's size and its curve.
struct Curve {
  std::int64_t hidden_kept = 0;
  std::int64_t params = 0;
  double flops_per_step = 0;
  std::vector<Point> points;
};

/// Everything a model brings to the study.
struct ModelStudy {
  std::string model;        ///< "gpt" or "mlp": file names and the CSVs' model column
  std::string title;        ///< "GPT on fortunes", for the figure and the report
  std::string samples_name; ///< "tokens" or "images"
  std::string description;  ///< markdown: the model and its training, for the report
  std::string block;        ///< the block pattern's name, e.g. "block4x4"
  std::int64_t base_width = 0;
  int lr_first = 0, lr_last = 0;
  int steps = 0;
  double samples_per_step = 0;
  /// A dense base-model run for the LR sweep.
  std::function<smup::RunResult(double lr, std::uint64_t seed)> tune;
  /// A comparison run that evaluates after each step of `record_at`.
  std::function<Curve(Config const&, double lr, std::uint64_t seed,
                      std::vector<int> const& record_at)>
      compare;
};

/// The wall clock of training only: paused while the model is evaluated. Reading it
/// waits for the device first, so queued kernels count where they ran.
class TrainingClock {
public:
  using clock = std::chrono::steady_clock;
  TrainingClock() : since_(clock::now()) {}
  /// Stops the clock; returns the training seconds so far.
  double pause() {
    Kokkos::fence();
    total_ += std::chrono::duration<double>(clock::now() - since_).count();
    return total_;
  }
  void resume() { since_ = clock::now(); }

private:
  clock::time_point since_;
  double total_ = 0;
};

/// The steps after which a run of `steps` steps evaluates: `points` evenly spaced, the
/// last at the end.
inline std::vector<int> record_steps(int steps, int points) {
  std::vector<int> at;
  for (int k = 1; k <= points; ++k) {
    int const step = static_cast<int>(std::lround(double(steps) * k / points));
    if (step >= 1 && (at.empty() || step > at.back())) at.push_back(step);
  }
  return at;
}

/// The curve recorder a model's compare function hands to its training loop: after each
/// recorded step, pauses the clock, evaluates with `loss()` and resumes.
struct Recorder {
  std::vector<int> const& record_at;
  double samples_per_step = 0;
  double flops_per_step = 0;
  std::vector<Point>& points;
  TrainingClock clock{};

  template <class Loss> void after_step(int step, Loss&& loss) {
    if (!std::binary_search(record_at.begin(), record_at.end(), step)) return;
    double const seconds = clock.pause();
    points.push_back({.step = step,
                      .samples = step * samples_per_step,
                      .flops = step * flops_per_step,
                      .seconds = seconds,
                      .val_loss = loss()});
    clock.resume();
  }
};

inline std::string fixed(double v, int digits) {
  if (!std::isfinite(v)) return "diverged";
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(digits);
  out << v;
  return out.str();
}

/// 1.23e+12 style, for FLOP counts.
inline std::string sci(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.3g", v);
  return buffer;
}

inline std::vector<std::string> const curve_header{
    "model",         "pattern",  "width",       "density", "lr",
    "seed",          "steps",    "step",        "samples", "flops",
    "train_seconds", "val_loss", "hidden_kept", "params",  "flops_per_step"};

/// The seven compared configurations: dense d; 2d at 1/4 and 4d at 1/16 for each kind.
inline std::vector<Config> configurations(ModelStudy const& m) {
  std::vector<Config> configs{{std::string(dense_pattern), m.base_width, "1"}};
  for (auto const& kind : {std::string("unstructured"), std::string("nm"), m.block}) {
    configs.push_back({kind, 2 * m.base_width, "1/4"});
    configs.push_back({kind, 4 * m.base_width, "1/16"});
  }
  return configs;
}

/// The file holding one finished comparison run's curve.
inline std::filesystem::path run_file(Settings const& s, ModelStudy const& m, Config const& c,
                                      double lr, std::uint64_t seed) {
  std::string density = c.density;
  std::replace(density.begin(), density.end(), '/', '-');
  return s.out / "runs" /
         (m.model + "_" + c.pattern + "_w" + std::to_string(c.width) + "_d" + density + "_log2lr" +
          std::to_string(std::lround(std::log2(lr))) + "_steps" + std::to_string(m.steps) +
          "_seed" + std::to_string(seed) + ".csv");
}

inline void write_run(std::filesystem::path const& file, ModelStudy const& m, Config const& c,
                      double lr, std::uint64_t seed, Curve const& curve) {
  std::vector<std::vector<std::string>> rows;
  for (auto const& p : curve.points)
    rows.push_back({m.model, c.pattern, std::to_string(c.width), c.density,
                    smup::detail::format_double(lr), std::to_string(seed), std::to_string(m.steps),
                    std::to_string(p.step), smup::detail::format_double(p.samples),
                    smup::detail::format_double(p.flops), smup::detail::format_double(p.seconds),
                    smup::detail::format_double(p.val_loss), std::to_string(curve.hidden_kept),
                    std::to_string(curve.params),
                    smup::detail::format_double(curve.flops_per_step)});
  smup::write_csv(file, curve_header, rows); // whole or not at all
}

inline Curve read_run(std::filesystem::path const& file) {
  auto const t = smup::read_csv(file);
  Curve curve;
  for (auto const& row : t.rows) {
    curve.hidden_kept = std::stoll(row[t.column("hidden_kept")]);
    curve.params = std::stoll(row[t.column("params")]);
    curve.flops_per_step = std::stod(row[t.column("flops_per_step")]);
    curve.points.push_back({.step = std::stoi(row[t.column("step")]),
                            .samples = std::stod(row[t.column("samples")]),
                            .flops = std::stod(row[t.column("flops")]),
                            .seconds = std::stod(row[t.column("train_seconds")]),
                            .val_loss = std::stod(row[t.column("val_loss")])});
  }
  return curve;
}

/// curves.csv: every finished run's curve (of any model and setting) from DIR/runs.
inline void write_curves_csv(Settings const& s) {
  std::vector<std::filesystem::path> files;
  if (std::filesystem::is_directory(s.out / "runs"))
    for (auto const& entry : std::filesystem::directory_iterator(s.out / "runs"))
      if (entry.is_regular_file() && entry.path().extension() == ".csv")
        files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  std::vector<std::vector<std::string>> rows;
  for (auto const& file : files) {
    auto const t = smup::read_csv(file);
    if (t.header != curve_header) continue; // not one of ours
    rows.insert(rows.end(), t.rows.begin(), t.rows.end());
  }
  smup::write_csv(s.out / "curves.csv", curve_header, rows);
}

/// The runs of one configuration: their curves, one per seed.
struct ConfigResult {
  Config config;
  std::vector<Curve> seeds;
  std::vector<Point> mean; ///< point by point over seeds (nan where a seed diverged)

  [[nodiscard]] double final_loss() const {
    return mean.empty() ? std::numeric_limits<double>::quiet_NaN() : mean.back().val_loss;
  }
};

inline std::vector<Point> mean_curve(std::vector<Curve> const& curves) {
  std::vector<Point> mean;
  if (curves.empty()) return mean;
  std::size_t n = curves.front().points.size();
  for (auto const& c : curves) n = std::min(n, c.points.size());
  for (std::size_t k = 0; k < n; ++k) {
    Point p = curves.front().points[k];
    p.seconds = p.val_loss = 0;
    for (auto const& c : curves) {
      p.seconds += c.points[k].seconds / double(curves.size());
      p.val_loss += c.points[k].val_loss / double(curves.size());
    }
    mean.push_back(p);
  }
  return mean;
}

/// The mean curve's loss at x (FLOPs or seconds, as `x` reads a point), linear between
/// recorded points; empty when x lies before the first or after the last point.
template <class X>
std::optional<double> loss_at(std::vector<Point> const& curve, double x, X read_x) {
  for (std::size_t k = 0; k < curve.size(); ++k) {
    double const xk = read_x(curve[k]);
    if (xk < x) continue;
    if (xk == x) return curve[k].val_loss;
    if (k == 0) return std::nullopt;
    double const x0 = read_x(curve[k - 1]);
    double const f = (x - x0) / (xk - x0);
    return curve[k - 1].val_loss + f * (curve[k].val_loss - curve[k - 1].val_loss);
  }
  return std::nullopt;
}

/// The first recorded point of the mean curve at or below `loss`.
inline std::optional<Point> first_reaching(std::vector<Point> const& curve, double loss) {
  for (auto const& p : curve)
    if (std::isfinite(p.val_loss) && p.val_loss <= loss) return p;
  return std::nullopt;
}

/// Step 1: the LR of the dense base model, from a resumable sweep into lr_tuning.csv.
/// Returns the grid point whose mean validation loss over seeds is lowest, and the text
/// the report gives about it.
inline std::pair<double, std::string> tune_lr(Settings const& s, ModelStudy const& m) {
  std::vector<std::uint64_t> seeds;
  for (int i = 0; i < s.seeds; ++i) seeds.push_back(static_cast<std::uint64_t>(i));
  auto const lrs = smup::powers_of_two(m.lr_first, m.lr_last);
  // The step count is a key: another budget tunes afresh instead of reusing these runs.
  auto const runs = smup::sweep_grid({{"model", {m.model}},
                                      {"width", {std::to_string(m.base_width)}},
                                      {"density", {"1"}},
                                      {"steps", {std::to_string(m.steps)}}},
                                     lrs, seeds);
  auto const csv = s.out / "lr_tuning.csv";
  auto const sweep = smup::run_sweep(
      runs, {.csv = csv}, [&](smup::RunSpec const& run) { return m.tune(run.lr, run.seed); });
  std::cerr << m.model << " LR tuning: " << sweep.executed << " runs trained, " << sweep.skipped
            << " kept from an earlier run, " << sweep.diverged << " diverged\n";
  std::map<std::string, bool> in_grid;
  for (auto const& run : runs) in_grid[smup::detail::run_identity(run)] = true;
  std::vector<smup::SweepRecord> records;
  for (auto& r : smup::read_sweep_results_merged(csv, runs))
    if (r.spec.key.size() == 4 && in_grid.count(smup::detail::run_identity(r.spec)))
      records.push_back(std::move(r));
  auto const optima = smup::lr_optima(records, {"model"});
  if (optima.empty() || !optima.front().mean)
    throw std::runtime_error(m.model + ": every LR of the tuning grid diverged; nothing to "
                                       "transfer. Move the grid (the example's settings).");
  auto const& best = optima.front();
  double const lr = best.mean->grid_lr;
  int const exponent = static_cast<int>(std::lround(std::log2(lr)));
  std::ostringstream text;
  text << "LR grid 2^" << m.lr_first << " ... 2^" << m.lr_last << ", " << s.seeds
       << " seed(s), dense base model (width " << m.base_width << "), " << m.steps
       << " steps. Mean validation loss over seeds:\n\n| lr | mean val loss |\n|---|---|\n";
  for (auto const& [point, loss] : best.mean_curve)
    text << "| " << smup::detail::format_lr(point) << " | " << fixed(loss, 4) << " |\n";
  text << "\nTuned LR: **2^" << exponent << "** (lowest mean validation loss "
       << fixed(best.mean->grid_loss, 4);
  if (best.mean->interpolated)
    text << "; the parabola through it and its neighbours puts the optimum at 2^"
         << fixed(std::log2(best.mean->lr), 2);
  text << ")";
  if (exponent <= m.lr_first || exponent >= m.lr_last)
    text << ". **At the grid's edge**: the true optimum may lie beyond it";
  text << ".\n";
  return {lr, text.str()};
}

/// Trains (or reads back) every run of the comparison.
inline std::vector<ConfigResult> compare_all(Settings const& s, ModelStudy const& m, double lr) {
  auto const record_at = record_steps(m.steps, s.points);
  std::vector<ConfigResult> results;
  int trained = 0, kept = 0;
  auto const configs = configurations(m);
  int const total = static_cast<int>(configs.size()) * s.seeds;
  for (auto const& config : configs) {
    ConfigResult result{.config = config, .seeds = {}, .mean = {}};
    for (int seed = 0; seed < s.seeds; ++seed) {
      auto const file = run_file(s, m, config, lr, static_cast<std::uint64_t>(seed));
      if (std::filesystem::exists(file)) {
        result.seeds.push_back(read_run(file));
        ++kept;
        continue;
      }
      auto const start = std::chrono::steady_clock::now();
      std::cerr << m.model << " [" << trained + kept + 1 << "/" << total << "] " << config.label()
                << " seed " << seed << " ... " << std::flush;
      auto curve = m.compare(config, lr, static_cast<std::uint64_t>(seed), record_at);
      write_run(file, m, config, lr, static_cast<std::uint64_t>(seed), curve);
      std::cerr
          << fixed(curve.points.empty() ? std::nan("") : curve.points.back().val_loss, 4) << " ("
          << smup::detail::format_duration(
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count())
          << ")\n";
      result.seeds.push_back(std::move(curve));
      ++trained;
    }
    result.mean = mean_curve(result.seeds);
    results.push_back(std::move(result));
  }
  std::cerr << m.model << " comparison: " << trained << " runs trained, " << kept
            << " kept from an earlier run\n";
  return results;
}

/// The figure: mean validation loss against samples, counted FLOPs and wall seconds.
inline void write_figure(Settings const& s, ModelStudy const& m,
                         std::vector<ConfigResult> const& results) {
  smup::SvgFigure fig{.title = m.title + ": equal hidden FLOPs, dense vs wider sparse (mean of " +
                               std::to_string(s.seeds) + " seed(s))",
                      .share_y = true};
  bool const millions = m.samples_name == "tokens";
  double const samples_unit = millions ? 1e6 : 1e3;
  auto& by_samples =
      fig.add_panel("against data", {m.samples_name + (millions ? " (millions)" : " (thousands)")},
                    {"validation loss"});
  auto& by_flops =
      fig.add_panel("against compute", {"counted training FLOPs (10^12)"}, {"validation loss"});
  auto& by_time = fig.add_panel("against time", {"wall seconds of training"}, {"validation loss"});
  for (auto const& r : results)
    for (auto const& p : r.mean) {
      by_samples.add(r.config.label(), p.samples / samples_unit, p.val_loss);
      by_flops.add(r.config.label(), p.flops / 1e12, p.val_loss);
      by_time.add(r.config.label(), p.seconds, p.val_loss);
    }
  fig.write(s.out / ("equal_compute_" + m.model + ".svg"));
}

/// The model's section of summary.md: settings, tuned LR, the table and the verdict.
inline std::string report(Settings const& s, ModelStudy const& m, std::string const& tuning,
                          double lr, std::vector<ConfigResult> const& results) {
  std::ostringstream out;
  out << "## " << m.title << "\n\n"
      << m.description << "\n\n### Step 1: the LR of the dense base\n\n"
      << tuning << "\n### Step 2: the comparison, every model with LR 2^"
      << std::lround(std::log2(lr)) << " under SmuP\n\n"
      << "Validation loss at the end (mean over " << s.seeds
      << " seed(s), min ... max in brackets); \"reaches dense\": where the configuration's "
         "mean curve first gets to the dense model's final mean loss (at the "
      << s.points << " evaluation points), as counted FLOPs and training seconds.\n\n"
      << "| configuration | width | density | hidden kept weights | parameters | FLOPs/step | "
         "ms/step | final val loss | reaches dense: FLOPs | reaches dense: seconds |\n"
      << "|---|---|---|---|---|---|---|---|---|---|\n";
  auto const& dense = results.front();
  double const dense_final = dense.final_loss();
  auto const dense_end = dense.mean.empty() ? Point{} : dense.mean.back();
  for (auto const& r : results) {
    auto const& c = r.config;
    double lo = std::numeric_limits<double>::infinity(), hi = -lo, ms = 0;
    for (auto const& curve : r.seeds) {
      double const last = curve.points.empty() ? std::nan("") : curve.points.back().val_loss;
      lo = std::min(lo, last);
      hi = std::max(hi, last);
      if (!curve.points.empty())
        ms +=
            1000 * curve.points.back().seconds / curve.points.back().step / double(r.seeds.size());
    }
    auto const& first = r.seeds.front();
    std::string reach_flops = "-", reach_seconds = "-";
    if (c.pattern != dense_pattern) {
      auto const p = first_reaching(r.mean, dense_final);
      reach_flops =
          p ? sci(p->flops) + " (" + fixed(100 * p->flops / dense_end.flops, 0) + "% of dense's)"
            : "never";
      reach_seconds =
          p ? fixed(p->seconds, 2) + " (" + fixed(100 * p->seconds / dense_end.seconds, 0) + "%)"
            : "never";
    }
    out << "| " << c.label() << " | " << c.width << " | " << c.density << " | " << first.hidden_kept
        << " | " << first.params << " | " << sci(first.flops_per_step) << " | " << fixed(ms, 1)
        << " | " << fixed(r.final_loss(), 4) << " (" << fixed(lo, 4) << " ... " << fixed(hi, 4)
        << ") | " << reach_flops << " | " << reach_seconds << " |\n";
  }

  // The verdict: each sparse configuration against dense at equal data (the end), at the
  // dense model's total FLOPs and at its total training time.
  out << "\n### Verdict\n\nLoss difference to the dense model (negative: the sparse wider "
         "model is better), at equal "
      << m.samples_name << " (end of training), at the dense run's total counted FLOPs ("
      << sci(dense_end.flops) << ") and at its total training time (" << fixed(dense_end.seconds, 2)
      << " s):\n\n";
  auto const dense_lo = [&] {
    double v = std::numeric_limits<double>::infinity();
    for (auto const& curve : dense.seeds)
      if (!curve.points.empty()) v = std::min(v, curve.points.back().val_loss);
    return v;
  }();
  auto const difference = [&](double loss) {
    double const diff = loss - dense_final;
    return (diff < 0 ? "" : "+") + fixed(diff, 4);
  };
  // At x = the dense run's total (FLOPs or seconds): the sparse mean curve's loss there.
  // A sparse run that ends before x and already beats the dense model's final loss wins
  // with less; one that ends worse leaves it open; one whose first evaluation comes after
  // x cannot say.
  struct AtX {
    std::string text;
    bool wins = false;
  };
  auto const verdict_at = [&](ConfigResult const& r, double x, auto read_x) -> AtX {
    if (r.mean.empty() || !std::isfinite(r.final_loss())) return {"diverged"};
    if (auto const loss = loss_at(r.mean, x, read_x)) {
      bool const wins = *loss < dense_final;
      return {(wins ? "**wins** (" : "loses (") + difference(*loss) + ")", wins};
    }
    if (read_x(r.mean.back()) < x) {
      bool const wins = r.final_loss() < dense_final;
      return {wins ? "**wins** (" + difference(r.final_loss()) + " already at its end, " +
                         fixed(100 * read_x(r.mean.back()) / x, 0) + "% of dense's)"
                   : "open (its run ends at " + fixed(100 * read_x(r.mean.back()) / x, 0) +
                         "% of dense's, " + difference(r.final_loss()) + " there)",
              wins};
    }
    return {"not measured (its first evaluation comes later)"};
  };
  std::vector<std::string> winners_data, winners_flops, winners_time;
  for (auto const& r : results) {
    if (r.config.pattern == dense_pattern) continue;
    double const at_end = r.final_loss();
    auto const at_flops = verdict_at(r, dense_end.flops, [](Point const& p) { return p.flops; });
    auto const at_time = verdict_at(r, dense_end.seconds, [](Point const& p) { return p.seconds; });
    bool const wins_data = std::isfinite(at_end) && at_end < dense_final;
    double seeds_hi = -std::numeric_limits<double>::infinity();
    for (auto const& curve : r.seeds)
      if (!curve.points.empty()) seeds_hi = std::max(seeds_hi, curve.points.back().val_loss);
    bool const beyond_spread = seeds_hi < dense_lo;
    out << "- " << r.config.label() << ": equal " << m.samples_name << " "
        << (!std::isfinite(at_end) ? std::string("diverged")
            : wins_data            ? "**wins** (" + difference(at_end) + ")"
                                   : "loses (" + difference(at_end) + ")")
        << (wins_data ? (beyond_spread ? ", every seed below every dense seed"
                                       : ", within the seeds' spread")
                      : "")
        << "; equal FLOPs " << at_flops.text << "; equal wall time " << at_time.text << ".\n";
    if (wins_data) winners_data.push_back(r.config.label());
    if (at_flops.wins) winners_flops.push_back(r.config.label());
    if (at_time.wins) winners_time.push_back(r.config.label());
  }
  auto const list = [](std::vector<std::string> const& names) {
    if (names.empty()) return std::string("none");
    std::string text;
    for (auto const& n : names) text += (text.empty() ? "" : ", ") + n;
    return text;
  };
  out << "\nIn short (" << m.title << "): the wider sparse model beats dense width " << m.base_width
      << " at equal " << m.samples_name << " for " << list(winners_data)
      << "; at equal counted FLOPs for " << list(winners_flops)
      << "; at equal wall time (this machine) for " << list(winners_time) << ".\n";
  return out.str();
}

/// The whole study of one model; returns its section of summary.md.
inline std::string run_study(Settings const& s, ModelStudy const& m) {
  auto const [lr, tuning] = tune_lr(s, m);
  auto const results = compare_all(s, m, lr);
  write_curves_csv(s);
  write_figure(s, m, results);
  return report(s, m, tuning, lr, results);
}

/// The studies, one per model (gpt.cpp, mlp.cpp).
std::string gpt_study(Settings const& s);
std::string mlp_study(Settings const& s);

} // namespace smup_example::equal_compute
