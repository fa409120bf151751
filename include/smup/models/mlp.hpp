#pragma once
/// smup::MLP<P, S>: input layer -> hidden_layers sparse hidden layers -> readout, with
/// an activation after every layer but the readout, trained with softmax
/// cross-entropy. Every layer takes its init, multiplier and learning rates from P
/// for its role, given the base shape the hyper-parameters were tuned on.
///
///     smup::MLP<smup::SMuP, smup::Unstructured> model(
///         {.in = 784, .width = 1024, .hidden_layers = 4, .out = 10, .density = {1, 16}},
///         smup::BaseShape{.width = 128}, hp, /*seed=*/7);
///     smup::Adam<smup::SMuP> adam(model);
///     double loss = model.train_step(x, labels, adam);     // x: [784][batch], labels: [batch]
///
/// Activations live in buffers sized for the last batch; layer_outputs() exposes them
/// for the coordinate check.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <Kokkos_Core.hpp>

#include <smup/core/error.hpp>
#include <smup/kernels/storage_bytes.hpp>
#include <smup/kernels/views.hpp>
#include <smup/layers/activations.hpp>
#include <smup/layers/linear.hpp>
#include <smup/layers/softmax_cross_entropy.hpp>
#include <smup/models/identity.hpp>
#include <smup/optim/clip.hpp>
#include <smup/parameterization/concepts.hpp>
#include <smup/sparsity/concepts.hpp>
#include <smup/sparsity/counter_hash.hpp>

namespace smup {

template <Parameterization P, SparsityPattern S, class E = Kokkos::DefaultExecutionSpace,
          class Scalar = float, class Activation = ReLU>
class MLP {
public:
  using parameterization = P;
  using pattern = S;
  using execution_space = E;
  using scalar_type = Scalar;
  using Matrix = Activations<Scalar, E>;
  using Labels = Kokkos::View<int*, typename E::memory_space>;

  struct Shape {
    std::int64_t in = 0;
    std::int64_t width = 0;
    int hidden_layers = 1;
    std::int64_t out = 0;
    ratio density = detail::default_density<S>(); ///< of every hidden matrix
    bool bias = true;
  };

  struct Evaluation {
    double loss = 0;          ///< mean over the batch
    std::int64_t correct = 0; ///< columns whose arg-max is the label
  };

  MLP(Shape shape, BaseShape base, HyperParams const& hp, std::uint64_t seed)
      : shape_(checked(shape)), base_(base), hp_(smup::checked(hp)), seed_(seed),
        input_({.in = shape.in, .out = shape.width, .bias = shape.bias}, base, hp,
               detail::counter_hash(seed, 0, 0)),
        readout_({.in = shape.width, .out = shape.out, .bias = shape.bias}, base, hp,
                 detail::counter_hash(seed, 0, 1)) {
    hidden_.reserve(static_cast<std::size_t>(shape.hidden_layers));
    for (int l = 0; l < shape.hidden_layers; ++l)
      hidden_.emplace_back(
          typename Hidden::Shape{
              .in = shape.width, .out = shape.width, .density = shape.density, .bias = shape.bias},
          base, hp, detail::counter_hash(seed, 1, static_cast<std::uint64_t>(l)));
  }

  /// Logits [out][batch] for inputs x [in][batch]; valid until the next call.
  Matrix const& forward(Matrix const& x) {
    ensure_batch(static_cast<std::int64_t>(x.extent(1)));
    input_.forward(x, pre_[0]);
    Activation::forward(pre_[0], post_[0]);
    for (std::size_t l = 0; l < hidden_.size(); ++l) {
      hidden_[l].forward(post_[l], pre_[l + 1]);
      Activation::forward(pre_[l + 1], post_[l + 1]);
    }
    readout_.forward(post_.back(), logits_);
    return logits_;
  }

  /// Forward, loss, backward and one optimizer step; returns the batch's mean loss.
  /// A positive max_grad_norm clips the global gradient norm first.
  template <class Optimizer> double train_step(Matrix const& x, Labels const& labels,
                                               Optimizer& optimizer, double max_grad_norm = 0.0) {
    double const loss = loss_and_gradients(x, labels);
    if (max_grad_norm > 0) clip_grad_norm(*this, max_grad_norm);
    optimizer.step(*this);
    return loss;
  }

  /// The batch's mean loss, with every gradient overwritten by its gradient; the weights
  /// do not change. The first half of train_step, for gradient accumulation and data
  /// parallelism, which combine gradients before one optimizer step.
  double loss_and_gradients(Matrix const& x, Labels const& labels) {
    forward(x);
    double const loss = SoftmaxCrossEntropy::forward_backward(logits_, labels, d_logits_);
    backward(x);
    return loss;
  }

  /// Loss and correct count without touching the weights or gradients.
  Evaluation evaluate(Matrix const& x, Labels const& labels) {
    forward(x);
    return {SoftmaxCrossEntropy::forward_backward(logits_, labels, d_logits_),
            SoftmaxCrossEntropy::correct(logits_, labels)};
  }

