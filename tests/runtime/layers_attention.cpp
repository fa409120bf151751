// Causal self-attention: gradients against finite differences in double, causality,
// the logit scale of each parameterization, a host reference forward, and its errors.
#include "catch.hpp"
#include "finite_difference.hpp"
#include "kernel_reference.hpp"

#include <smup/layers/causal_attention.hpp>
#include <smup/parameterization/mup.hpp>
#include <smup/parameterization/sp.hpp>
#include <smup/parameterization/sparse_mup.hpp>
#include <smup/sparsity/unstructured.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace {

using smup_test::dot_host;
using smup_test::with_shift;

using E = Kokkos::DefaultExecutionSpace;
using Matrix = smup::Activations<double, E>;
using HostMatrix = smup_test::HostMatrix<double>;
constexpr smup::HyperParams hp{.sigma = 0.5, .eta = 0x1p-6};
constexpr smup::BaseShape base{.width = 4};

template <class P, class S = smup::Dense> using Attention =
    smup::CausalSelfAttention<P, S, E, double>;

/// Non-zero biases, so the gradient check covers them with a non-trivial attention.
template <class Layer> void fill_biases(Layer& layer) {
  smup_test::fill_uniform(layer.qkv_projection().bias(), 31);
  smup_test::fill_uniform(layer.output_projection().bias(), 32);
}

/// Loss L = sum(r .* attention(x)); every parameter gradient and dx against central
/// differences. Sparse projections are perturbed at their kept entries, the only ones stored.
template <class P, class S = smup::Dense>
void check_gradients(smup::ratio density = smup::ratio{1}) {
  std::int64_t const d = 8, T = 3, columns = 2 * T;
  Attention<P, S> layer({.width = d, .head_dim = 4, .density = density}, base, hp, 5);
  fill_biases(layer);
  Matrix x("x", d, columns), y("y", d, columns), r("r", d, columns), dx("dx", d, columns);
  smup_test::fill_uniform(x, 1);
  smup_test::fill_uniform(r, 2);
  layer.forward(x, y, T);
  layer.backward(x, r, dx);

  std::vector<smup::Tensor<double, E>> tensors;
  layer.for_each_tensor([&](smup::Tensor<double, E> const& t) { tensors.push_back(t); });
  REQUIRE(tensors.size() == 4); // (weights, bias) of the QKV and the output projection
  std::vector<std::vector<double>> grads;
  for (auto const& t : tensors) {
    auto const g = smup_test::host_copy(t.grad);
    grads.emplace_back(g.data(), g.data() + g.extent(0));
  }
  auto const loss = [&] {
    layer.forward(x, y, T);
    return dot_host(y, r);
  };
  double const h = 1e-6;
  for (std::size_t i = 0; i < tensors.size(); ++i)
    for (std::size_t k = 0; k < tensors[i].values.extent(0); ++k) {
      double const numeric =
          (with_shift(tensors[i].values, k, h, loss) - with_shift(tensors[i].values, k, -h, loss)) /
          (2 * h);
      CHECK(std::abs(numeric - grads[i][k]) <= 1e-7 * std::max(1.0, std::abs(numeric)));
    }

  auto const hdx = smup_test::host_copy(dx);
  for (std::size_t j = 0; j < static_cast<std::size_t>(d); ++j)
    for (std::size_t c = 0; c < static_cast<std::size_t>(columns); ++c) {
      auto shifted = [&](double s) {
        auto hx = smup_test::host_copy(x);
        hx(j, c) += s;
        Matrix xs("xs", d, columns);
        Kokkos::deep_copy(xs, hx);
        layer.forward(xs, y, T);
        return dot_host(y, r);
      };
      double const numeric = (shifted(h) - shifted(-h)) / (2 * h);
      CHECK(std::abs(numeric - hdx(j, c)) <= 1e-7 * std::max(1.0, std::abs(numeric)));
    }
}

/// y = mult * W x + b on the host, W dense (pruned entries zero).
template <class Layer> HostMatrix host_linear(Layer const& linear, HostMatrix const& x) {
  auto const w = linear.weights().to_dense_host();
  auto const b = smup_test::host_copy(linear.bias());
  double const mult = linear.rules().multiplier;
  HostMatrix y("y", w.extent(0), x.extent(1));
  for (std::size_t i = 0; i < w.extent(0); ++i)
    for (std::size_t c = 0; c < x.extent(1); ++c) {
      double s = 0;
      for (std::size_t j = 0; j < w.extent(1); ++j) s += w(i, j) * x(j, c);
      y(i, c) = mult * s + b(i);
    }
  return y;
}

