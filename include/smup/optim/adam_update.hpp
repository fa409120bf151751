#pragma once
/// The Adam(W) update of one tensor as a functor, so it compiles for every backend
/// (device lambdas may not live in private members) and reads as one formula:
///
///     smup::detail::AdamMoments<float, E> s{m, v};
///     smup::detail::adam_update<E>(values, grad, s, coefficients);
///
/// Arithmetic is in double whatever the scalar type: the bias corrections and
/// lr * m / sqrt(v) lose the small updates of late training in float.

#include <cstdint>

#include <Kokkos_Core.hpp>

#include <smup/kernels/math.hpp>
#include <smup/kernels/views.hpp>

namespace smup::detail {

/// First and second moments of one tensor, in its values' layout.
template <class Scalar, class E> struct AdamMoments { WeightValues<Scalar, E> m, v; };

/// The scalars of one update: lr and decay already include the schedule.
struct AdamCoefficients {
  double lr = 0;    ///< the tensor's learning rate at this step
  double beta1 = 0; ///< first-moment decay
  double beta2 = 0; ///< second-moment decay
  double epsilon = 0;
  double c1 = 1;     ///< 1 - beta1^t, the first moment's bias correction
  double c2 = 1;     ///< 1 - beta2^t
  double l2 = 0;     ///< coefficient of w added to the gradient (Adam's weight decay)
  double shrink = 0; ///< fraction of w removed before the step (AdamW's weight decay)
};

template <class Scalar, class E> struct AdamUpdate {
  WeightValues<Scalar, E> w, g, m, v;
  AdamCoefficients c;

  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t k) const {
    double const grad = double(g(k)) + c.l2 * double(w(k));
    double const mk = c.beta1 * double(m(k)) + (1.0 - c.beta1) * grad;
    double const vk = c.beta2 * double(v(k)) + (1.0 - c.beta2) * grad * grad;
    m(k) = static_cast<Scalar>(mk);
    v(k) = static_cast<Scalar>(vk);
    double const step = c.lr * (mk / c.c1) / (detail::sqrt(vk / c.c2) + c.epsilon);
    w(k) = static_cast<Scalar>(double(w(k)) * (1.0 - c.shrink) - step);
  }
};

template <class E, class Scalar>
void adam_update(WeightValues<Scalar, E> const& values, WeightValues<Scalar, E> const& grad,
                 AdamMoments<Scalar, E> const& s, AdamCoefficients const& c) {
  Kokkos::parallel_for("smup::Adam::update", Kokkos::RangePolicy<E>(0, values.extent(0)),
                       AdamUpdate<Scalar, E>{values, grad, s.m, s.v, c});
}

} // namespace smup::detail
