#pragma once
/// Softmax cross-entropy with integer labels, on logits laid out [classes][batch].
///
///     double loss = smup::SoftmaxCrossEntropy::forward_backward(logits, labels, d_logits);
///     std::int64_t right = smup::SoftmaxCrossEntropy::correct(logits, labels);
///
/// The loss is the batch mean, so d_logits = (softmax - one_hot) / batch. Softmax is
/// computed after subtracting each column's maximum, so large logits cannot overflow.
/// A label outside [0, classes) is an smup::error, checked before anything is written.

#include <cstdint>
#include <string>

#include <Kokkos_Core.hpp>

#include <smup/core/error.hpp>
#include <smup/kernels/math.hpp>

namespace smup {

struct SoftmaxCrossEntropy {
  template <class Logits, class Labels>
  static void check(char const* what, Logits const& logits, Labels const& labels) {
    std::string const where = std::string("smup::SoftmaxCrossEntropy::") + what + ": ";
    if (labels.extent(0) != logits.extent(1))
      detail::fail(where + "there are " + std::to_string(labels.extent(0)) +
                   " labels for a batch of " + std::to_string(logits.extent(1)) +
                   ". Logits are [classes][batch] and each column needs one label.");
    using E = typename Logits::execution_space;
    auto const classes = static_cast<std::int64_t>(logits.extent(0));
    std::int64_t bad = 0;
    Kokkos::parallel_reduce(
        "smup::SoftmaxCrossEntropy::check", Kokkos::RangePolicy<E>(0, labels.extent(0)),
        KOKKOS_LAMBDA(std::int64_t b, std::int64_t & count) {
          if (labels(b) < 0 || labels(b) >= classes) ++count;
        },
        bad);
    if (bad > 0)
      detail::fail(where + std::to_string(bad) + " label(s) outside [0, " +
                   std::to_string(classes) +
                   "). Labels are class indices. Check the data or the number of classes.");
  }

  /// Mean loss over the batch; writes its gradient with respect to the logits.
  template <class Logits, class Labels, class DLogits> static double
  forward_backward(Logits const& logits, Labels const& labels, DLogits const& d_logits) {
    check("forward_backward", logits, labels);
    if (d_logits.extent(0) != logits.extent(0) || d_logits.extent(1) != logits.extent(1))
      detail::fail("smup::SoftmaxCrossEntropy::forward_backward: d_logits must have the logits' "
                   "shape [classes][batch].");
    using E = typename Logits::execution_space;
    auto const classes = static_cast<std::int64_t>(logits.extent(0));
    auto const batch = static_cast<std::int64_t>(logits.extent(1));
    double total = 0.0;
    Kokkos::parallel_reduce(
        "smup::SoftmaxCrossEntropy::forward_backward", Kokkos::RangePolicy<E>(0, batch),
        KOKKOS_LAMBDA(std::int64_t b, double& sum) {
          double top = logits(0, b);
          for (std::int64_t c = 1; c < classes; ++c)
            top = logits(c, b) > top ? double(logits(c, b)) : top;
          double z = 0.0;
          for (std::int64_t c = 0; c < classes; ++c) z += detail::exp(double(logits(c, b)) - top);
          double const scale = 1.0 / (z * double(batch));
          for (std::int64_t c = 0; c < classes; ++c) {
            double const p = detail::exp(double(logits(c, b)) - top) * scale;
            d_logits(c, b) = static_cast<typename DLogits::value_type>(
                c == labels(b) ? p - 1.0 / double(batch) : p);
          }
          sum += detail::log(z) - (double(logits(labels(b), b)) - top);
        },
        total);
    return total / double(batch);
  }

  /// Columns whose largest logit is at the label (ties go to the lower class).
  template <class Logits, class Labels>
  static std::int64_t correct(Logits const& logits, Labels const& labels) {
    check("correct", logits, labels);
    using E = typename Logits::execution_space;
    auto const classes = static_cast<std::int64_t>(logits.extent(0));
    std::int64_t right = 0;
    Kokkos::parallel_reduce(
        "smup::SoftmaxCrossEntropy::correct", Kokkos::RangePolicy<E>(0, logits.extent(1)),
        KOKKOS_LAMBDA(std::int64_t b, std::int64_t & count) {
          std::int64_t best = 0;
          for (std::int64_t c = 1; c < classes; ++c)
            if (logits(c, b) > logits(best, b)) best = c;
          if (best == labels(b)) ++count;
        },
        right);
    return right;
  }
};

} // namespace smup
