// Gradient accumulation: a step over k micro-batches equals the step over their union (MLP
// with dense and sparse hidden matrices, GPT with an untied and a tied readout), even when
// the micro-batches differ in size; the fused gradient buffer it rests on; its errors.
#include "catch.hpp"
#include "kernel_reference.hpp"

#include <smup/models/gpt.hpp>
#include <smup/models/mlp.hpp>
#include <smup/optim/adam.hpp>
#include <smup/optim/gradient_accumulation.hpp>
#include <smup/optim/gradient_buffer.hpp>
#include <smup/optim/sgd.hpp>
#include <smup/parameterization/sparse_mup.hpp>
#include <smup/sparsity/nm.hpp>
#include <smup/sparsity/unstructured.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace {

using E = Kokkos::DefaultExecutionSpace;
constexpr smup::HyperParams hp{.sigma = 0.5, .eta = 0x1p-6, .alpha_in = 1.5, .alpha_out = 2.0};
constexpr smup::BaseShape base{.width = 4};
// Double weights: the union and the micro-batches differ only by the order of sums.
constexpr double tolerance = 1e-12;

using Weights = std::vector<std::vector<double>>;

template <class Model> Weights weights_of(Model& model) {
  Weights out;
  model.for_each_tensor([&](smup::Tensor<double, E> const& t) {
    auto const v = smup_test::host_copy(t.values);
    out.emplace_back(v.data(), v.data() + v.extent(0));
  });
  return out;
}

template <class Model> Weights gradients_of(Model& model) {
  Weights out;
  model.for_each_tensor([&](smup::Tensor<double, E> const& t) {
    auto const g = smup_test::host_copy(t.grad);
    out.emplace_back(g.data(), g.data() + g.extent(0));
  });
  return out;
}

/// Largest |a - b| over all entries, relative to the largest |b| (or 1).
double relative_difference(Weights const& a, Weights const& b) {
  REQUIRE(a.size() == b.size());
  double worst = 0.0, scale = 1.0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    REQUIRE(a[i].size() == b[i].size());
    for (std::size_t k = 0; k < a[i].size(); ++k) {
      worst = std::max(worst, std::abs(a[i][k] - b[i][k]));
      scale = std::max(scale, std::abs(b[i][k]));
    }
  }
  return worst / scale;
}

// --- data: a batch of 8 examples (columns or sequences) and its contiguous slices ---------

struct MlpData {
  using Matrix = smup::Activations<double, E>;
  using Labels = Kokkos::View<int*, E::memory_space>;
  Matrix x;
  Labels labels;

  MlpData(std::int64_t in, std::int64_t batch, int classes)
      : x("x", in, batch), labels("labels", batch) {
    smup_test::fill_uniform(x, 21);
    auto h = Kokkos::create_mirror_view(labels);
    for (std::int64_t b = 0; b < batch; ++b) h(b) = static_cast<int>((5 * b + 2) % classes);
    Kokkos::deep_copy(labels, h);
  }

  /// Columns [begin, end), copied: the model takes contiguous [in][n] matrices.
  [[nodiscard]] smup::MicroBatch<Matrix, Labels> slice(std::int64_t begin, std::int64_t end) const {
    Matrix xs("x_micro", x.extent(0), end - begin);
    Labels ls("labels_micro", end - begin);
    Kokkos::deep_copy(xs, Kokkos::subview(x, Kokkos::ALL, std::pair(begin, end)));
    Kokkos::deep_copy(ls, Kokkos::subview(labels, std::pair(begin, end)));
    return {xs, ls};
  }
  [[nodiscard]] smup::MicroBatch<Matrix, Labels> whole() const { return {x, labels}; }
};

struct GptData {
  using Tokens = Kokkos::View<int*, E::memory_space>;
  std::int64_t context;
  Tokens tokens, targets;

  GptData(std::int64_t context_, std::int64_t batch, int vocab)
      : context(context_), tokens("tokens", batch * context_),
        targets("targets", batch * context_) {
    auto ht = Kokkos::create_mirror_view(tokens);
    auto hy = Kokkos::create_mirror_view(targets);
    for (std::int64_t c = 0; c < batch * context; ++c) {
      ht(c) = static_cast<int>(smup::detail::uniform01(31, c, 0) * vocab);
      hy(c) = static_cast<int>(smup::detail::uniform01(32, c, 0) * vocab);
    }
    Kokkos::deep_copy(tokens, ht);
    Kokkos::deep_copy(targets, hy);
  }

  /// Sequences [begin, end): contiguous already.
  [[nodiscard]] smup::MicroBatch<Tokens, Tokens> slice(std::int64_t begin, std::int64_t end) const {
    auto const range = std::pair(begin * context, end * context);
    return {Kokkos::subview(tokens, range), Kokkos::subview(targets, range)};
  }
  [[nodiscard]] smup::MicroBatch<Tokens, Tokens> whole() const { return {tokens, targets}; }
};