  /// Gradients of the loss whose d_logits the last forward_backward left; used by
  /// train_step, public for gradient checks.
  void backward(Matrix const& x) {
    Matrix* upstream = &grad_a_;
    Matrix* downstream = &grad_b_;
    readout_.backward(post_.back(), d_logits_, *upstream);
    for (std::size_t l = hidden_.size(); l-- > 0;) {
      Activation::backward(pre_[l + 1], *upstream, *upstream);
      hidden_[l].backward(post_[l], *upstream, *downstream);
      std::swap(upstream, downstream);
    }
    Activation::backward(pre_[0], *upstream, *upstream);
    input_.backward(x, *upstream, Matrix{});
  }

  /// The output of every layer after the last forward: input, each hidden, logits.
  [[nodiscard]] std::vector<Matrix> layer_outputs() const {
    std::vector<Matrix> out(post_.begin(), post_.end());
    out.push_back(logits_);
    return out;
  }

  template <class F> void for_each_tensor(F&& f) {
    input_.for_each_tensor(f);
    for (auto& layer : hidden_) layer.for_each_tensor(f);
    readout_.for_each_tensor(f);
  }

  /// Memory of all parameters (with the sparse layers' indices) and `optimizer_states`
  /// arrays of optimizer state per tensor (2 for Adam); activations are not counted.
  [[nodiscard]] StorageBytes storage_bytes(std::size_t optimizer_states = 0) const {
    auto bytes = input_.storage_bytes(optimizer_states);
    for (auto const& layer : hidden_) bytes += layer.storage_bytes(optimizer_states);
    bytes += readout_.storage_bytes(optimizer_states);
    return bytes;
  }

  [[nodiscard]] Shape const& shape() const { return shape_; }
  /// The base hyper-parameters every layer's rules came from; optimizers check theirs
  /// against them.
  [[nodiscard]] HyperParams const& hyperparams() const { return hp_; }

  /// Calls f(weights) for each hidden matrix, the ones that may be sparse, in order.
  template <class F> void for_each_hidden_weights(F&& f) const {
    for (auto const& layer : hidden_) f(layer.weights());
  }

  /// Everything a checkpoint must agree on (smup/models/identity.hpp).
  [[nodiscard]] Identity identity() const {
    auto id = model_identity<P, S>("MLP", shape_.density, base_, hp_, seed_);
    id.insert(id.begin() + 1, {{"in", std::to_string(shape_.in)},
                               {"width", std::to_string(shape_.width)},
                               {"hidden_layers", std::to_string(shape_.hidden_layers)},
                               {"out", std::to_string(shape_.out)},
                               {"bias", shape_.bias ? "true" : "false"},
                               {"activation", Activation::name}});
    return id;
  }
  /// The loss gradient the next backward() starts from (set by train_step / evaluate).
  [[nodiscard]] Matrix const& d_logits() const { return d_logits_; }

private:
  using Input = Linear<P, Dense, E, Scalar, Role::input>;
  using Hidden = Linear<P, S, E, Scalar, Role::hidden>;
  using Output = Linear<P, Dense, E, Scalar, Role::output>;

  static Shape const& checked(Shape const& s) {
    if (s.in < 1 || s.width < 1 || s.out < 1 || s.hidden_layers < 1)
      detail::fail("smup::MLP: in, width, out and hidden_layers must all be at least 1 (got in " +
                   std::to_string(s.in) + ", width " + std::to_string(s.width) + ", out " +
                   std::to_string(s.out) + ", hidden_layers " + std::to_string(s.hidden_layers) +
                   "). The model is input -> hidden -> readout. Pass positive sizes.");
    return s;
  }

  void ensure_batch(std::int64_t batch) {
    if (batch == batch_) return;
    if (batch < 1) detail::fail("smup::MLP: the batch is empty. Pass at least one column.");
    batch_ = batch;
    auto const n = static_cast<std::size_t>(shape_.hidden_layers) + 1;
    pre_.assign(n, Matrix());
    post_.assign(n, Matrix());
    for (std::size_t l = 0; l < n; ++l) {
      pre_[l] = Matrix("smup::MLP::pre", shape_.width, batch);
      post_[l] = Matrix("smup::MLP::post", shape_.width, batch);
    }
    logits_ = Matrix("smup::MLP::logits", shape_.out, batch);
    d_logits_ = Matrix("smup::MLP::d_logits", shape_.out, batch);
    grad_a_ = Matrix("smup::MLP::grad_a", shape_.width, batch);
    grad_b_ = Matrix("smup::MLP::grad_b", shape_.width, batch);
  }

  Shape shape_;
  BaseShape base_;
  HyperParams hp_;
  std::uint64_t seed_;
  Input input_;
  std::vector<Hidden> hidden_;
  Output readout_;
  std::int64_t batch_ = 0;
  std::vector<Matrix> pre_, post_;
  Matrix logits_, d_logits_, grad_a_, grad_b_;
};

} // namespace smup