/// The layer's forward written out on the host with the scale given, not the layer's.
/// Returns y; `probs` gets the probabilities [b][h][t][s].
template <class Layer> HostMatrix host_attention(Layer const& layer, HostMatrix const& x,
                                                 std::int64_t T, double scale,
                                                 std::vector<double>& probs) {
  auto const d = static_cast<std::size_t>(layer.shape().width);
  auto const hd = static_cast<std::size_t>(layer.shape().head_dim);
  auto const heads = d / hd, t_len = static_cast<std::size_t>(T), seqs = x.extent(1) / t_len;
  auto const qkv = host_linear(layer.qkv_projection(), x);
  HostMatrix out("out", d, x.extent(1));
  probs.assign(seqs * heads * t_len * t_len, 0.0);
  for (std::size_t b = 0; b < seqs; ++b)
    for (std::size_t h = 0; h < heads; ++h)
      for (std::size_t t = 0; t < t_len; ++t) {
        double* p = &probs[((b * heads + h) * t_len + t) * t_len];
        double top = -1e300, z = 0;
        for (std::size_t s = 0; s <= t; ++s) {
          double dot = 0;
          for (std::size_t i = 0; i < hd; ++i)
            dot += qkv(h * hd + i, b * t_len + t) * qkv(d + h * hd + i, b * t_len + s);
          p[s] = scale * dot;
          top = std::max(top, p[s]);
        }
        for (std::size_t s = 0; s <= t; ++s) z += (p[s] = std::exp(p[s] - top));
        for (std::size_t s = 0; s <= t; ++s) p[s] /= z;
        for (std::size_t i = 0; i < hd; ++i) {
          double acc = 0;
          for (std::size_t s = 0; s <= t; ++s) acc += p[s] * qkv(2 * d + h * hd + i, b * t_len + s);
          out(h * hd + i, b * t_len + t) = acc;
        }
      }
  return host_linear(layer.output_projection(), out);
}

/// Forward of `layer` against host_attention with the expected scale: y and probabilities.
template <class Layer> void check_forward_against_host(Layer& layer, double expected_scale) {
  std::int64_t const d = layer.shape().width, T = 5, columns = 2 * T;
  fill_biases(layer);
  Matrix x("x", d, columns), y("y", d, columns);
  smup_test::fill_uniform(x, 7);
  layer.forward(x, y, T);
  std::vector<double> probs;
  auto const expected = host_attention(layer, smup_test::host_copy(x), T, expected_scale, probs);
  CHECK(smup_test::relative_error(smup_test::host_copy(y), expected) < 1e-12);
  auto const p = smup_test::host_copy(layer.probabilities());
  REQUIRE(p.span() == probs.size());
  double worst = 0;
  for (std::size_t k = 0; k < probs.size(); ++k)
    worst = std::max(worst, std::abs(p.data()[k] - probs[k]));
  CHECK(worst < 1e-12);
}

/// Changes every feature of x at position `t0` of sequence 0; checks that earlier
/// positions keep their outputs bit for bit, later ones change, sequence 1 is untouched.
template <class Layer> void check_causality(Layer& layer) {
  std::int64_t const d = layer.shape().width, T = 4, t0 = 2;
  Matrix x("x", d, 2 * T), y("y", d, 2 * T);
  smup_test::fill_uniform(x, 3);
  layer.forward(x, y, T);
  auto const before = smup_test::host_copy(y);
  auto hx = smup_test::host_copy(x);
  for (std::int64_t i = 0; i < d; ++i) hx(i, t0) += 0.75;
  Kokkos::deep_copy(x, hx);
  layer.forward(x, y, T);
  auto const after = smup_test::host_copy(y);
  for (std::int64_t c = 0; c < 2 * T; ++c) {
    bool same = true;
    for (std::int64_t i = 0; i < d; ++i) same = same && after(i, c) == before(i, c);
    INFO("column " << c);
    CHECK(same == (c < t0 || c >= T));
  }
}

} // namespace

TEST_CASE("Causal attention's backward matches finite differences under SP and SmuP",
          "[layers][attention]") {
  check_gradients<smup::SP>();
  check_gradients<smup::SMuP>();
}

TEST_CASE("Sparse causal attention's backward matches finite differences at density 1/2",
          "[layers][attention][sparse]") {
  check_gradients<smup::SMuP, smup::Unstructured>(smup::ratio{1, 2});
  check_gradients<smup::SP, smup::Unstructured>(smup::ratio{1, 2});
}

