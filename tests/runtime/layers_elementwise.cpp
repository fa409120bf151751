// Activations and the loss: each backward against central finite differences in double.
#include "catch.hpp"
#include "kernel_reference.hpp"

#include <smup/kernels/views.hpp>
#include <smup/layers/activations.hpp>
#include <smup/layers/softmax_cross_entropy.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace {

using E = Kokkos::DefaultExecutionSpace;
using Matrix = smup::Activations<double, E>;
using Labels = Kokkos::View<int*, E::memory_space>;

template <class Host> double sum_of_products(Host const& a, Host const& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.extent(0); ++i)
    for (std::size_t j = 0; j < a.extent(1); ++j) s += a(i, j) * b(i, j);
  return s;
}

/// d/dx of sum(dy * f(x)) by central differences, entry by entry, against backward.
template <class Activation> void check_activation_gradient() {
  Matrix pre("pre", 7, 5), post("post", 7, 5), dy("dy", 7, 5), dx("dx", 7, 5);
  smup_test::fill_uniform(pre, 3);
  smup_test::fill_uniform(dy, 4);
  Activation::backward(pre, dy, dx);
  auto const h_pre = smup_test::host_copy(pre);
  auto const h_dy = smup_test::host_copy(dy);
  auto const h_dx = smup_test::host_copy(dx);
  double const step = 1e-6;
  for (std::size_t i = 0; i < 7; ++i)
    for (std::size_t b = 0; b < 5; ++b) {
      auto probe = [&](double shift) {
        auto x = Kokkos::create_mirror_view(pre);
        Kokkos::deep_copy(x, h_pre);
        x(i, b) += shift;
        Kokkos::deep_copy(pre, x);
        Activation::forward(pre, post);
        return sum_of_products(Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, post),
                               h_dy);
      };
      double const numeric = (probe(step) - probe(-step)) / (2 * step);
      CHECK(std::abs(numeric - h_dx(i, b)) <= 1e-7 * std::max(1.0, std::abs(numeric)));
    }
}

} // namespace

TEST_CASE("ReLU's backward matches finite differences", "[layers][activations]") {
  check_activation_gradient<smup::ReLU>();
}

TEST_CASE("GELU's backward matches finite differences", "[layers][activations]") {
  check_activation_gradient<smup::GELU>();
}

TEST_CASE("GELU takes its reference values", "[layers][activations]") {
  CHECK(smup::GELU::value(0.0) == 0.0);
  CHECK(smup::GELU::value(1.0) == Approx(0.8411919906).epsilon(1e-9));
  CHECK(smup::GELU::value(-3.0) == Approx(-0.0036373920).epsilon(1e-7));
}

TEST_CASE("GELU in float follows the double-precision function", "[layers][activations]") {
  // float takes the vectorisable exponential (smup::detail::exp_arithmetic); it must agree
  // with libm's double over the range activations take, to float's precision.
  double worst_value = 0, worst_derivative = 0;
  for (int k = -8000; k <= 8000; ++k) {
    double const x = k * 1e-3;
    double const v = smup::GELU::value(x), d = smup::GELU::derivative(x);
    double const vf = smup::GELU::value(float(x)), df = smup::GELU::derivative(float(x));
    worst_value = std::max(worst_value, std::abs(vf - v) / std::max(std::abs(v), 1e-3));
    worst_derivative = std::max(worst_derivative, std::abs(df - d));
  }
  CHECK(worst_value < 1e-5);
  CHECK(worst_derivative < 1e-5);
  for (float y : {-80.f, -20.f, -1.f, 0.f, 0.5f, 1.f, 20.f, 80.f})
    CHECK(smup::detail::exp_arithmetic(y) == Approx(std::exp(double(y))).epsilon(3e-7));
  CHECK(smup::detail::exp_arithmetic(-1000.f) > 0.f); // clamped, never 0 or NaN
  CHECK(std::isfinite(smup::detail::exp_arithmetic(1000.f)));
}

TEST_CASE("Activations reject operands of different shapes", "[layers][activations]") {
  Matrix a("a", 3, 4), b("b", 4, 3);
  CHECK_THROWS_WITH(smup::ReLU::forward(a, b),
                    Catch::Contains("smup::ReLU::forward") && Catch::Contains("differ in shape"));
}

