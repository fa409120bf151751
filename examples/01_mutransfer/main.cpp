// 01_mutransfer: does a learning rate tuned on a small dense MLP transfer to a wider,
// sparser one? Trains SP, muP and SmuP on Fashion-MNIST over an LR grid x density x
// seed, runs the coordinate check, and writes CSVs, SVG figures and a summary.
//
//   example_01_mutransfer              # defaults (about the README's stated minutes on 2 cores)
//   example_01_mutransfer --full       # wider target, more seeds, longer runs
//   example_01_mutransfer --smoke      # a few seconds: checks the pipeline end to end
//   mpirun -np 4 example_01_mutransfer --shard auto   # the sweep over 4 processes
//
// Resumable: finished runs are kept in <out>/transfer.csv and skipped when restarted.
// Shard i of n trains every n-th run into <out>/transfer.shard-i-of-n.csv; the last shard
// to finish runs the coordinate check and writes the report over all the files.

#include <smup/diagnostics/coord_check.hpp>
#include <smup/diagnostics/csv.hpp>
#include <smup/diagnostics/svg_plot.hpp>
#include <smup/diagnostics/sweep.hpp>
#include <smup/diagnostics/transfer_report.hpp>
#include <smup/io/fashion_mnist.hpp>
#include <smup/io/image_batches.hpp>
#include <smup/models/mlp.hpp>
#include <smup/optim/adam.hpp>
#include <smup/smup.hpp>

#include "../common/image_training.hpp"
#include "../common/parameterization_by_name.hpp"
#include "../common/run_example.hpp"
#include "../common/sweep_options.hpp"
#include "settings.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

using E = Kokkos::DefaultExecutionSpace;
using Pattern = smup::Unstructured; // the paper's case: Bernoulli(rho) per weight, fixed mask

using smup_example::mutransfer::parse;
using smup_example::mutransfer::Settings;
using smup_example::mutransfer::usage;

smup::HyperParams hyperparams(Settings const& s, double lr) {
  return {.sigma = s.sigma, .eta = lr};
}

using Data = smup_example::ImageData;

/// Trains one model and evaluates it on the whole test split.
template <class P> smup::RunResult train_one(Settings const& s, Data& data, std::int64_t width,
                                             smup::ratio density, double lr, std::uint64_t seed) {
  auto const hp = hyperparams(s, lr);
  smup::MLP<P, Pattern> model(
      {.in = 784, .width = width, .hidden_layers = s.hidden_layers, .out = 10, .density = density},
      {.width = s.base_width}, hp, seed);
  smup::Adam<P> adam(model, hp, {.beta1 = 0.9, .beta2 = 0.999});
  return smup_example::train_and_test(model, adam, data, s.steps, s.batch, seed, /*recent=*/50);
}

smup::RunResult train_run(Settings const& s, Data& data, smup::RunSpec const& run) {
  auto const& p = run.at("parameterization");
  auto const width = std::stoll(run.at("width"));
  auto const density = smup::parse_ratio(run.at("density"));
  return smup_example::with_parameterization(p, [&](auto parameterization) {
    return train_one<decltype(parameterization)>(s, data, width, density, run.lr, run.seed);
  });
}

std::string fmt(double v, int digits = 4) {
  std::ostringstream o;
  o.precision(digits);
  o << std::fixed << v;
  return o.str();
}

/// The coordinate check on one fixed training batch, every parameterization.
void coordinate_check(Settings const& s, Data& data) {
  smup::io::ImageBatches<float, E> batches(data.raw.train, data.norm, s.batch, 12345);
  auto [x, labels] = batches.batch(0, 0);
  std::vector<smup::ratio> densities;
  for (auto const& d : s.coord_densities) densities.push_back(smup::parse_ratio(d));
  smup::CoordCheckConfig cfg{.widths = s.coord_widths,
                             .densities = densities,
                             .steps = s.coord_steps,
                             .hidden_layers = s.hidden_layers,
                             .in = 784,
                             .out = 10,
                             .base = {.width = s.base_width},
                             .hp = hyperparams(s, 0x1p-8),
                             .seed = 3};
  std::vector<smup::CoordCheckRecord> rows;
  for (auto const& part : {smup::coord_check<smup::SP, Pattern>(cfg, x, labels),
                           smup::coord_check<smup::MuP, Pattern>(cfg, x, labels),
                           smup::coord_check<smup::SMuP, Pattern>(cfg, x, labels)})
    rows.insert(rows.end(), part.begin(), part.end());

  std::vector<std::vector<std::string>> csv;
  for (auto const& r : rows)
    csv.push_back({std::string(r.parameterization), std::to_string(r.width),
                   std::to_string(r.density.num) +
                       (r.density.den == 1 ? "" : "/" + std::to_string(r.density.den)),
                   std::to_string(r.step), r.layer, fmt(r.mean_abs, 8)});
  smup::write_csv(s.out / "coord_check.csv",
                  {"parameterization", "width", "density", "step", "layer", "mean_abs"}, csv);

  // Like the muP and SmuP papers: mean |x| of each hidden layer at the last step, one
  // panel per parameterization, against width (dense) and against density (base width x2).
  smup::SvgFigure by_width{.title = "Coordinate check over width (density 1, step " +
                                    std::to_string(s.coord_steps) + ")"};
  smup::SvgFigure by_density{.title = "Coordinate check over density (width " +
                                      std::to_string(s.coord_widths.back()) + ", step " +
                                      std::to_string(s.coord_steps) + ")"};
  for (std::string_view p : {smup::SP::name, smup::MuP::name, smup::SMuP::name}) {
    auto& pw = by_width.add_panel(std::string(p), {"width", smup::AxisScale::log2},
                                  {"mean |x|", smup::AxisScale::log10});
    auto& pd = by_density.add_panel(std::string(p), {"density", smup::AxisScale::log2},
                                    {"mean |x|", smup::AxisScale::log10});
    for (auto const& r : rows) {
      if (r.parameterization != p || r.step != s.coord_steps) continue;
      if (r.density == smup::ratio{1}) pw.add(r.layer, double(r.width), r.mean_abs);
      if (r.width == s.coord_widths.back()) pd.add(r.layer, r.density.to_double(), r.mean_abs);
    }
  }
  by_width.write(s.out / "coord_check_width.svg");
  by_density.write(s.out / "coord_check_density.svg");
}

} // namespace