TEST_CASE("Changing a later position leaves earlier outputs bit-identical", "[layers][attention]") {
  Attention<smup::SP> dense({.width = 8, .head_dim = 2}, base, hp, 4);
  check_causality(dense);
  Attention<smup::SMuP, smup::Unstructured> sparse({.width = 8, .head_dim = 4, .density = {1, 2}},
                                                   base, hp, 4);
  check_causality(sparse);
}

TEST_CASE("The logit scale is 1 over sqrt head_dim in SP and 1 over head_dim in muP and SmuP",
          "[layers][attention]") {
  for (std::int64_t const hd : {4, 16}) {
    double const n = double(hd);
    CHECK(Attention<smup::SP>({.width = 16, .head_dim = hd}, base, hp, 1).scale() ==
          Approx(1 / std::sqrt(n)).epsilon(1e-15));
    CHECK(Attention<smup::MuP>({.width = 16, .head_dim = hd}, base, hp, 1).scale() == 1 / n);
    CHECK(Attention<smup::SMuP>({.width = 16, .head_dim = hd}, base, hp, 1).scale() == 1 / n);
  }
  Attention<smup::SP> sp({.width = 16, .head_dim = 4}, base, hp, 2);
  CHECK(sp.heads() == 4);
  check_forward_against_host(sp, 0.5);
  Attention<smup::SMuP, smup::Unstructured> smup_layer(
      {.width = 16, .head_dim = 16, .density = {1, 2}}, base, hp, 2);
  CHECK(smup_layer.heads() == 1);
  check_forward_against_host(smup_layer, 1.0 / 16);
}

TEST_CASE("A single position attends only to itself: y is the output projection of v",
          "[layers][attention]") {
  std::int64_t const d = 8, columns = 3;
  Attention<smup::SMuP> layer({.width = d, .head_dim = 4}, base, hp, 6);
  fill_biases(layer);
  Matrix x("x", d, columns), y("y", d, columns);
  smup_test::fill_uniform(x, 9);
  layer.forward(x, y, 1);
  auto const qkv = smup_test::host_copy(layer.qkv());
  auto const out = smup_test::host_copy(layer.heads_output());
  HostMatrix v("v", d, columns);
  bool out_is_v = true;
  for (std::int64_t i = 0; i < d; ++i)
    for (std::int64_t c = 0; c < columns; ++c) {
      v(i, c) = qkv(2 * d + i, c);
      out_is_v = out_is_v && out(i, c) == v(i, c);
    }
  CHECK(out_is_v);
  CHECK(smup_test::relative_error(smup_test::host_copy(y),
                                  host_linear(layer.output_projection(), v)) < 1e-13);
  // And v itself is the V rows of the QKV projection of x.
  auto const full = host_linear(layer.qkv_projection(), smup_test::host_copy(x));
  HostMatrix v_ref("v_ref", d, columns);
  for (std::int64_t i = 0; i < d; ++i)
    for (std::int64_t c = 0; c < columns; ++c) v_ref(i, c) = full(2 * d + i, c);
  CHECK(smup_test::relative_error(v, v_ref) < 1e-13);
}

TEST_CASE("The host kernels and the team kernels GPUs run give the same attention, with "
          "Kokkos' team size and with two threads per team",
          "[layers][attention]") {
  // Two threads per team run the team barrier between the row and column phases of the
  // backward pass for real (tests run with two OpenMP threads).
  int const team_size = GENERATE(0, 2);
  int const most = Kokkos::TeamPolicy<E>(1, 1).team_size_max(
      KOKKOS_LAMBDA(Kokkos::TeamPolicy<E>::member_type const&){}, Kokkos::ParallelForTag{});
  if (team_size > most) {
    WARN("team size " << team_size << " exceeds this space's maximum " << most << ": not run");
    return;
  }
  INFO("team size " << team_size);
  // Two layers from one seed: the same weights, one on each path.
  std::int64_t const d = 16, T = 7, columns = 3 * T;
  Attention<smup::SMuP, smup::Unstructured> host({.width = d, .head_dim = 4, .density = {1, 2}},
                                                 base, hp, 8);
  Attention<smup::SMuP, smup::Unstructured> team({.width = d, .head_dim = 4, .density = {1, 2}},
                                                 base, hp, 8);
  team.use_generic_kernels(true, team_size);
  Matrix x("x", d, columns), dy("dy", d, columns);
  smup_test::fill_uniform(x, 31);
  smup_test::fill_uniform(dy, 32);
  Matrix y_host("y_host", d, columns), y_team("y_team", d, columns);
  Matrix dx_host("dx_host", d, columns), dx_team("dx_team", d, columns);
  host.forward(x, y_host, T);
  team.forward(x, y_team, T);
  host.backward(x, dy, dx_host);
  team.backward(x, dy, dx_team);
  CHECK(smup_test::relative_error(smup_test::host_copy(y_host), smup_test::host_copy(y_team)) <
        1e-13);
  CHECK(smup_test::relative_error(smup_test::host_copy(dx_host), smup_test::host_copy(dx_team)) <
        1e-13);
  std::vector<smup::WeightValues<double, E>> host_grads, team_grads;
  host.for_each_tensor([&](smup::Tensor<double, E> const& t) { host_grads.push_back(t.grad); });
  team.for_each_tensor([&](smup::Tensor<double, E> const& t) { team_grads.push_back(t.grad); });
  REQUIRE(host_grads.size() == team_grads.size());
  for (std::size_t i = 0; i < host_grads.size(); ++i) {
    auto const a = smup_test::host_copy(host_grads[i]), b = smup_test::host_copy(team_grads[i]);
    double worst = 0, largest = 1;
    for (std::size_t k = 0; k < a.extent(0); ++k) {
      worst = std::max(worst, std::abs(a(k) - b(k)));
      largest = std::max(largest, std::abs(b(k)));
    }
    CHECK(worst / largest < 1e-13);
  }
}

