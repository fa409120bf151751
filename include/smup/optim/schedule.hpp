#pragma once
/// Learning-rate schedules: a factor in [0, 1] that multiplies every tensor's own
/// learning rate at a given step (the per-tensor rates come from the parameterization).
///
///     smup::LrSchedule s{.warmup_steps = 100, .decay = smup::LrDecay::cosine, .total_steps =
///     1000}; double lr = table_row.lr_adam * s.factor(step);
///
/// Warm-up rises linearly from 1/(warmup+1) to 1 over the first warmup_steps steps; then
/// the factor stays 1 (constant) or falls to 0 at total_steps (cosine or linear).

#include <cmath>
#include <cstdint>
#include <numbers>
#include <string>

#include <smup/core/error.hpp>

namespace smup {

enum class LrDecay { constant, cosine, linear };

struct LrSchedule {
  std::int64_t warmup_steps = 0;
  LrDecay decay = LrDecay::constant;
  std::int64_t total_steps = 0; ///< where cosine and linear reach 0; unused when constant

  /// Throws smup::error naming the field that makes the schedule meaningless.
  void check() const {
    if (warmup_steps < 0)
      detail::fail("smup::LrSchedule: warmup_steps is negative (" + std::to_string(warmup_steps) +
                   "). It counts steps. Pass 0 or more.");
    if (decay != LrDecay::constant && total_steps <= warmup_steps)
      detail::fail("smup::LrSchedule: total_steps (" + std::to_string(total_steps) +
                   ") must exceed warmup_steps (" + std::to_string(warmup_steps) +
                   ") for a decaying schedule. The decay happens between them. Raise total_steps.");
  }

  /// "warmup=100 decay=cosine total=1000": what a checkpoint records of the schedule.
  [[nodiscard]] std::string text() const {
    std::string_view const name = decay == LrDecay::constant ? "constant"
                                  : decay == LrDecay::cosine ? "cosine"
                                                             : "linear";
    return "warmup=" + std::to_string(warmup_steps) + " decay=" + std::string(name) +
           " total=" + std::to_string(total_steps);
  }

  /// The factor for step `step` (0-based); 0 from total_steps on for decaying schedules.
  [[nodiscard]] double factor(std::int64_t step) const {
    check();
    if (step < 0)
      detail::fail("smup::LrSchedule: step is negative (" + std::to_string(step) + ").");
    if (step < warmup_steps) return double(step + 1) / double(warmup_steps + 1);
    if (decay == LrDecay::constant) return 1.0;
    if (step >= total_steps) return 0.0;
    double const progress = double(step - warmup_steps) / double(total_steps - warmup_steps);
    return decay == LrDecay::linear ? 1.0 - progress
                                    : 0.5 * (1.0 + std::cos(std::numbers::pi * progress));
  }
};

} // namespace smup
