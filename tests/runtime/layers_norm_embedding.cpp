// LayerNorm, Embedding, PositionEmbedding and the TiedReadout: gradients against central
// finite differences in double, normalisation statistics, the parameterization's rules,
// bit-reproducible backward passes and every error message.
#include "catch.hpp"
#include "finite_difference.hpp"
#include "kernel_reference.hpp"

#include <smup/layers/embedding.hpp>
#include <smup/layers/layer_norm.hpp>
#include <smup/layers/tied_readout.hpp>
#include <smup/parameterization/mup.hpp>
#include <smup/parameterization/sp.hpp>
#include <smup/parameterization/sparse_mup.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

namespace {

using smup_test::dot_host;
using smup_test::with_shift;

using E = Kokkos::DefaultExecutionSpace;
using Matrix = smup::Activations<double, E>;
using Tokens = Kokkos::View<int*, E::memory_space>;
constexpr smup::HyperParams hp{.sigma = 0.5, .eta = 0x1p-6, .alpha_in = 1.5, .alpha_out = 2.0};
constexpr smup::BaseShape base{.width = 4};
constexpr double step = 1e-6;

bool close(double numeric, double analytic) {
  return std::abs(numeric - analytic) <= 1e-7 * std::max(1.0, std::abs(numeric));
}

/// Every entry of `grad` against central differences of loss() in `values`.
template <class Values, class Grad, class Loss>
void check_parameter_gradient(Values const& values, Grad const& grad, Loss const& loss) {
  auto const g = smup_test::host_copy(grad);
  REQUIRE(g.extent(0) == values.extent(0));
  for (std::size_t k = 0; k < values.extent(0); ++k) {
    double const numeric =
        (with_shift(values, k, step, loss) - with_shift(values, k, -step, loss)) / (2 * step);
    CAPTURE(k, numeric, g(k));
    CHECK(close(numeric, g(k)));
  }
}

Tokens make_tokens(std::vector<int> const& ids) {
  Tokens tokens("tokens", ids.size());
  auto h = Kokkos::create_mirror_view(tokens);
  for (std::size_t c = 0; c < ids.size(); ++c) h(c) = ids[c];
  Kokkos::deep_copy(tokens, h);
  return tokens;
}

template <class A, class B> bool same_bits(A const& a, B const& b) {
  auto const ha = smup_test::host_copy(a), hb = smup_test::host_copy(b);
  return ha.span() == hb.span() &&
         std::memcmp(ha.data(), hb.data(), ha.span() * sizeof(*ha.data())) == 0;
}

/// Sample standard deviation of a 1-D view (mean removed).
template <class View> double sample_std(View const& v) {
  auto const h = smup_test::host_copy(v);
  double sum = 0, sq = 0;
  for (std::size_t k = 0; k < h.extent(0); ++k) sum += h(k);
  double const mean = sum / double(h.extent(0));
  for (std::size_t k = 0; k < h.extent(0); ++k) sq += (h(k) - mean) * (h(k) - mean);
  return std::sqrt(sq / double(h.extent(0)));
}

} // namespace

TEST_CASE("LayerNorm's backward matches finite differences for the gain, the bias and the input",
          "[layers][layer_norm]") {
  smup::LayerNorm<smup::SMuP, E, double> norm(7, base, hp);
  Matrix x("x", 7, 5), y("y", 7, 5), r("r", 7, 5), dx("dx", 7, 5);
  smup_test::fill_uniform(x, 1);
  smup_test::fill_uniform(r, 2);
  // Away from gain 1 / bias 0 so every term of the gradient matters.
  smup_test::fill_uniform(norm.gain(), 3);
  smup_test::fill_uniform(norm.bias(), 4);
  norm.forward(x, y);
  norm.backward(x, r, dx);
  auto const loss = [&] {
    norm.forward(x, y);
    return dot_host(y, r);
  };
  check_parameter_gradient(norm.gain(), norm.gain_grad(), loss);
  check_parameter_gradient(norm.bias(), norm.bias_grad(), loss);
  auto const hdx = smup_test::host_copy(dx);
  auto const hx = smup_test::host_copy(x);
  for (std::size_t i = 0; i < 7; ++i)
    for (std::size_t c = 0; c < 5; ++c) {
      auto shifted = [&](double s) {
        auto h = smup_test::host_copy(x);
        h(i, c) = hx(i, c) + s;
        Matrix xs("xs", 7, 5);
        Kokkos::deep_copy(xs, h);
        norm.forward(xs, y);
        return dot_host(y, r);
      };
      double const numeric = (shifted(step) - shifted(-step)) / (2 * step);
      CAPTURE(i, c, numeric, hdx(i, c));
      CHECK(close(numeric, hdx(i, c)));
    }
}

