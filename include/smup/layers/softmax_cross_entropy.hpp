#pragma once
/// Softmax cross-entropy with integer labels, on logits laid out [classes][batch].
///
///     double loss = smup::SoftmaxCrossEntropy::forward_backward(logits, labels, d_logits);
///     std::int64_t right = smup::SoftmaxCrossEntropy::correct(logits, labels);
///
/// The loss is the batch mean, so d_logits = (softmax - one_hot) / batch. Softmax is
/// computed after subtracting each column's maximum, so large logits cannot overflow.
/// A label outside [0, classes) is an smup::error. forward_backward finds it without a
/// separate blocking check: such a column reads nothing, makes the loss NaN, and only
/// then are the labels counted (d_logits has been written by then; the model has not).

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include <Kokkos_Core.hpp>

#include <smup/core/error.hpp>
#include <smup/kernels/fixed_order_sum.hpp>
#include <smup/kernels/math.hpp>

namespace smup {

struct SoftmaxCrossEntropy {
  template <class Logits, class Labels>
  static void check_extents(char const* what, Logits const& logits, Labels const& labels) {
    if (labels.extent(0) != logits.extent(1))
      detail::fail(std::string("smup::SoftmaxCrossEntropy::") + what + ": there are " +
                   std::to_string(labels.extent(0)) + " labels for a batch of " +
                   std::to_string(logits.extent(1)) +
                   ". Logits are [classes][batch] and each column needs one label.");
  }

  /// Throws smup::error when a label lies outside [0, classes). Blocks: it reads a count
  /// back from the labels' memory.
  template <class Logits, class Labels>
  static void check(char const* what, Logits const& logits, Labels const& labels) {
    check_extents(what, logits, labels);
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
      detail::fail(std::string("smup::SoftmaxCrossEntropy::") + what + ": " + std::to_string(bad) +
                   " label(s) outside [0, " + std::to_string(classes) +
                   "). Labels are class indices. Check the data or the number of classes.");
  }

  /// Mean loss over the batch; writes its gradient with respect to the logits.
  template <class Logits, class Labels, class DLogits> static double
  forward_backward(Logits const& logits, Labels const& labels, DLogits const& d_logits) {
    check_extents("forward_backward", logits, labels);
    if (d_logits.extent(0) != logits.extent(0) || d_logits.extent(1) != logits.extent(1))
      detail::fail("smup::SoftmaxCrossEntropy::forward_backward: d_logits must have the logits' "
                   "shape [classes][batch].");
    using E = typename Logits::execution_space;
    auto const classes = static_cast<std::int64_t>(logits.extent(0));
    auto const batch = static_cast<std::int64_t>(logits.extent(1));
    double const nan = std::numeric_limits<double>::quiet_NaN();
    // Each column's loss, then their sum in a fixed order: the same bits on any thread count.
    Kokkos::View<double*, typename E::memory_space> column_loss(
        Kokkos::view_alloc(Kokkos::WithoutInitializing, "smup::SoftmaxCrossEntropy::column_loss"),
        batch);
    Kokkos::parallel_for(
        "smup::SoftmaxCrossEntropy::forward_backward", Kokkos::RangePolicy<E>(0, batch),
        KOKKOS_LAMBDA(std::int64_t b) {
          auto const label = labels(b);
          if (label < 0 || label >= classes) {
            for (std::int64_t c = 0; c < classes; ++c)
              d_logits(c, b) = typename DLogits::value_type(0);
            column_loss(b) = nan;
            return;
          }
          double top = logits(0, b);
          for (std::int64_t c = 1; c < classes; ++c)
            top = logits(c, b) > top ? double(logits(c, b)) : top;
          double z = 0.0;
          for (std::int64_t c = 0; c < classes; ++c) z += detail::exp(double(logits(c, b)) - top);
          double const scale = 1.0 / (z * double(batch));
          for (std::int64_t c = 0; c < classes; ++c) {
            double const p = detail::exp(double(logits(c, b)) - top) * scale;
            d_logits(c, b) =
                static_cast<typename DLogits::value_type>(c == label ? p - 1.0 / double(batch) : p);
          }
          column_loss(b) = detail::log(z) - (double(logits(label, b)) - top);
        });
    double const total = detail::fixed_order_sum<E>(
        "smup::SoftmaxCrossEntropy::loss_sum", batch,
        KOKKOS_LAMBDA(std::int64_t b) { return column_loss(b); });
    // A bad label is one cause of a non-finite loss; only then is it worth a look.
    if (!std::isfinite(total)) check("forward_backward", logits, labels);
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
