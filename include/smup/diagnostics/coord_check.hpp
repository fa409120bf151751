#pragma once
/// The coordinate check: train an MLP for a few Adam steps on one fixed batch at
/// several widths and densities, and record the mean |x| of every layer's output at
/// every step. Under a correct parameterization the curves do not move with width
/// (muP, SmuP) or density (SmuP); under SP they grow with width and under SP and muP
/// they shrink with density.
///
///     smup::CoordCheckConfig cfg{.widths = {128, 256, 512, 1024}, .densities = {1, {1, 4}, {1,
///     16}},
///                                .steps = 3, .in = 784, .out = 10, .base = {.width = 128}, .hp =
///                                hp};
///     auto rows = smup::coord_check<smup::SMuP, smup::Unstructured>(cfg, x, labels);
///     // rows[i]: parameterization, width, density, step (1 = at init), layer, mean_abs
///
/// Step t records the forward pass of training step t, i.e. after t - 1 updates.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <Kokkos_Core.hpp>

#include <smup/core/ratio.hpp>
#include <smup/models/mlp.hpp>
#include <smup/optim/adam.hpp>
#include <smup/parameterization/concepts.hpp>
#include <smup/parameterization/hyperparams.hpp>
#include <smup/parameterization/shape.hpp>
#include <smup/sparsity/concepts.hpp>

namespace smup {

struct CoordCheckConfig {
  std::vector<std::int64_t> widths;
  std::vector<ratio> densities{ratio{1}};
  int steps = 3;
  int hidden_layers = 2;
  std::int64_t in = 0;
  std::int64_t out = 0;
  BaseShape base{};
  HyperParams hp{};
  AdamConfig adam{};
  std::uint64_t seed = 0;
};

struct CoordCheckRecord {
  std::string_view parameterization;
  std::int64_t width = 0;
  ratio density{1};
  int step = 0;
  std::string layer;
  double mean_abs = 0.0;
};

/// Mean of |v| over all entries of a [features][batch] view.
template <class View> double mean_abs(View const& v) {
  using E = typename View::execution_space;
  auto const cols = static_cast<std::int64_t>(v.extent(1));
  double sum = 0.0;
  Kokkos::parallel_reduce(
      "smup::mean_abs", Kokkos::RangePolicy<E>(0, static_cast<std::int64_t>(v.extent(0))),
      KOKKOS_LAMBDA(std::int64_t i, double& acc) {
        for (std::int64_t b = 0; b < cols; ++b)
          acc += v(i, b) < 0 ? -double(v(i, b)) : double(v(i, b));
      },
      sum);
  return sum / double(v.extent(0) * v.extent(1));
}

template <Parameterization P, SparsityPattern S, class E = Kokkos::DefaultExecutionSpace,
          class Scalar = float>
std::vector<CoordCheckRecord>
coord_check(CoordCheckConfig const& cfg, Activations<Scalar, E> const& x,
            Kokkos::View<int*, typename E::memory_space> const& labels) {
  using Model = MLP<P, S, E, Scalar>;
  std::vector<CoordCheckRecord> rows;
  for (auto const width : cfg.widths)
    for (auto const density : cfg.densities) {
      Model model({.in = cfg.in,
                   .width = width,
                   .hidden_layers = cfg.hidden_layers,
                   .out = cfg.out,
                   .density = density},
                  cfg.base, cfg.hp, cfg.seed);
      Adam<P, E, Scalar> adam(model, cfg.hp, cfg.adam);
      for (int step = 1; step <= cfg.steps; ++step) {
        model.train_step(x, labels, adam);
        auto const outputs = model.layer_outputs();
        for (std::size_t l = 0; l < outputs.size(); ++l) {
          std::string const layer = l == 0                    ? std::string("input")
                                    : l + 1 == outputs.size() ? std::string("readout")
                                                              : "hidden." + std::to_string(l);
          rows.push_back({P::name, width, density, step, layer, mean_abs(outputs[l])});
        }
      }
    }
  return rows;
}

} // namespace smup