TEST_CASE("LayerNorm with gain 1 and bias 0 gives every column mean 0 and variance 1",
          "[layers][layer_norm]") {
  smup::LayerNorm<smup::MuP, E, double> norm(64, base, hp);
  auto const gain = smup_test::host_copy(norm.gain());
  auto const bias = smup_test::host_copy(norm.bias());
  for (std::size_t i = 0; i < 64; ++i) {
    REQUIRE(gain(i) == 1.0);
    REQUIRE(bias(i) == 0.0);
  }
  Matrix x("x", 64, 9), y("y", 64, 9);
  smup_test::fill_uniform(x, 5);
  // Columns of very different scale and offset: the output must not care.
  auto h = smup_test::host_copy(x);
  for (std::size_t i = 0; i < 64; ++i)
    for (std::size_t c = 0; c < 9; ++c) h(i, c) = h(i, c) * double(1 + 3 * c) + double(c) - 4.0;
  Kokkos::deep_copy(x, h);
  norm.forward(x, y);
  auto const hy = smup_test::host_copy(y);
  REQUIRE(norm.mean().extent(0) == 9u);
  REQUIRE(norm.inv_std().extent(0) == 9u);
  for (std::size_t c = 0; c < 9; ++c) {
    double mean = 0, var = 0;
    for (std::size_t i = 0; i < 64; ++i) mean += hy(i, c);
    mean /= 64;
    for (std::size_t i = 0; i < 64; ++i) var += (hy(i, c) - mean) * (hy(i, c) - mean);
    var /= 64;
    CAPTURE(c, mean, var);
    CHECK(std::abs(mean) < 1e-12);
    // eps = 1e-5 inside the square root shrinks the variance by var / (var + eps).
    CHECK(std::abs(var - 1.0) < 1e-4);
  }
}

TEST_CASE("LayerNorm is the same per-column formula over many columns, tail included",
          "[layers][layer_norm]") {
  // 70 columns: host threads take chunks of neighbouring columns, so this covers whole
  // chunks and a partial last one; each column must follow the formula on its own.
  constexpr std::size_t rows = 16, cols = 70;
  smup::LayerNorm<smup::SMuP, E, double> norm(rows, base, hp);
  smup_test::fill_uniform(norm.gain(), 11);
  smup_test::fill_uniform(norm.bias(), 12);
  Matrix x("x", rows, cols), y("y", rows, cols), dy("dy", rows, cols), dx("dx", rows, cols);
  smup_test::fill_uniform(x, 13);
  smup_test::fill_uniform(dy, 14);
  norm.forward(x, y);
  norm.backward(x, dy, dx);
  auto const hx = smup_test::host_copy(x), hy = smup_test::host_copy(y);
  auto const hdy = smup_test::host_copy(dy), hdx = smup_test::host_copy(dx);
  auto const g = smup_test::host_copy(norm.gain()), b = smup_test::host_copy(norm.bias());
  for (std::size_t c = 0; c < cols; ++c) {
    double mu = 0, var = 0, su = 0, sux = 0;
    for (std::size_t i = 0; i < rows; ++i) mu += hx(i, c) / rows;
    for (std::size_t i = 0; i < rows; ++i) var += (hx(i, c) - mu) * (hx(i, c) - mu) / rows;
    double const r = 1 / std::sqrt(var + 1e-5);
    for (std::size_t i = 0; i < rows; ++i) {
      su += g(i) * hdy(i, c) / rows;
      sux += g(i) * hdy(i, c) * (hx(i, c) - mu) * r / rows;
    }
    for (std::size_t i = 0; i < rows; ++i) {
      double const xhat = (hx(i, c) - mu) * r;
      CAPTURE(i, c);
      CHECK(hy(i, c) == Approx(g(i) * xhat + b(i)).epsilon(1e-12));
      CHECK(hdx(i, c) == Approx(r * (g(i) * hdy(i, c) - su - xhat * sux)).margin(1e-12));
    }
  }
}

