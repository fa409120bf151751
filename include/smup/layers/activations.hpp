#pragma once
/// Element-wise activations on [features][batch] activations: smup::ReLU and
/// smup::GELU (the tanh form used by GPT-2), each with its backward.
///
///     smup::ReLU::forward(pre, post);               // post = max(pre, 0)
///     smup::ReLU::backward(pre, d_post, d_pre);     // d_pre = d_post * (pre > 0)
///
/// Backward takes the pre-activation, which the caller keeps from the forward
/// pass; in-place use (post aliasing pre) is allowed in forward only.

#include <cstdint>
#include <string>

#include <Kokkos_Core.hpp>

#include <smup/core/error.hpp>
#include <smup/kernels/elementwise.hpp>
#include <smup/kernels/math.hpp>

namespace smup {

namespace detail {

template <class A, class B> void check_same_extents(char const* what, A const& a, B const& b) {
  if (a.extent(0) != b.extent(0) || a.extent(1) != b.extent(1))
    fail(std::string("smup::") + what + ": operands differ in shape (" +
         std::to_string(a.extent(0)) + " x " + std::to_string(a.extent(1)) + " vs " +
         std::to_string(b.extent(0)) + " x " + std::to_string(b.extent(1)) +
         "). Pass views of the same [features][batch] extents.");
}

/// The activation A as map_entries' operations: its value, and the chain rule
/// d_post * A'(pre).
template <class A> struct ActivationValue {
  template <class T> KOKKOS_INLINE_FUNCTION T operator()(T x) const { return A::value(x); }
};
template <class A> struct ActivationChain {
  template <class T> KOKKOS_INLINE_FUNCTION T operator()(T d_post, T pre) const {
    return d_post * A::derivative(pre);
  }
};

} // namespace detail

/// max(x, 0). Its derivative at 0 is taken as 0.
struct ReLU {
  static constexpr char const* name = "relu";

  template <class T> KOKKOS_INLINE_FUNCTION static T value(T x) { return x > T(0) ? x : T(0); }
  template <class T> KOKKOS_INLINE_FUNCTION static T derivative(T x) {
    return x > T(0) ? T(1) : T(0);
  }

  template <class X, class Y> static void forward(X const& pre, Y const& post) {
    detail::check_same_extents("ReLU::forward", pre, post);
    detail::map_entries("smup::ReLU::forward", post, detail::ActivationValue<ReLU>{}, pre);
  }
  template <class X, class DY, class DX>
  static void backward(X const& pre, DY const& d_post, DX const& d_pre) {
    detail::check_same_extents("ReLU::backward", pre, d_post);
    detail::check_same_extents("ReLU::backward", pre, d_pre);
    detail::map_entries("smup::ReLU::backward", d_pre, detail::ActivationChain<ReLU>{}, d_post,
                        pre);
  }
};

/// x * Phi(x) in the tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
struct GELU {
  static constexpr char const* name = "gelu";

  // 0.5 x (1 + tanh u) = x s with s = logistic(2u): the same function, without the
  // cancellation of 1 + tanh u for negative x, and vectorisable in float.
  template <class T> KOKKOS_INLINE_FUNCTION static T value(T x) {
    T const u = T(0.7978845608028654) * (x + T(0.044715) * x * x * x);
    return x * detail::logistic(T(2) * u);
  }
  template <class T> KOKKOS_INLINE_FUNCTION static T derivative(T x) {
    T const u = T(0.7978845608028654) * (x + T(0.044715) * x * x * x);
    T const s = detail::logistic(T(2) * u);
    T const du = T(0.7978845608028654) * (T(1) + T(3 * 0.044715) * x * x);
    return s + T(2) * x * s * (T(1) - s) * du;
  }

  template <class X, class Y> static void forward(X const& pre, Y const& post) {
    detail::check_same_extents("GELU::forward", pre, post);
    detail::map_entries("smup::GELU::forward", post, detail::ActivationValue<GELU>{}, pre);
  }
  template <class X, class DY, class DX>
  static void backward(X const& pre, DY const& d_post, DX const& d_pre) {
    detail::check_same_extents("GELU::backward", pre, d_post);
    detail::check_same_extents("GELU::backward", pre, d_pre);
    detail::map_entries("smup::GELU::backward", d_pre, detail::ActivationChain<GELU>{}, d_post,
                        pre);
  }
};

} // namespace smup
