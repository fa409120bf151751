// Linear layers, the MLP and the optimizers on the dense path: gradients against
// finite differences in double, update rules against their definitions, determinism.
#include "catch.hpp"
#include "finite_difference.hpp"
#include "kernel_reference.hpp"

#include <smup/layers/linear.hpp>
#include <smup/models/mlp.hpp>
#include <smup/optim/adam.hpp>
#include <smup/optim/clip.hpp>
#include <smup/optim/sgd.hpp>
#include <smup/parameterization/mup.hpp>
#include <smup/parameterization/sp.hpp>
#include <smup/parameterization/sparse_mup.hpp>
#include <smup/sparsity/block.hpp>
#include <smup/sparsity/nm.hpp>
#include <smup/sparsity/unstructured.hpp>

#include <cmath>
#include <cstdint>
#include <vector>

namespace {

using smup_test::dot_host;
using smup_test::with_shift;

using E = Kokkos::DefaultExecutionSpace;
using Matrix = smup::Activations<double, E>;
constexpr smup::HyperParams hp{.sigma = 0.5, .eta = 0x1p-6, .alpha_in = 1.5, .alpha_out = 2.0};
constexpr smup::BaseShape base{.width = 4};

/// Loss L = sum(r .* layer(x)); its gradients are checked entry by entry. Sparse layers
/// are perturbed at their kept entries, the only ones they store.
template <smup::Role R, class S = smup::Dense>
void check_linear_gradients(smup::ratio density = smup::ratio{1}) {
  smup::Linear<smup::SMuP, S, E, double, R> layer({.in = 8, .out = 6, .density = density}, base, hp,
                                                  3);
  Matrix x("x", 8, 3), y("y", 6, 3), r("r", 6, 3), dx("dx", 8, 3);
  smup_test::fill_uniform(x, 1);
  smup_test::fill_uniform(r, 2);
  smup_test::fill_uniform(layer.bias(), 4);
  layer.backward(x, r, dx);
  auto const loss = [&] {
    layer.forward(x, y);
    return dot_host(y, r);
  };
  double const h = 1e-6;
  auto check_all = [&](auto const& values, auto const& grad) {
    auto const g = smup_test::host_copy(grad);
    for (std::size_t k = 0; k < values.extent(0); ++k) {
      double const numeric =
          (with_shift(values, k, h, loss) - with_shift(values, k, -h, loss)) / (2 * h);
      CHECK(std::abs(numeric - g(k)) <= 1e-7 * std::max(1.0, std::abs(numeric)));
    }
  };
  check_all(layer.weights().values(), layer.weight_grad());
  check_all(layer.bias(), layer.bias_grad());
  auto const hdx = smup_test::host_copy(dx);
  for (std::size_t j = 0; j < 8; ++j)
    for (std::size_t b = 0; b < 3; ++b) {
      auto shifted = [&](double s) {
        auto hx = smup_test::host_copy(x);
        hx(j, b) += s;
        Matrix xs("xs", 8, 3);
        Kokkos::deep_copy(xs, hx);
        layer.forward(xs, y);
        return dot_host(y, r);
      };
      double const numeric = (shifted(h) - shifted(-h)) / (2 * h);
      CHECK(std::abs(numeric - hdx(j, b)) <= 1e-7 * std::max(1.0, std::abs(numeric)));
    }
}

using Model = smup::MLP<smup::SMuP, smup::Dense, E, double>;
Model::Shape const tiny{.in = 5, .width = 6, .hidden_layers = 2, .out = 3};

Model::Labels labels_for(std::int64_t batch, int classes) {
  Model::Labels labels("labels", batch);
  auto h = Kokkos::create_mirror_view(labels);
  for (std::int64_t b = 0; b < batch; ++b) h(b) = static_cast<int>((5 * b + 2) % classes);
  Kokkos::deep_copy(labels, h);
  return labels;
}

} // namespace

TEST_CASE("A Linear layer's backward matches finite differences for every role",
          "[layers][linear]") {
  check_linear_gradients<smup::Role::input>();
  check_linear_gradients<smup::Role::hidden>();
  check_linear_gradients<smup::Role::output>();
}