TEST_CASE("LayerNorm hands out its gain then its bias with the norm_gain and bias rules",
          "[layers][layer_norm]") {
  smup::LayerNorm<smup::SMuP, E, double> norm(32, base, hp, 1e-6);
  CHECK(norm.eps() == 1e-6);
  CHECK(norm.features() == 32);
  std::vector<smup::Role> roles;
  std::vector<double> lrs;
  norm.for_each_tensor([&](smup::Tensor<double, E>& t) {
    roles.push_back(t.rules.role);
    lrs.push_back(t.rules.lr_adam);
    CHECK(t.values.extent(0) == 32u);
    CHECK(t.grad.extent(0) == 32u);
  });
  REQUIRE(roles == std::vector<smup::Role>{smup::Role::norm_gain, smup::Role::bias});
  auto const gain_rules =
      smup::layer_hyperparams<smup::SMuP>(hp, base, 32, smup::ratio{1}, smup::Role::norm_gain);
  CHECK(lrs[0] == gain_rules.lr_adam);
  CHECK(norm.gain_rules().lr_sgd == gain_rules.lr_sgd);
  CHECK(norm.bias_rules().role == smup::Role::bias);
}

TEST_CASE("LayerNorm's backward overwrites its gradients, skips an empty dx and is bit-identical "
          "across runs",
          "[layers][layer_norm][determinism]") {
  smup::LayerNorm<smup::SMuP, E, float> norm(96, base, hp);
  smup::Activations<float, E> x("x", 96, 300), y("y", 96, 300), dy("dy", 96, 300);
  smup::Activations<float, E> dx1("dx1", 96, 300), dx2("dx2", 96, 300);
  smup_test::fill_uniform(x, 11);
  smup_test::fill_uniform(dy, 12);
  norm.forward(x, y);
  norm.backward(x, dy, dx1);
  auto const gain_grad = smup_test::host_copy(norm.gain_grad());
  auto const bias_grad = smup_test::host_copy(norm.bias_grad());
  norm.backward(x, dy, dx2);
  CHECK(same_bits(dx1, dx2));
  CHECK(same_bits(gain_grad, norm.gain_grad()));
  CHECK(same_bits(bias_grad, norm.bias_grad()));
  norm.backward(x, dy, {}); // gradients only, still not accumulated
  CHECK(same_bits(gain_grad, norm.gain_grad()));
  CHECK(same_bits(bias_grad, norm.bias_grad()));
}

TEST_CASE("Embedding's backward matches finite differences with repeated tokens",
          "[layers][embedding]") {
  smup::Embedding<smup::SMuP, E, double> embedding(5, 6, base, hp, 3);
  REQUIRE(embedding.rules().multiplier == hp.alpha_in);
  // Tokens 0, 2 repeat, 1 and 4 never appear (their gradient must be 0).
  auto const tokens = make_tokens({2, 0, 2, 5, 2, 0, 3});
  Matrix y("y", 5, 7), r("r", 5, 7);
  smup_test::fill_uniform(r, 2);
  smup::fill_normal(embedding.table_grad(), 1.0, 99); // stale values must be overwritten
  embedding.backward(tokens, r);
  check_parameter_gradient(embedding.table(), embedding.table_grad(), [&] {
    embedding.forward(tokens, y);
    return dot_host(y, r);
  });
  auto const g = smup_test::host_copy(embedding.table_grad());
  for (std::size_t i = 0; i < 5; ++i) {
    CHECK(g(i * 6 + 1) == 0.0);
    CHECK(g(i * 6 + 4) == 0.0);
  }
}

