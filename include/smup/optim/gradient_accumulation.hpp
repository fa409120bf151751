#pragma once
/// smup::GradientAccumulator: one optimizer step over a batch too large for one pass, as
/// k micro-batches, equal to the step over their union up to rounding. Each micro-batch's
/// loss is a mean over its own n_i targets, so the union's gradient (and loss) is the sum
/// of the micro-batches' weighted by n_i / N, N = n_1 + ... + n_k; add() takes that weight.
///
///     smup::GradientAccumulator acc(model);                  // one buffer, reused
///     acc.zero();
///     for (auto const& [x, y] : micro_batches)              // y: n_i targets, N in all
///       acc.add(model, double(y.extent(0)) / N, model.loss_and_gradients(x, y));
///     double loss = acc.finish(model);  // the gradients and mean loss of the union
///     adam.step(model);                 // clip_grad_norm(model, ...) before, if wanted
///
/// or in one call, weights from the targets' sizes, clipping the accumulated gradient:
///
///     std::vector<smup::MicroBatch<Matrix, Labels>> micro{{x0, y0}, {x1, y1}};
///     double loss = acc.train_step(model, micro, adam, /*max_grad_norm=*/1.0);
///
/// n_i counts the loss's terms: columns (labels) for the MLP, tokens (targets) for the GPT,
/// so a micro-batch of b sequences weighs b * context. The weights need not sum to one:
/// the result is the weighted sum, whatever the weights.

#include <cmath>
#include <cstdint>
#include <ranges>
#include <string>

#include <smup/core/error.hpp>
#include <smup/optim/clip.hpp>
#include <smup/optim/gradient_buffer.hpp>

namespace smup {

/// One micro-batch: what the model's loss_and_gradients takes. The MLP's inputs are
/// x [in][n] and targets its n labels; the GPT's are tokens and targets of n * context.
template <class Inputs, class Targets> struct MicroBatch {
  Inputs inputs;
  Targets targets;
};

template <class Scalar, class E> class GradientAccumulator {
public:
  using execution_space = E;
  using scalar_type = Scalar;

  template <class Model> explicit GradientAccumulator(Model& model) : buffer_(model) {}

  /// Starts a new sum; the buffer is overwritten by the next add(), not cleared here.
  void zero() {
    adds_ = 0;
    weight_ = 0.0;
    loss_ = 0.0;
  }

  /// sum += weight * (the model's current gradients); loss, when given, is summed with
  /// the same weight for finish() to return.
  template <class Model> void add(Model& model, double weight, double loss = 0.0) {
    if (!(weight > 0) || !std::isfinite(weight))
      detail::fail("smup::GradientAccumulator::add: the weight must be positive and finite (got " +
                   std::to_string(weight) +
                   "). It is the micro-batch's share n_i / N of the whole batch's targets. "
                   "Pass e.g. double(y.extent(0)) / N.");
    if (adds_ == 0)
      buffer_.pack(model, weight);
    else
      buffer_.add(model, weight);
    ++adds_;
    weight_ += weight;
    loss_ += weight * loss;
  }

  /// The model's gradients = the weighted sum; returns the weighted sum of the losses.
  /// The sum stays: a second finish() gives the same gradients.
  template <class Model> double finish(Model& model) {
    if (adds_ == 0)
      detail::fail("smup::GradientAccumulator::finish: nothing was added since zero(). The sum "
                   "of no micro-batches has no gradient. Call add(model, weight) after each "
                   "micro-batch's loss_and_gradients first.");
    buffer_.unpack(model);
    return loss_;
  }

  /// One optimizer step over the union of the micro-batches (a range of MicroBatch, or of
  /// anything with .inputs and .targets): each is weighted by its share of all targets,
  /// a positive max_grad_norm clips the accumulated gradient. Returns the union's mean loss.
  template <class Model, std::ranges::forward_range Batches, class Optimizer>
  double train_step(Model& model, Batches const& micro_batches, Optimizer& optimizer,
                    double max_grad_norm = 0.0) {
    std::int64_t total = 0;
    for (auto const& b : micro_batches) total += static_cast<std::int64_t>(b.targets.extent(0));
    if (std::ranges::empty(micro_batches) || total == 0)
      detail::fail("smup::GradientAccumulator::train_step: the micro-batches hold no targets (" +
                   std::to_string(std::ranges::distance(micro_batches)) +
                   " micro-batches). A step needs examples. Pass at least one non-empty one.");
    zero();
    for (auto const& b : micro_batches) {
      auto const n = static_cast<std::int64_t>(b.targets.extent(0));
      if (n == 0) continue; // an empty micro-batch adds nothing; the model rejects it
      double const loss = model.loss_and_gradients(b.inputs, b.targets);
      add(model, static_cast<double>(n) / static_cast<double>(total), loss);
    }
    double const loss = finish(model);
    if (max_grad_norm > 0) clip_grad_norm(model, max_grad_norm);
    optimizer.step(model);
    return loss;
  }

  /// Micro-batches added since zero(), and their summed weight (1 when the weights were
  /// the shares of one batch).
  [[nodiscard]] int count() const { return adds_; }
  [[nodiscard]] double weight() const { return weight_; }
  [[nodiscard]] GradientBuffer<Scalar, E> const& buffer() const { return buffer_; }

private:
  GradientBuffer<Scalar, E> buffer_;
  int adds_ = 0;
  double weight_ = 0.0;
  double loss_ = 0.0;
};

template <class Model> GradientAccumulator(Model&)
    -> GradientAccumulator<typename Model::scalar_type, typename Model::execution_space>;

/// GradientAccumulator::train_step with a buffer of its own: allocates one each call, so
/// a training loop keeps a GradientAccumulator instead.
template <class Model, std::ranges::forward_range Batches, class Optimizer>
double accumulated_train_step(Model& model, Batches const& micro_batches, Optimizer& optimizer,
                              double max_grad_norm = 0.0) {
  GradientAccumulator acc(model);
  return acc.train_step(model, micro_batches, optimizer, max_grad_norm);
}

} // namespace smup