TEST_CASE("A sparse hidden layer's backward matches finite differences for every pattern",
          "[layers][linear][sparse]") {
  check_linear_gradients<smup::Role::hidden, smup::Unstructured>(smup::ratio{1, 2});
  check_linear_gradients<smup::Role::hidden, smup::BalancedUnstructured>(smup::ratio{1, 4});
  check_linear_gradients<smup::Role::hidden, smup::NM<2, 4>>(smup::ratio{1, 2});
  check_linear_gradients<smup::Role::hidden, smup::Block<2, 2>>(smup::ratio{1, 2});
}

TEST_CASE("Adam keeps a sparse layer's mask: pruned weights stay zero while kept ones train",
          "[layers][linear][sparse][optim]") {
  using Layer = smup::Linear<smup::SMuP, smup::Unstructured, E, double>;
  Layer layer({.in = 32, .out = 24, .density = {1, 4}}, base, hp, 9);
  smup::Adam<smup::SMuP, E, double> adam(layer, hp);
  auto const mask = layer.weights().mask_host();
  auto const kept = layer.weights().kept();
  auto const before = layer.weights().to_dense_host();
  Matrix x("x", 32, 5), dy("dy", 24, 5), dx("dx", 32, 5);
  for (std::uint64_t step = 0; step < 4; ++step) {
    smup_test::fill_uniform(x, 100 + step);
    smup_test::fill_uniform(dy, 200 + step);
    layer.backward(x, dy, dx);
    adam.step(layer);
  }
  auto const after = layer.weights().to_dense_host();
  auto const mask_after = layer.weights().mask_host();
  CHECK(layer.weights().kept() == kept);
  std::size_t moved = 0, kept_entries = 0, pruned_nonzero = 0, mask_changes = 0;
  for (std::size_t i = 0; i < 24; ++i)
    for (std::size_t j = 0; j < 32; ++j) {
      mask_changes += mask(i, j) != mask_after(i, j);
      if (mask(i, j)) {
        ++kept_entries;
        moved += after(i, j) != before(i, j);
      } else {
        pruned_nonzero += after(i, j) != 0;
      }
    }
  CHECK(mask_changes == 0);
  CHECK(pruned_nonzero == 0);
  CHECK(kept_entries == static_cast<std::size_t>(kept));
  CHECK(moved == kept_entries);
  // Adam's state is compressed like the weights: one entry per kept weight and bias.
  CHECK(layer.storage_bytes(2).optimizer_state == 2 * (kept + 24) * sizeof(double));
}

TEST_CASE("Storage bytes of layers and models scale with the kept weights",
          "[layers][linear][models][sparse]") {
  smup::Linear<smup::SMuP, smup::Dense, E, float> dense({.in = 64, .out = 32}, base, hp, 1);
  auto const d = dense.storage_bytes(2);
  CHECK(d.values == (64 * 32 + 32) * sizeof(float));
  CHECK(d.indices == 0);
  CHECK(d.optimizer_state == 2 * d.values);
  smup::Linear<smup::SMuP, smup::NM<1, 4>, E, float> nm({.in = 64, .out = 32}, base, hp, 1);
  auto const n = nm.storage_bytes(2);
  CHECK(n.values == (64 * 32 / 4 + 32) * sizeof(float));
  CHECK(n.indices > 0);
  CHECK(n.optimizer_state == 2 * n.values);

  using Sparse = smup::MLP<smup::SMuP, smup::Unstructured>;
  Sparse sparse({.in = 20, .width = 64, .hidden_layers = 3, .out = 5, .density = {1, 8}}, base, hp,
                2);
  smup::MLP<smup::SMuP, smup::Dense> full({.in = 20, .width = 64, .hidden_layers = 3, .out = 5},
                                          base, hp, 2);
  std::size_t values = 0;
  sparse.for_each_tensor(
      [&](smup::Tensor<float, E> const& t) { values += t.values.span() * sizeof(float); });
  auto const s = sparse.storage_bytes(2);
  CHECK(s.values == values);
  CHECK(s.optimizer_state == 2 * values);
  CHECK(full.storage_bytes(2).indices == 0);
  CHECK(s.total() < full.storage_bytes(2).total());
}