TEST_CASE("Embedding's forward writes the multiplier times the token's table column",
          "[layers][embedding]") {
  smup::Embedding<smup::SMuP, E, double> embedding(4, 10, base, hp, 8);
  auto const ids = std::vector<int>{9, 0, 3, 3};
  Matrix y("y", 4, 4);
  embedding.forward(make_tokens(ids), y);
  auto const table = smup_test::host_copy(embedding.table());
  auto const hy = smup_test::host_copy(y);
  for (std::size_t i = 0; i < 4; ++i)
    for (std::size_t c = 0; c < 4; ++c)
      CHECK(hy(i, c) == hp.alpha_in * table(i * 10 + static_cast<std::size_t>(ids[c])));
}

TEST_CASE("PositionEmbedding's backward matches finite differences, summing over sequences",
          "[layers][embedding][position]") {
  smup::PositionEmbedding<smup::SMuP, E, double> positions(4, 3, base, hp, 5);
  for (std::int64_t context : {3, 2}) {
    CAPTURE(context);
    auto const columns = static_cast<std::size_t>(2 * context);
    Matrix y0("y0", 4, columns), y("y", 4, columns), r("r", 4, columns);
    smup_test::fill_uniform(y0, 6);
    smup_test::fill_uniform(r, 7);
    positions.backward(r, context);
    check_parameter_gradient(positions.table(), positions.table_grad(), [&] {
      Kokkos::deep_copy(y, y0);
      positions.forward_add(y, context);
      return dot_host(y, r);
    });
    // Column c got y0 + alpha_in * table(:, c % context).
    Kokkos::deep_copy(y, y0);
    positions.forward_add(y, context);
    auto const hy = smup_test::host_copy(y), h0 = smup_test::host_copy(y0);
    auto const table = smup_test::host_copy(positions.table());
    for (std::size_t i = 0; i < 4; ++i)
      for (std::size_t c = 0; c < columns; ++c)
        CHECK(hy(i, c) ==
              Approx(h0(i, c) + hp.alpha_in * table(i * 3 + c % static_cast<std::size_t>(context)))
                  .epsilon(1e-15)
                  .margin(1e-15));
  }
}

TEST_CASE("Embeddings start with std sigma and multiplier alpha_in at every width; only their "
          "SGD rate grows with width, under muP and SmuP",
          "[layers][embedding][parameterization]") {
  auto check = [](auto policy) {
    using P = decltype(policy);
    for (std::int64_t width : {64, 256}) {
      CAPTURE(P::name, width);
      smup::Embedding<P, E, double> embedding(width, 300, base, hp, 21);
      smup::PositionEmbedding<P, E, double> positions(width, 200, base, hp, 21);
      double const md = double(width) / double(base.width);
      bool const scales = !std::is_same_v<P, smup::SP>;
      for (auto const& rules : {embedding.rules(), positions.rules()}) {
        CHECK(rules.role == smup::Role::input);
        CHECK(rules.init_std == Approx(hp.sigma).epsilon(1e-15));
        // The tuned base multiplier, unchanged with width (SP too uses base values as they are).
        CHECK(rules.multiplier == hp.alpha_in);
        CHECK(rules.lr_adam == hp.eta);
        CHECK(rules.lr_sgd == Approx(scales ? hp.eta * md : hp.eta).epsilon(1e-15));
      }
      CHECK(sample_std(embedding.table()) == Approx(hp.sigma).epsilon(0.03));
      CHECK(sample_std(positions.table()) == Approx(hp.sigma).epsilon(0.03));
      // The optimizer sees the same rules.
      embedding.for_each_tensor([&](smup::Tensor<double, E>& t) {
        CHECK(t.rules.lr_sgd == embedding.rules().lr_sgd);
        CHECK(t.values.extent(0) == static_cast<std::size_t>(width * 300));
      });
    }
  };
  check(smup::SP{});
  check(smup::MuP{});
  check(smup::SMuP{});
  // With the default multipliers, SP's embedding output is the bare table column.
  smup::Embedding<smup::SP, E, double> plain(8, 5, base, smup::HyperParams{}, 1);
  CHECK(plain.rules().multiplier == 1.0);
}