/// Micro-batches of the given sizes, in order, covering the data's 8 examples.
template <class Data> auto split(Data const& data, std::vector<std::int64_t> const& sizes) {
  std::vector<decltype(data.slice(0, 1))> out;
  std::int64_t begin = 0;
  for (auto n : sizes) {
    out.push_back(data.slice(begin, begin + n));
    begin += n;
  }
  REQUIRE(begin == 8);
  return out;
}

/// Adam divides by sqrt(v) + epsilon, so a gradient entry near zero turns a rounding-level
/// difference d into lr * d / epsilon; a larger epsilon keeps that within the tolerance.
template <class Optimizer, class Model> Optimizer optimizer_for(Model& model) {
  if constexpr (std::is_constructible_v<Optimizer, Model&, smup::AdamConfig>)
    return Optimizer(model, smup::AdamConfig{.epsilon = 1e-6});
  else
    return Optimizer(model);
}

// --- the check: 3 steps over the union vs the same steps as micro-batches -----------------

template <class Model, class Optimizer, class Data>
void check_matches_union(typename Model::Shape const& shape, Data const& data,
                         std::vector<std::int64_t> const& sizes, double max_grad_norm = 0.0) {
  Model whole(shape, base, hp, 7), accumulated(shape, base, hp, 7);
  auto whole_opt = optimizer_for<Optimizer>(whole);
  auto accumulated_opt = optimizer_for<Optimizer>(accumulated);
  smup::GradientAccumulator acc(accumulated);
  auto const micro = split(data, sizes);
  auto const batch = data.whole();
  for (int step = 0; step < 3; ++step) {
    INFO("step " << step);
    double const expected = whole.train_step(batch.inputs, batch.targets, whole_opt, max_grad_norm);
    double const loss = acc.train_step(accumulated, micro, accumulated_opt, max_grad_norm);
    CHECK(std::abs(loss - expected) <= tolerance * std::abs(expected));
    CHECK(acc.count() == static_cast<int>(sizes.size()));
    CHECK(std::abs(acc.weight() - 1.0) <= 1e-15);
    double const g_gap = relative_difference(gradients_of(accumulated), gradients_of(whole));
    double const w_gap = relative_difference(weights_of(accumulated), weights_of(whole));
    INFO("gradient gap " << g_gap << ", weight gap " << w_gap);
    CHECK(g_gap <= tolerance);
    CHECK(w_gap <= tolerance);
  }
}

template <class Model, class Optimizer, class Data>
void check_all_splits(typename Model::Shape const& shape, Data const& data) {
  for (auto const& sizes : std::vector<std::vector<std::int64_t>>{
           {8}, {4, 4}, {2, 2, 2, 2}, {3, 5}, {1, 4, 3}, {5, 1, 1, 1}}) {
    INFO("micro-batches of " << sizes.size() << ", the first of " << sizes.front());
    check_matches_union<Model, Optimizer>(shape, data, sizes);
  }
}

using MlpDense = smup::MLP<smup::SMuP, smup::Dense, E, double>;
using MlpSparse = smup::MLP<smup::SMuP, smup::Unstructured, E, double>;
using MlpNM = smup::MLP<smup::SMuP, smup::NM<2, 4>, E, double>;
using Gpt = smup::GPT<smup::SMuP, smup::Unstructured, E, double>;

MlpDense::Shape const mlp_shape{.in = 6, .width = 16, .hidden_layers = 2, .out = 3};
Gpt::Shape const gpt_shape{
    .vocab = 11, .context = 4, .width = 16, .head_dim = 8, .blocks = 2, .density = {1, 2}};

} // namespace

TEST_CASE("Accumulating an MLP's micro-batches steps like their union", "[optim][accumulation]") {
  MlpData const data(6, 8, 3);
  SECTION("dense, Adam") {
    check_all_splits<MlpDense, smup::Adam<smup::SMuP, E, double>>(mlp_shape, data);
  }
  SECTION("unstructured sparse, Adam") {
    MlpSparse::Shape shape{.in = 6, .width = 16, .hidden_layers = 2, .out = 3, .density = {1, 4}};
    check_all_splits<MlpSparse, smup::Adam<smup::SMuP, E, double>>(shape, data);
  }
  SECTION("unstructured sparse, SGD") {
    MlpSparse::Shape shape{.in = 6, .width = 16, .hidden_layers = 2, .out = 3, .density = {1, 4}};
    check_all_splits<MlpSparse, smup::SGD<smup::SMuP, E, double>>(shape, data);
  }
  SECTION("2:4 sparse, AdamW") {
    MlpNM::Shape shape{.in = 6, .width = 16, .hidden_layers = 1, .out = 3};
    check_matches_union<MlpNM, smup::AdamW<smup::SMuP, E, double>>(shape, data, {3, 5});
  }
}