TEST_CASE("A Linear layer is initialised with the parameterization's std and multiplier",
          "[layers][linear]") {
  // Hidden SmuP layer at 16x the base width: std = sigma / 4, multiplier 1.
  smup::Linear<smup::SMuP, smup::Dense, E, double> hidden({.in = 64, .out = 64}, base, hp, 5);
  CHECK(hidden.rules().init_std == 0.125);
  auto const w = smup_test::host_copy(hidden.weights().values());
  double sum = 0, sq = 0;
  for (std::size_t k = 0; k < w.extent(0); ++k) {
    sum += w(k);
    sq += w(k) * w(k);
  }
  double const n = double(w.extent(0));
  CHECK(std::abs(sum / n) < 4 * 0.125 / std::sqrt(n));
  CHECK(std::sqrt(sq / n) == Approx(0.125).epsilon(0.05));
  smup::Linear<smup::SMuP, smup::Dense, E, double, smup::Role::output> readout({.in = 64, .out = 3},
                                                                               base, hp, 5);
  CHECK(readout.rules().multiplier == 2.0 / 16);
  // Density 1/4 under SmuP: std = sigma * sqrt(base / (rho * fan_in)) = 0.5 * sqrt(4 / 16)
  // = 0.25; muP ignores density and keeps 0.125.
  smup::Linear<smup::SMuP, smup::Unstructured, E, double> sparse(
      {.in = 64, .out = 64, .density = {1, 4}}, base, hp, 5);
  CHECK(sparse.rules().init_std == 0.25);
  smup::Linear<smup::MuP, smup::Unstructured, E, double> mup_sparse(
      {.in = 64, .out = 64, .density = {1, 4}}, base, hp, 5);
  CHECK(mup_sparse.rules().init_std == 0.125);
}

TEST_CASE("The MLP's gradient matches finite differences of its loss", "[models][mlp]") {
  Model model(tiny, base, hp, 11);
  Matrix x("x", 5, 4);
  smup_test::fill_uniform(x, 21);
  auto const labels = labels_for(4, 3);
  model.evaluate(x, labels);
  model.backward(x);
  std::vector<smup::Tensor<double, E>> tensors;
  model.for_each_tensor([&](smup::Tensor<double, E> const& t) { tensors.push_back(t); });
  REQUIRE(tensors.size() == 8); // 4 layers x (weights, bias)
  std::vector<std::vector<double>> grads;
  for (auto const& t : tensors) {
    auto const g = smup_test::host_copy(t.grad);
    grads.emplace_back(g.data(), g.data() + g.extent(0));
  }
  auto const loss = [&] { return model.evaluate(x, labels).loss; };
  double const h = 1e-6;
  for (std::size_t i = 0; i < tensors.size(); ++i)
    for (std::size_t k = 0; k < tensors[i].values.extent(0); ++k) {
      double const numeric =
          (with_shift(tensors[i].values, k, h, loss) - with_shift(tensors[i].values, k, -h, loss)) /
          (2 * h);
      CHECK(std::abs(numeric - grads[i][k]) <= 1e-7 * std::max(1.0, std::abs(numeric)));
    }
}

TEST_CASE("One Adam step moves every weight by its tensor's own learning rate", "[optim][adam]") {
  // After the first step m_hat / sqrt(v_hat) = sign(g): the move is lr_tensor exactly
  // (up to epsilon), which shows each tensor got the rate its role's rule gives.
  smup::HyperParams const h2{.sigma = 0.5, .eta = 0x1p-6, .lr_mult_non_hidden = 4.0};
  smup::MLP<smup::SMuP, smup::Dense, E, double> model(
      {.in = 5, .width = 16, .hidden_layers = 1, .out = 3}, base, h2, 3);
  smup::Adam<smup::SMuP, E, double> adam(model, h2, {.epsilon = 1e-30});
  Matrix x("x", 5, 4);
  smup_test::fill_uniform(x, 8);
  std::vector<std::vector<double>> before;
  model.for_each_tensor([&](smup::Tensor<double, E> const& t) {
    auto const v = smup_test::host_copy(t.values);
    before.emplace_back(v.data(), v.data() + v.extent(0));
  });
  model.train_step(x, labels_for(4, 3), adam);
  std::size_t i = 0;
  model.for_each_tensor([&](smup::Tensor<double, E> const& t) {
    auto const v = smup_test::host_copy(t.values);
    auto const g = smup_test::host_copy(t.grad);
    for (std::size_t k = 0; k < v.extent(0); ++k)
      if (g(k) != 0) CHECK(before[i][k] - v(k) == Approx(t.rules.lr_adam * (g(k) > 0 ? 1 : -1)));
    ++i;
  });
  // m_d = 4: hidden rate eta / 4; non-hidden rates 4 * eta.
  std::vector<double> rates;
  model.for_each_tensor(
      [&](smup::Tensor<double, E> const& t) { rates.push_back(t.rules.lr_adam); });
  CHECK(rates == std::vector<double>{4 * 0x1p-6, 4 * 0x1p-6, 0x1p-6 / 4, 4 * 0x1p-6, 4 * 0x1p-6,
                                     4 * 0x1p-6});
}