TEST_CASE("Embedding tables come from their seed: same seed same table, another seed another",
          "[layers][embedding][determinism]") {
  smup::Embedding<smup::SMuP, E, float> a(16, 40, base, hp, 7), b(16, 40, base, hp, 7),
      c(16, 40, base, hp, 8);
  CHECK(same_bits(a.table(), b.table()));
  CHECK_FALSE(same_bits(a.table(), c.table()));
  // Token and position tables of one seed are drawn from different streams.
  smup::PositionEmbedding<smup::SMuP, E, float> p(16, 40, base, hp, 7);
  CHECK_FALSE(same_bits(a.table(), p.table()));
}

TEST_CASE("Embedding and PositionEmbedding backward passes are bit-identical across runs",
          "[layers][embedding][determinism]") {
  smup::Embedding<smup::SMuP, E, float> embedding(64, 50, base, hp, 1);
  smup::PositionEmbedding<smup::SMuP, E, float> positions(64, 32, base, hp, 1);
  std::vector<int> ids(16 * 32);
  for (std::size_t c = 0; c < ids.size(); ++c) ids[c] = static_cast<int>((c * c + 7 * c) % 50);
  auto const tokens = make_tokens(ids);
  smup::Activations<float, E> dy("dy", 64, ids.size());
  smup_test::fill_uniform(dy, 3);
  embedding.backward(tokens, dy);
  positions.backward(dy, 32);
  auto const token_grad = smup_test::host_copy(embedding.table_grad());
  auto const position_grad = smup_test::host_copy(positions.table_grad());
  embedding.backward(tokens, dy);
  positions.backward(dy, 32);
  CHECK(same_bits(token_grad, embedding.table_grad()));
  CHECK(same_bits(position_grad, positions.table_grad()));
}

TEST_CASE("A token outside the vocabulary gives a NaN column, no out-of-range access, and "
          "check_tokens names it",
          "[layers][embedding][errors]") {
  smup::Embedding<smup::SMuP, E, double> embedding(3, 6, base, hp, 1);
  auto const tokens = make_tokens({1, 6, 2, -1});
  Matrix y("y", 3, 4), dy("dy", 3, 4);
  Kokkos::deep_copy(dy, 1.0);
  embedding.forward(tokens, y);
  embedding.backward(tokens, dy);
  auto const hy = smup_test::host_copy(y);
  auto const table = smup_test::host_copy(embedding.table());
  auto const g = smup_test::host_copy(embedding.table_grad());
  double const mult = embedding.rules().multiplier;
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(hy(i, 0) == mult * table(i * 6 + 1));
    CHECK(std::isnan(hy(i, 1)));
    CHECK(hy(i, 2) == mult * table(i * 6 + 2));
    CHECK(std::isnan(hy(i, 3)));
    // Only the two valid tokens receive gradient.
    for (std::size_t v = 0; v < 6; ++v) CHECK(g(i * 6 + v) == (v == 1 || v == 2 ? mult : 0.0));
  }
  CHECK_THROWS_WITH(embedding.check_tokens(tokens),
                    Catch::Contains("smup::Embedding::check_tokens: 2 token(s) outside [0, 6), "
                                    "the first at column 1 (6)"));
  CHECK_NOTHROW(embedding.check_tokens(make_tokens({0, 5, 3})));
}

TEST_CASE("Embedding rejects mismatched shapes and empty sizes", "[layers][embedding][errors]") {
  smup::Embedding<smup::SMuP, E, double> embedding(3, 6, base, hp, 1);
  auto const tokens = make_tokens({1, 2});
  Matrix wrong_width("y", 4, 2), wrong_count("y", 3, 3);
  CHECK_THROWS_WITH(embedding.forward(tokens, wrong_width),
                    Catch::Contains("smup::Embedding::forward: y is 4 x 2 but needs width x "
                                    "tokens = 3 x 2"));
  CHECK_THROWS_WITH(embedding.backward(tokens, wrong_count),
                    Catch::Contains("smup::Embedding::backward: dy is 3 x 3"));
  using Emb = smup::Embedding<smup::SMuP, E, double>;
  CHECK_THROWS_WITH(
      Emb(0, 6, base, hp, 1),
      Catch::Contains("smup::Embedding::Embedding: width must be at least 1 (got 0)"));
  CHECK_THROWS_WITH(
      Emb(3, 0, base, hp, 1),
      Catch::Contains("smup::Embedding::Embedding: vocab must be at least 1 (got 0)"));
}