TEST_CASE("Causal attention hands out the QKV tensors, then the output projection's",
          "[layers][attention]") {
  Attention<smup::SMuP> layer({.width = 8, .head_dim = 4}, base, hp, 3);
  std::vector<double const*> seen;
  layer.for_each_tensor([&](smup::Tensor<double, E> const& t) { seen.push_back(t.values.data()); });
  std::vector<double const*> const expected{
      layer.qkv_projection().weights().values().data(), layer.qkv_projection().bias().data(),
      layer.output_projection().weights().values().data(), layer.output_projection().bias().data()};
  CHECK(seen == expected);
  CHECK(layer.qkv_projection().shape().out == 24);
  CHECK(layer.output_projection().shape().out == 8);
  // Different seeds: the two projections do not share their leading weights.
  auto const wq = smup_test::host_copy(layer.qkv_projection().weights().values());
  auto const wo = smup_test::host_copy(layer.output_projection().weights().values());
  CHECK(wq(0) != wo(0));
}

TEST_CASE("Causal attention rejects bad shapes with the rule named", "[layers][attention]") {
  CHECK_THROWS_WITH(Attention<smup::SMuP>({.width = 10, .head_dim = 4}, base, hp, 1),
                    Catch::Contains("smup::CausalSelfAttention::CausalSelfAttention: width 10 is "
                                    "not divisible by head_dim 4"));
  CHECK_THROWS_WITH(Attention<smup::SMuP>({.width = 8, .head_dim = 0}, base, hp, 1),
                    Catch::Contains("width and head_dim must be at least 1"));

  Attention<smup::SMuP> layer({.width = 8, .head_dim = 4}, base, hp, 1);
  Matrix x("x", 8, 5), y("y", 8, 5), dy("dy", 8, 5);
  smup_test::fill_uniform(x, 1);
  CHECK_THROWS_WITH(layer.backward(x, dy, Matrix()),
                    Catch::Contains("the last forward saw 0 column(s), x has 5"));
  CHECK_THROWS_WITH(layer.forward(x, y, 2),
                    Catch::Contains("smup::CausalSelfAttention::forward: x has 5 column(s), not a "
                                    "positive multiple of the context 2"));
  CHECK_THROWS_WITH(layer.forward(x, y, 0),
                    Catch::Contains("not a positive multiple of the context 0"));
  Matrix narrow("narrow", 6, 5), short_y("short_y", 8, 4);
  CHECK_THROWS_WITH(layer.forward(narrow, y, 5),
                    Catch::Contains("x has 6 feature row(s), the layer's width is 8"));
  CHECK_THROWS_WITH(layer.forward(x, short_y, 5),
                    Catch::Contains("smup::CausalSelfAttention::forward: y is 8 x 4, x is 8 x 5"));
  layer.forward(x, y, 5);
  CHECK_THROWS_WITH(
      layer.backward(x, dy, short_y),
      Catch::Contains("smup::CausalSelfAttention::backward: dx is 8 x 4, x is 8 x 5"));
  Matrix wide_x("wide_x", 8, 10), wide_dy("wide_dy", 8, 10);
  CHECK_THROWS_WITH(layer.backward(wide_x, wide_dy, Matrix()),
                    Catch::Contains("the last forward saw 5 column(s), x has 10"));
  CHECK_NOTHROW(layer.backward(x, dy, Matrix())); // dx empty: parameter gradients only
}