int main(int argc, char* argv[]) {
  return smup_example::run_example(argc, argv, usage, parse, [](Settings const& s) {
    std::cerr << s.sharding.launcher_note();
    auto const start = std::chrono::steady_clock::now();
    std::filesystem::create_directories(s.out);
    Data data = smup_example::load_image_data(s.data, s.train_images);

    // The base model (dense, base width) tunes the LR; the target reuses it at every density.
    std::vector<std::uint64_t> seeds;
    for (int i = 0; i < s.seeds; ++i) seeds.push_back(static_cast<std::uint64_t>(i));
    std::vector<std::string> const ps{std::string(smup::SP::name), std::string(smup::MuP::name),
                                      std::string(smup::SMuP::name)};
    auto runs = smup::sweep_grid(
        {{"parameterization", ps}, {"width", {std::to_string(s.base_width)}}, {"density", {"1"}}},
        smup::powers_of_two(s.lr_first, s.lr_last), seeds);
    auto target = smup::sweep_grid(
        {{"parameterization", ps}, {"width", {std::to_string(s.width)}}, {"density", s.densities}},
        smup::powers_of_two(s.lr_first, s.lr_last), seeds);
    runs.insert(runs.end(), target.begin(), target.end());
    auto const csv = s.out / "transfer.csv";
    auto const sweep =
        smup::run_sweep(runs, {.csv = csv, .shard = s.sharding.shard},
                        [&](smup::RunSpec const& run) { return train_run(s, data, run); });
    std::cerr << "sweep: " << sweep.executed << " runs trained, " << sweep.skipped
              << " kept from an earlier run, " << sweep.diverged << " diverged\n";
    // Only the process that completes the sweep checks coordinates and reports.
    if (!smup_example::sweep_complete(runs, csv, s.sharding.shard,
                                      "coordinate check, transfer.svg, summary.md"))
      return;

    std::cerr << "coordinate check...\n";
    coordinate_check(s, data);
    auto const records = smup::read_sweep_results_merged(csv, runs);
    auto const report = smup::transfer_report(
        records, {.parameterizations = ps,
                  .base_width = std::to_string(s.base_width),
                  .target_width = std::to_string(s.width),
                  .lr_first = s.lr_first,
                  .lr_last = s.lr_last,
                  .title = "LR transfer on Fashion-MNIST (width " + std::to_string(s.width) +
                           ", mean of " + std::to_string(s.seeds) + " seeds)"});
    report.figure.write(s.out / "transfer.svg");
    std::ostringstream summary;
    summary << "# muTransfer on Fashion-MNIST\n\nBase: width " << s.base_width
            << ", dense. Target: width " << s.width << ", " << s.hidden_layers << " hidden layers, "
            << s.steps << " Adam steps of " << s.batch << ", " << s.seeds << " seed(s).\n\n"
            << report.optima_table;
    // The headline: every parameterization reuses the LR its dense base model preferred.
    auto const sparsest = s.densities.back();
    summary << "\nAt density " << sparsest << " (width " << s.width
            << "), each parameterization with the LR tuned on its dense base model:\n\n"
            << report.base_tuned_table(sparsest);
    double const minutes =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / 60;
    summary << "\nWall time of this invocation: " << fmt(minutes, 1) << " min.\n";
    // Whole or not at all: two shards finishing together may both write it.
    smup::detail::write_file_atomically(s.out / "summary.md", summary.str(),
                                        "example_01_mutransfer");
    std::cout << summary.str();
  });
}