TEST_CASE("PositionEmbedding rejects bad contexts, mismatched shapes and empty sizes",
          "[layers][embedding][position][errors]") {
  using Pos = smup::PositionEmbedding<smup::SMuP, E, double>;
  Pos positions(3, 4, base, hp, 1);
  Matrix y("y", 3, 8), odd("odd", 3, 7), wrong_width("w", 2, 8);
  CHECK_THROWS_WITH(positions.forward_add(y, 5),
                    Catch::Contains("smup::PositionEmbedding::forward_add: context 5 is outside "
                                    "[1, 4]"));
  CHECK_THROWS_WITH(positions.backward(y, 0),
                    Catch::Contains("smup::PositionEmbedding::backward: context 0 is outside"));
  CHECK_THROWS_WITH(positions.forward_add(odd, 4),
                    Catch::Contains("y is 3 x 7 but needs 3 rows and a multiple of context = 4"));
  CHECK_THROWS_WITH(positions.backward(wrong_width, 4),
                    Catch::Contains("smup::PositionEmbedding::backward: dy is 2 x 8"));
  CHECK_THROWS_WITH(Pos(0, 4, base, hp, 1),
                    Catch::Contains("smup::PositionEmbedding::PositionEmbedding: width must be at "
                                    "least 1 (got 0)"));
  CHECK_THROWS_WITH(Pos(3, -2, base, hp, 1),
                    Catch::Contains("context must be at least 1 (got -2)"));
}

TEST_CASE("LayerNorm rejects mismatched shapes, a backward without forward and bad sizes",
          "[layers][layer_norm][errors]") {
  using Norm = smup::LayerNorm<smup::SMuP, E, double>;
  Norm norm(4, base, hp);
  Matrix x("x", 4, 3), y("y", 4, 3), rows5("r", 5, 3), cols2("c", 4, 2);
  CHECK_THROWS_WITH(norm.backward(x, y, {}),
                    Catch::Contains("smup::LayerNorm::backward: the last forward saw 0 column(s), "
                                    "x has 3. Call forward on this x before backward"));
  CHECK_THROWS_WITH(norm.forward(rows5, rows5),
                    Catch::Contains("smup::LayerNorm::forward: x has 5 feature row(s), the layer "
                                    "normalises 4"));
  CHECK_THROWS_WITH(norm.forward(x, cols2),
                    Catch::Contains("smup::LayerNorm::forward: y is 4 x 2, x is 4 x 3"));
  norm.forward(x, y);
  CHECK_THROWS_WITH(norm.backward(x, cols2, {}),
                    Catch::Contains("smup::LayerNorm::backward: dy is 4 x 2, x is 4 x 3"));
  CHECK_THROWS_WITH(norm.backward(x, y, rows5),
                    Catch::Contains("smup::LayerNorm::backward: dx is 5 x 3, x is 4 x 3"));
  CHECK_THROWS_WITH(norm.backward(cols2, cols2, {}),
                    Catch::Contains("the last forward saw 3 column(s), x has 2"));
  CHECK_THROWS_WITH(Norm(0, base, hp),
                    Catch::Contains("smup::LayerNorm::LayerNorm: features must be at least 1"));
  CHECK_THROWS_WITH(Norm(4, base, hp, 0.0),
                    Catch::Contains("smup::LayerNorm::LayerNorm: eps must be positive and finite"));
  CHECK_THROWS_WITH(Norm(4, base, hp, std::numeric_limits<double>::quiet_NaN()),
                    Catch::Contains("eps must be positive and finite"));
}

