#pragma once
/// Stopping a run whose loss or gradient is no longer a number, before the bad update
/// reaches the weights.
///
///     double const loss = model.loss_and_gradients(x, labels);
///     double const norm = smup::clip_grad_norm(model, 1.0); // or smup::gradient_norm(model)
///     smup::require_finite_step(step, loss, norm);          // throws smup::RunDiverged
///     optimizer.step(model);
///
/// model.train_step does the same three things without the check. Checking between the
/// gradients and the optimizer step keeps the weights and the optimizer state as they were
/// after the last good step: a checkpoint written before stays the last good state, and
/// none is ever written from a model holding NaN (save_checkpoint refuses one anyway).
///
/// smup::RunDiverged is a result, not a bug: run_sweep records the run as diverged and goes
/// on with the next one; a single training run lets it propagate and stop the program with
/// its message, which names the step.

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>

namespace smup {

/// Thrown when a run has diverged: its loss or gradient is not finite, or its loss is
/// beyond any sensible value. run_sweep records the run as diverged and goes on.
///
///     if (!std::isfinite(loss)) throw smup::RunDiverged("loss is nan in step 12");
class RunDiverged : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

namespace detail {

inline std::string shortest_text(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.6g", v);
  return buffer;
}

} // namespace detail

/// Throws smup::RunDiverged naming `step` when `loss` or `gradient_norm` is not finite, or
/// when `loss` exceeds `max_loss` (a loss far above its value at initialisation means the
/// run has blown up even while it is still finite). Call it before the optimizer step.
///
///     smup::require_finite_step(12, loss, norm, /*max_loss=*/20);
inline void require_finite_step(std::int64_t step, double loss, double gradient_norm,
                                double max_loss = HUGE_VAL) {
  std::string what;
  if (!std::isfinite(loss))
    what = "the loss is " + detail::shortest_text(loss);
  else if (!std::isfinite(gradient_norm))
    what = "the gradient norm is " + detail::shortest_text(gradient_norm) + " (loss " +
           detail::shortest_text(loss) + ")";
  else if (loss > max_loss)
    what =
        "the loss " + detail::shortest_text(loss) + " exceeds " + detail::shortest_text(max_loss);
  else
    return;
  throw RunDiverged("training diverged in step " + std::to_string(step) + ": " + what +
                    ". The step was not applied, so the weights are those of the step "
                    "before. Try a smaller learning rate.");
}

} // namespace smup