TEST_CASE("Accumulating a GPT's micro-batches steps like their union", "[optim][accumulation]") {
  GptData const data(gpt_shape.context, 8, static_cast<int>(gpt_shape.vocab));
  SECTION("untied readout") {
    check_all_splits<Gpt, smup::Adam<smup::SMuP, E, double>>(gpt_shape, data);
  }
  SECTION("tied readout: the table's gradient has two sources") {
    auto shape = gpt_shape;
    shape.tied_readout = true;
    check_matches_union<Gpt, smup::Adam<smup::SMuP, E, double>>(shape, data, {3, 5});
    check_matches_union<Gpt, smup::Adam<smup::SMuP, E, double>>(shape, data, {2, 2, 2, 2});
  }
}

TEST_CASE("Clipping acts on the accumulated gradient, not on each micro-batch's",
          "[optim][accumulation]") {
  MlpData const data(6, 8, 3);
  GptData const tokens(gpt_shape.context, 8, static_cast<int>(gpt_shape.vocab));
  // A limit far below the gradient norm: every step clips.
  check_matches_union<MlpSparse, smup::SGD<smup::SMuP, E, double>>(
      {.in = 6, .width = 16, .hidden_layers = 2, .out = 3, .density = {1, 4}}, data, {3, 5}, 1e-3);
  check_matches_union<Gpt, smup::Adam<smup::SMuP, E, double>>(gpt_shape, tokens, {2, 6}, 1e-3);
}

TEST_CASE("Micro-batches of unequal sizes are weighted by their share of the batch",
          "[optim][accumulation]") {
  // The same 3 + 5 split summed with equal weights (the mean of the two means) is a
  // different gradient: the tests above would see it.
  MlpData const data(6, 8, 3);
  MlpSparse::Shape const shape{
      .in = 6, .width = 16, .hidden_layers = 2, .out = 3, .density = {1, 4}};
  MlpSparse whole(shape, base, hp, 7), model(shape, base, hp, 7);
  double const expected = whole.loss_and_gradients(data.x, data.labels);
  auto const micro = split(data, {3, 5});
  smup::GradientAccumulator acc(model);
  auto accumulate = [&](double w0, double w1) {
    acc.zero();
    acc.add(model, w0, model.loss_and_gradients(micro[0].inputs, micro[0].targets));
    acc.add(model, w1, model.loss_and_gradients(micro[1].inputs, micro[1].targets));
    return acc.finish(model);
  };
  double const equal = accumulate(0.5, 0.5);
  double const gap = relative_difference(gradients_of(model), gradients_of(whole));
  CHECK(gap > 1e3 * tolerance);
  CHECK(std::abs(equal - expected) > 1e3 * tolerance * expected);
  double const shares = accumulate(3.0 / 8, 5.0 / 8);
  CHECK(relative_difference(gradients_of(model), gradients_of(whole)) <= tolerance);
  CHECK(std::abs(shares - expected) <= tolerance * expected);
  // finish() leaves the sum in place: a second one writes the same gradients again.
  model.loss_and_gradients(micro[0].inputs, micro[0].targets);
  CHECK(acc.finish(model) == shares);
  CHECK(relative_difference(gradients_of(model), gradients_of(whole)) <= tolerance);
}

TEST_CASE("The free accumulated_train_step equals the accumulator's", "[optim][accumulation]") {
  GptData const data(gpt_shape.context, 8, static_cast<int>(gpt_shape.vocab));
  Gpt a(gpt_shape, base, hp, 3), b(gpt_shape, base, hp, 3);
  smup::Adam<smup::SMuP, E, double> adam_a(a), adam_b(b);
  smup::GradientAccumulator acc(b);
  auto const micro = split(data, {1, 7});
  for (int step = 0; step < 2; ++step)
    CHECK(smup::accumulated_train_step(a, micro, adam_a, 1.0) ==
          acc.train_step(b, micro, adam_b, 1.0));
  CHECK(weights_of(a) == weights_of(b));
}