TEST_CASE("A tied readout shares its embedding's table: both uses' gradients sum and match "
          "finite differences",
          "[layers][embedding][tied]") {
  // Width 6 over base 4: m_d = 3/2, so the readout's multiplier alpha_out / m_d is not 1.
  smup::Embedding<smup::SMuP, E, double> embedding(6, 5, base, hp, 4);
  smup::TiedReadout<smup::SMuP, E, double> readout(embedding, base, hp);
  REQUIRE(readout.rules().multiplier == Approx(hp.alpha_out / 1.5).epsilon(1e-15));
  auto const tokens = make_tokens({4, 0, 4, 2, 1, 0, 4});
  Matrix x("x", 6, 7), dx("dx", 6, 7), logits("logits", 5, 7), r_logits("r_logits", 5, 7);
  Matrix h("h", 6, 7), r_h("r_h", 6, 7);
  smup_test::fill_uniform(x, 1);
  smup_test::fill_uniform(r_logits, 2);
  smup_test::fill_uniform(r_h, 3);
  smup_test::fill_uniform(readout.bias(), 5);
  // Both uses in one loss: the readout of x and the embedding of the tokens.
  auto const loss = [&] {
    readout.forward(x, logits);
    embedding.forward(tokens, h);
    return dot_host(logits, r_logits) + dot_host(h, r_h);
  };
  smup::fill_normal(embedding.table_grad(), 1.0, 99); // stale values must be overwritten
  readout.backward(x, r_logits, dx);
  embedding.backward(tokens, r_h, smup::GradientWrite::accumulate);
  check_parameter_gradient(embedding.table(), embedding.table_grad(), loss);
  check_parameter_gradient(readout.bias(), readout.bias_grad(), loss);
  auto const dx_host = smup_test::host_copy(dx);
  for (std::size_t i = 0; i < 6; ++i)
    for (std::size_t c = 0; c < 7; ++c) {
      auto const at = [&](double shift) {
        auto hx = smup_test::host_copy(x);
        hx(i, c) += shift;
        Kokkos::deep_copy(x, hx);
        double const out = loss();
        hx(i, c) -= shift;
        Kokkos::deep_copy(x, hx);
        return out;
      };
      double const numeric = (at(step) - at(-step)) / (2 * step);
      CAPTURE(i, c, numeric, dx_host(i, c));
      CHECK(close(numeric, dx_host(i, c)));
    }
}

TEST_CASE("A tied readout computes multiplier * table^T x + b with the output role's multiplier "
          "and hands the optimizer its bias only",
          "[layers][embedding][tied]") {
  auto check = [](auto policy, double multiplier) {
    using P = decltype(policy);
    CAPTURE(P::name);
    smup::Embedding<P, E, double> embedding(8, 3, base, hp, 6);
    smup::TiedReadout<P, E, double> readout(embedding, base, hp);
    CHECK(readout.rules().multiplier == Approx(multiplier).epsilon(1e-15));
    smup_test::fill_uniform(readout.bias(), 2);
    Matrix x("x", 8, 4), y("y", 3, 4);
    smup_test::fill_uniform(x, 7);
    readout.forward(x, y);
    auto const table = smup_test::host_copy(embedding.table());
    auto const b = smup_test::host_copy(readout.bias());
    auto const hx = smup_test::host_copy(x), hy = smup_test::host_copy(y);
    for (std::size_t v = 0; v < 3; ++v)
      for (std::size_t c = 0; c < 4; ++c) {
        double dot = 0;
        for (std::size_t i = 0; i < 8; ++i) dot += table(i * 3 + v) * hx(i, c);
        CHECK(hy(v, c) == Approx(multiplier * dot + b(v)).epsilon(1e-12));
      }
    int handed = 0;
    readout.for_each_tensor([&](smup::Tensor<double, E>& t) {
      ++handed;
      CHECK(t.rules.role == smup::Role::output_bias);
      CHECK(t.values.extent(0) == 3);
    });
    CHECK(handed == 1);
    CHECK(readout.storage_bytes(2).total() == 3 * 3 * sizeof(double));
    smup::TiedReadout<P, E, double> no_bias(embedding, base, hp, false);
    no_bias.for_each_tensor([&](smup::Tensor<double, E>&) { ++handed; });
    CHECK(handed == 1);
    CHECK(no_bias.storage_bytes(2).total() == 0);
  };
  // Width 8 over base 4: m_d = 2.
  check(smup::SP{}, hp.alpha_out);
  check(smup::MuP{}, hp.alpha_out / 2);
  check(smup::SMuP{}, hp.alpha_out / 2);
}