TEST_CASE("Softmax cross-entropy's gradient matches finite differences of its loss",
          "[layers][loss]") {
  Matrix logits("logits", 6, 4), grad("grad", 6, 4);
  smup_test::fill_uniform(logits, 9);
  Labels labels("labels", 4);
  auto h_labels = Kokkos::create_mirror_view(labels);
  for (int b = 0; b < 4; ++b) h_labels(b) = (3 * b + 1) % 6;
  Kokkos::deep_copy(labels, h_labels);

  double const loss = smup::SoftmaxCrossEntropy::forward_backward(logits, labels, grad);
  auto const h_logits = smup_test::host_copy(logits);
  auto const h_grad = smup_test::host_copy(grad);
  Matrix scratch("scratch", 6, 4);
  double const step = 1e-6;
  for (std::size_t c = 0; c < 6; ++c)
    for (std::size_t b = 0; b < 4; ++b) {
      auto probe = [&](double shift) {
        auto x = Kokkos::create_mirror_view(logits);
        Kokkos::deep_copy(x, h_logits);
        x(c, b) += shift;
        Kokkos::deep_copy(logits, x);
        return smup::SoftmaxCrossEntropy::forward_backward(logits, labels, scratch);
      };
      double const numeric = (probe(step) - probe(-step)) / (2 * step);
      CHECK(std::abs(numeric - h_grad(c, b)) <= 1e-8);
    }
  // Uniform logits give log(classes) exactly.
  Kokkos::deep_copy(logits, 0.25);
  CHECK(smup::SoftmaxCrossEntropy::forward_backward(logits, labels, grad) ==
        Approx(std::log(6.0)).epsilon(1e-12));
  CHECK(loss > 0);
}

TEST_CASE("Softmax cross-entropy stays finite for huge logits and counts correct columns",
          "[layers][loss]") {
  Matrix logits("logits", 3, 2), grad("grad", 3, 2);
  auto h = Kokkos::create_mirror_view(logits);
  h(0, 0) = 1000;
  h(1, 0) = 0;
  h(2, 0) = -1000;
  h(0, 1) = -1000;
  h(1, 1) = 0;
  h(2, 1) = 1000;
  Kokkos::deep_copy(logits, h);
  Labels labels("labels", 2);
  auto hl = Kokkos::create_mirror_view(labels);
  hl(0) = 0;
  hl(1) = 1;
  Kokkos::deep_copy(labels, hl);
  double const loss = smup::SoftmaxCrossEntropy::forward_backward(logits, labels, grad);
  CHECK(std::isfinite(loss));
  CHECK(loss == Approx(500.0).epsilon(1e-12)); // column 0 costs 0, column 1 costs 1000
  CHECK(smup::SoftmaxCrossEntropy::correct(logits, labels) == 1);
}

TEST_CASE("Softmax cross-entropy rejects bad labels, found through the loss it makes NaN",
          "[layers][loss]") {
  Matrix logits("logits", 3, 2), grad("grad", 3, 2);
  Kokkos::deep_copy(grad, 7.0);
  Labels labels("labels", 2);
  auto hl = Kokkos::create_mirror_view(labels);
  hl(0) = 0;
  hl(1) = 3;
  Kokkos::deep_copy(labels, hl);
  CHECK_THROWS_WITH(smup::SoftmaxCrossEntropy::forward_backward(logits, labels, grad),
                    Catch::Contains("1 label(s) outside [0, 3)"));
  // The bad column reads no logit of its label and gets a zero gradient.
  auto const h_grad = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, grad);
  for (std::size_t c = 0; c < 3; ++c) CHECK(h_grad(c, 1) == 0.0);
  CHECK_THROWS_WITH(smup::SoftmaxCrossEntropy::correct(logits, labels),
                    Catch::Contains("smup::SoftmaxCrossEntropy::correct: 1 label(s) outside"));
  Labels short_labels("short", 1);
  CHECK_THROWS_WITH(smup::SoftmaxCrossEntropy::correct(logits, short_labels),
                    Catch::Contains("1 labels for a batch of 2"));
}