TEST_CASE("The gradient buffer packs, scales, sums and unpacks every tensor in order",
          "[optim][accumulation]") {
  MlpData const data(6, 4, 3);
  MlpSparse model({.in = 6, .width = 16, .hidden_layers = 2, .out = 3, .density = {1, 4}}, base, hp,
                  5);
  model.loss_and_gradients(data.x, data.labels);
  auto const grads = gradients_of(model);
  smup::GradientBuffer buffer(model);
  REQUIRE(buffer.tensors() == grads.size());
  std::int64_t entries = 0;
  for (std::size_t i = 0; i < grads.size(); ++i) {
    CHECK(buffer.offset(i) == entries);
    entries += static_cast<std::int64_t>(grads[i].size());
  }
  CHECK(buffer.size() == entries);
  CHECK(buffer.offset(grads.size()) == entries);
  CHECK(buffer.matches(model));

  buffer.pack(model, 0.5);
  buffer.add(model, 2.0);
  auto const packed = smup_test::host_copy(buffer.view());
  for (std::size_t i = 0; i < grads.size(); ++i)
    for (std::size_t k = 0; k < grads[i].size(); ++k)
      CHECK(packed(static_cast<std::size_t>(buffer.offset(i)) + k) == 2.5 * grads[i][k]);
  buffer.unpack(model);
  auto const unpacked = gradients_of(model);
  for (std::size_t i = 0; i < grads.size(); ++i)
    for (std::size_t k = 0; k < grads[i].size(); ++k) CHECK(unpacked[i][k] == 2.5 * grads[i][k]);

  // The weights travel the same way, into a model of the same masks (the same seed).
  MlpSparse other({.in = 6, .width = 16, .hidden_layers = 2, .out = 3, .density = {1, 4}}, base, hp,
                  5);
  buffer.fill(0.0);
  buffer.unpack_values(other);
  CHECK(weights_of(other) != weights_of(model));
  buffer.pack_values(model);
  buffer.unpack_values(other);
  CHECK(weights_of(other) == weights_of(model));
  buffer.fill(0.0);
  buffer.unpack(other);
  for (auto const& g : gradients_of(other))
    CHECK(std::all_of(g.begin(), g.end(), [](double v) { return v == 0.0; }));
}

TEST_CASE("The gradient buffer and the accumulator reject misuse",
          "[optim][accumulation][errors]") {
  MlpData const data(6, 4, 3);
  MlpDense model(mlp_shape, base, hp, 5);
  MlpDense wider({.in = 6, .width = 24, .hidden_layers = 2, .out = 3}, base, hp, 5);
  MlpDense deeper({.in = 6, .width = 16, .hidden_layers = 3, .out = 3}, base, hp, 5);
  // Without biases a tied readout hands out nothing: one tensor fewer, the rest alike.
  Gpt untied({.vocab = 11, .context = 4, .width = 16, .head_dim = 8, .blocks = 1, .bias = false},
             base, hp, 5);
  Gpt tied({.vocab = 11,
            .context = 4,
            .width = 16,
            .head_dim = 8,
            .blocks = 1,
            .bias = false,
            .tied_readout = true},
           base, hp, 5);
  smup::GradientBuffer untied_buffer(untied);
  CHECK_FALSE(untied_buffer.matches(tied));
  CHECK_THROWS_WITH(untied_buffer.unpack(tied),
                    Catch::Contains("the model hands out " +
                                    std::to_string(untied_buffer.tensors() - 1) +
                                    " tensors, but the buffer was sized for " +
                                    std::to_string(untied_buffer.tensors()) + " tensors"));
  smup::GradientBuffer buffer(model);
  CHECK_FALSE(buffer.matches(wider));
  CHECK_FALSE(buffer.matches(deeper));
  CHECK_THROWS_WITH(buffer.pack(wider),
                    Catch::Contains("smup::GradientBuffer::pack: tensor 0 has 144 entries") &&
                        Catch::Contains("A buffer belongs to one model"));
  // The check comes first: a model that does not fit is left as it was.
  deeper.loss_and_gradients(data.x, data.labels);
  auto const before = gradients_of(deeper);
  buffer.fill(7.0);
  CHECK_THROWS_WITH(buffer.unpack(deeper),
                    Catch::Contains("smup::GradientBuffer::unpack: tensor 6 has 256 entries, but "
                                    "the buffer was sized for 8 tensors"));
  CHECK(gradients_of(deeper) == before);

  smup::GradientAccumulator acc(model);
  CHECK_THROWS_WITH(acc.finish(model), Catch::Contains("nothing was added since zero()"));
  model.loss_and_gradients(data.x, data.labels);
  CHECK_THROWS_WITH(acc.add(model, 0.0), Catch::Contains("the weight must be positive"));
  CHECK_THROWS_WITH(acc.add(model, std::nan("")), Catch::Contains("the weight must be positive"));
  smup::Adam<smup::SMuP, E, double> adam(model);
  std::vector<smup::MicroBatch<MlpData::Matrix, MlpData::Labels>> none;
  CHECK_THROWS_WITH(acc.train_step(model, none, adam),
                    Catch::Contains("the micro-batches hold no targets (0 micro-batches)"));
}