TEST_CASE("A tied readout rejects mismatched shapes before writing anything",
          "[layers][embedding][tied][errors]") {
  smup::Embedding<smup::SMuP, E, double> embedding(4, 3, base, hp, 1);
  smup::TiedReadout<smup::SMuP, E, double> readout(embedding, base, hp);
  Matrix x("x", 4, 2), y("y", 3, 2), wrong_x("x", 5, 2), wrong_y("y", 3, 3), wrong_dx("dx", 4, 3);
  CHECK_THROWS_WITH(readout.forward(wrong_x, y),
                    Catch::Contains("smup::TiedReadout::forward: x is 5 x 2 and y is 3 x 2 but "
                                    "need [width][n] and [vocab][n] with width 4 and vocab 3"));
  CHECK_THROWS_WITH(readout.forward(x, wrong_y), Catch::Contains("y is 3 x 3"));
  auto const before = smup_test::host_copy(embedding.table_grad());
  CHECK_THROWS_WITH(readout.backward(x, y, wrong_dx),
                    Catch::Contains("smup::TiedReadout::backward: dx is 4 x 3 and dy is 3 x 2"));
  CHECK(same_bits(before, embedding.table_grad())); // the shared gradient is untouched
}

TEST_CASE("The GPU's bucketed embedding backward gives the row kernel's sums, with one and two "
          "threads per team",
          "[layers][embedding]") {
  std::int64_t const width = 5, vocab = 9;
  // Repeated tokens, a token never seen, one out of range: buckets of 0 to 6 columns.
  std::vector<int> ids;
  for (int c = 0; c < 23; ++c) ids.push_back((c * c) % 7 == 2 ? 4 : (c * 5) % 8);
  ids[11] = 9;
  auto const tokens = make_tokens(ids);
  Matrix dy("dy", width, ids.size());
  smup_test::fill_uniform(dy, 17);
  smup::detail::TokenIndex<E> index;
  index.build(tokens, vocab);
  auto const starts = smup_test::host_copy(index.starts);
  auto const columns = smup_test::host_copy(index.columns);
  CHECK(starts(vocab) == 22); // every column but the out-of-range one
  for (std::int64_t v = 0; v < vocab; ++v)
    for (auto k = starts(v); k < starts(v + 1); ++k) {
      CHECK(ids[static_cast<std::size_t>(columns(k))] == v);
      if (k > starts(v)) CHECK(columns(k - 1) < columns(k));
    }
  for (bool overwrite : {true, false}) {
    for (int team_size : {0, 2}) {
      INFO("overwrite " << overwrite << ", team size " << team_size);
      smup::WeightValues<double, E> rows("rows", width * vocab), buckets("buckets", width * vocab);
      Kokkos::deep_copy(rows, 0.25);
      Kokkos::deep_copy(buckets, 0.25);
      smup::detail::embedding_backward_rows<E>(tokens, dy, rows, vocab, 1.5, overwrite);
      smup::detail::embedding_backward_buckets<E>(index, dy, buckets, vocab, 1.5, overwrite,
                                                  team_size);
      // The same additions in the same order; only fused multiply-adds may differ.
      auto const a = smup_test::host_copy(buckets), b = smup_test::host_copy(rows);
      double worst = 0;
      for (std::size_t k = 0; k < a.extent(0); ++k)
        worst = std::max(worst, std::abs(a(k) - b(k)) / std::max(1.0, std::abs(b(k))));
      CHECK(worst < 1e-15);
      // And twice the same bits: no atomics in the sums.
      smup::WeightValues<double, E> again("again", width * vocab);
      Kokkos::deep_copy(again, 0.25);
      smup::detail::embedding_backward_buckets<E>(index, dy, again, vocab, 1.5, overwrite,
                                                  team_size);
      CHECK(same_bits(again, buckets));
    }
  }
}