TEST_CASE("One SGD step subtracts the SGD rate times the gradient", "[optim][sgd]") {
  Model model(tiny, base, hp, 4);
  smup::SGD<smup::SMuP, E, double> sgd(model, hp);
  Matrix x("x", 5, 4);
  smup_test::fill_uniform(x, 9);
  std::vector<std::vector<double>> before;
  model.for_each_tensor([&](smup::Tensor<double, E> const& t) {
    auto const v = smup_test::host_copy(t.values);
    before.emplace_back(v.data(), v.data() + v.extent(0));
  });
  model.train_step(x, labels_for(4, 3), sgd);
  std::size_t i = 0;
  model.for_each_tensor([&](smup::Tensor<double, E> const& t) {
    auto const v = smup_test::host_copy(t.values);
    auto const g = smup_test::host_copy(t.grad);
    for (std::size_t k = 0; k < v.extent(0); ++k)
      CHECK(v(k) == Approx(before[i][k] - t.rules.lr_sgd * g(k)).margin(1e-15));
    ++i;
  });
}

TEST_CASE("Gradient clipping scales the global norm down to the limit", "[optim][clip]") {
  Model model(tiny, base, hp, 4);
  Matrix x("x", 5, 4);
  smup_test::fill_uniform(x, 9);
  model.evaluate(x, labels_for(4, 3));
  model.backward(x);
  double const norm = smup::clip_grad_norm(model, 1e-3);
  REQUIRE(norm > 1e-3);
  double squares = 0;
  model.for_each_tensor([&](smup::Tensor<double, E> const& t) {
    auto const g = smup_test::host_copy(t.grad);
    for (std::size_t k = 0; k < g.extent(0); ++k) squares += g(k) * g(k);
  });
  CHECK(std::sqrt(squares) == Approx(1e-3));
  CHECK(smup::clip_grad_norm(model, 1.0) == Approx(1e-3)); // below the limit: unchanged
  CHECK_THROWS_WITH(smup::clip_grad_norm(model, 0.0), Catch::Contains("max_norm must be positive"));
}

TEST_CASE("Training is deterministic: the same seed gives bit-identical losses", "[models][mlp]") {
  auto run = [] {
    smup::MLP<smup::SMuP, smup::Dense> model({.in = 12, .width = 32, .hidden_layers = 2, .out = 4},
                                             base, hp, 42);
    smup::AdamW<smup::SMuP> adam(model, hp);
    smup::Activations<float, E> x("x", 12, 16);
    smup_test::fill_uniform(x, 5);
    Model::Labels labels = labels_for(16, 4);
    std::vector<double> losses;
    for (int step = 0; step < 5; ++step) losses.push_back(model.train_step(x, labels, adam));
    return losses;
  };
  auto const first = run();
  CHECK(first == run());
  CHECK(first.back() < first.front());
}

TEST_CASE("Optimizers reject bad constants with the rule named", "[optim]") {
  Model model(tiny, base, hp, 4);
  CHECK_THROWS_WITH((smup::Adam<smup::SMuP, E, double>(model, hp, {.beta1 = 1.0})),
                    Catch::Contains("beta1 and beta2 must lie in [0, 1)"));
  CHECK_THROWS_WITH((smup::SGD<smup::SMuP, E, double>(model, hp, {.momentum = -0.5})),
                    Catch::Contains("momentum must lie in [0, 1)"));
  CHECK_THROWS_WITH(
      Model({.in = 5, .width = 0, .hidden_layers = 1, .out = 3}, base, hp, 1),
      Catch::Contains("smup::MLP: in, width, out and hidden_layers must all be at least 1"));
}
