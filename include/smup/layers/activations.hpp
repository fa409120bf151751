#pragma once
/// Element-wise activations on [features][batch] activations: smup::ReLU and
/// smup::GELU (the tanh form used by GPT-2), each with its backward.
///
///     smup::ReLU::forward(pre, post);               // post = max(pre, 0)
///     smup::ReLU::backward(pre, d_post, d_pre);     // d_pre = d_post * (pre > 0)
///
/// Backward takes the pre-activation, which the caller keeps from the forward
/// pass; in-place use (post aliasing pre) is allowed in forward only.

#include <string>

#include <Kokkos_Core.hpp>

#include <smup/core/error.hpp>
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

/// Applies f(i, b) over a [features][batch] view's index space on its execution space.
template <class View, class F> void for_each_entry(char const* label, View const& v, F const& f) {
  using E = typename View::execution_space;
  Kokkos::parallel_for(
      label,
      Kokkos::MDRangePolicy<E, Kokkos::Rank<2>>(
          {0, 0}, {static_cast<std::int64_t>(v.extent(0)), static_cast<std::int64_t>(v.extent(1))}),
      f);
}

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
    detail::for_each_entry(
        "smup::ReLU::forward", post,
        KOKKOS_LAMBDA(std::int64_t i, std::int64_t b) { post(i, b) = value(pre(i, b)); });
  }
  template <class X, class DY, class DX>
  static void backward(X const& pre, DY const& d_post, DX const& d_pre) {
    detail::check_same_extents("ReLU::backward", pre, d_post);
    detail::check_same_extents("ReLU::backward", pre, d_pre);
    detail::for_each_entry(
        "smup::ReLU::backward", d_pre, KOKKOS_LAMBDA(std::int64_t i, std::int64_t b) {
          d_pre(i, b) = d_post(i, b) * derivative(pre(i, b));
        });
  }
};

/// x * Phi(x) in the tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
struct GELU {
  static constexpr char const* name = "gelu";

  template <class T> KOKKOS_INLINE_FUNCTION static T value(T x) {
    T const u = T(0.7978845608028654) * (x + T(0.044715) * x * x * x);
    return T(0.5) * x * (T(1) + detail::tanh(u));
  }
  template <class T> KOKKOS_INLINE_FUNCTION static T derivative(T x) {
    T const u = T(0.7978845608028654) * (x + T(0.044715) * x * x * x);
    T const t = detail::tanh(u);
    T const du = T(0.7978845608028654) * (T(1) + T(3 * 0.044715) * x * x);
    return T(0.5) * (T(1) + t) + T(0.5) * x * (T(1) - t * t) * du;
  }

  template <class X, class Y> static void forward(X const& pre, Y const& post) {
    detail::check_same_extents("GELU::forward", pre, post);
    detail::for_each_entry(
        "smup::GELU::forward", post,
        KOKKOS_LAMBDA(std::int64_t i, std::int64_t b) { post(i, b) = value(pre(i, b)); });
  }
  template <class X, class DY, class DX>
  static void backward(X const& pre, DY const& d_post, DX const& d_pre) {
    detail::check_same_extents("GELU::backward", pre, d_post);
    detail::check_same_extents("GELU::backward", pre, d_pre);
    detail::for_each_entry(
        "smup::GELU::backward", d_pre, KOKKOS_LAMBDA(std::int64_t i, std::int64_t b) {
          d_pre(i, b) = d_post(i, b) * derivative(pre(i, b));
        });
  }
};

} // namespace smup
