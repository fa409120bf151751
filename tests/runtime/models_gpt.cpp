// The GPT model as a whole: its gradient against finite differences of its loss (dense and
// sparse hidden matrices, untied and tied readout), bit-identical training for one seed,
// what tying saves, and its errors.
#include "catch.hpp"
#include "kernel_reference.hpp"

#include <smup/models/gpt.hpp>
#include <smup/optim/adam.hpp>
#include <smup/parameterization/mup.hpp>
#include <smup/parameterization/sp.hpp>
#include <smup/parameterization/sparse_mup.hpp>
#include <smup/sparsity/nm.hpp>
#include <smup/sparsity/unstructured.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <numeric>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace {

using E = Kokkos::DefaultExecutionSpace;
constexpr smup::HyperParams hp{.sigma = 0.5, .eta = 0x1p-6, .alpha_in = 1.5, .alpha_out = 2.0};
constexpr smup::BaseShape base{.width = 4};

template <class Model> typename Model::Tokens tokens_for(std::int64_t n, int vocab, int shift) {
  typename Model::Tokens t("tokens", n);
  auto h = Kokkos::create_mirror_view(t);
  for (std::int64_t c = 0; c < n; ++c) h(c) = static_cast<int>((3 * c + shift) % vocab);
  Kokkos::deep_copy(t, h);
  return t;
}

/// Up to `count` distinct entries of a tensor of n, a fixed random sample (all if n <= count).
std::vector<std::size_t> sampled_entries(std::size_t n, std::size_t count, std::uint32_t seed) {
  std::vector<std::size_t> all(n), picked;
  std::iota(all.begin(), all.end(), std::size_t{0});
  std::mt19937 engine(seed);
  std::sample(all.begin(), all.end(), std::back_inserter(picked), count, engine);
  return picked;
}

/// Every parameter tensor's gradient against central differences of the mean loss, on a
/// fixed sample of each tensor's entries: each evaluation launches dozens of kernels, so
/// checking every entry would cost thousands of forward passes per model.
template <class Model> void check_model_gradient(typename Model::Shape const& shape) {
  Model model(shape, base, hp, 11);
  std::int64_t const n = 2 * shape.context;
  auto const tokens = tokens_for<Model>(n, static_cast<int>(shape.vocab), 1);
  auto const targets = tokens_for<Model>(n, static_cast<int>(shape.vocab), 4);
  model.evaluate(tokens, targets);
  model.backward(tokens);
  std::vector<smup::Tensor<double, E>> tensors;
  model.for_each_tensor([&](smup::Tensor<double, E> const& t) { tensors.push_back(t); });
  double const h = 1e-6;
  std::size_t checked = 0, wrong = 0;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    auto const grad = smup_test::host_copy(tensors[i].grad);
    auto values = smup_test::host_copy(tensors[i].values);
    for (std::size_t k : sampled_entries(values.extent(0), 12, static_cast<std::uint32_t>(i))) {
      double const saved = values(k);
      auto set = [&](double v) {
        values(k) = v;
        Kokkos::deep_copy(tensors[i].values, values);
      };
      set(saved + h);
      double const up = model.evaluate(tokens, targets);
      set(saved - h);
      double const down = model.evaluate(tokens, targets);
      set(saved);
      double const numeric = (up - down) / (2 * h);
      ++checked;
      if (std::abs(numeric - grad(k)) > 1e-6 * std::max(1.0, std::abs(numeric))) {
        ++wrong;
        UNSCOPED_INFO("tensor " << i << " entry " << k << ": numeric " << numeric << ", backward "
                                << grad(k));
      }
    }
  }
  CHECK(tensors.size() >= 10);
  CHECK(checked >= 7 * tensors.size()); // 7: the smallest tensor (a bias over vocab 7)
  CHECK(wrong == 0);
}

} // namespace

TEST_CASE("The GPT's gradient matches finite differences of its loss", "[models][gpt]") {
  SECTION("SmuP, dense") {
    check_model_gradient<smup::GPT<smup::SMuP, smup::Dense, E, double>>(
        {.vocab = 7, .context = 3, .width = 8, .head_dim = 4, .blocks = 2});
  }
  SECTION("SP, dense") {
    check_model_gradient<smup::GPT<smup::SP, smup::Dense, E, double>>(
        {.vocab = 7, .context = 3, .width = 8, .head_dim = 4, .blocks = 1});
  }
  SECTION("SmuP, unstructured at density 1/2") {
    check_model_gradient<smup::GPT<smup::SMuP, smup::Unstructured, E, double>>(
        {.vocab = 7, .context = 3, .width = 8, .head_dim = 4, .blocks = 2, .density = {1, 2}});
  }
}

TEST_CASE("GPT training is deterministic and lowers the loss on a fixed batch", "[models][gpt]") {
  using Model = smup::GPT<smup::SMuP, smup::Unstructured>;
  auto run = [] {
    Model model(
        {.vocab = 16, .context = 8, .width = 32, .head_dim = 8, .blocks = 2, .density = {1, 4}},
        {.width = 16}, {.sigma = 0.02, .eta = 0x1p-7}, 3);
    smup::AdamW<smup::SMuP> adam(model, {.sigma = 0.02, .eta = 0x1p-7},
                                 {.beta1 = 0.9, .beta2 = 0.95});
    auto const tokens = tokens_for<Model>(32, 16, 0);
    auto const targets = tokens_for<Model>(32, 16, 7);
    std::vector<double> losses;
    for (int step = 0; step < 12; ++step)
      losses.push_back(model.train_step(tokens, targets, adam, 1.0));
    return losses;
  };
  auto const first = run();
  CHECK(first == run());
  CHECK(first.back() < 0.8 * first.front());
}

TEST_CASE("The GPT rejects token counts that are not whole sequences and empty shapes",
          "[models][gpt]") {
  using Model = smup::GPT<smup::SMuP, smup::Dense>;
  Model model({.vocab = 16, .context = 8, .width = 16, .head_dim = 8, .blocks = 1}, {.width = 16},
              hp, 1);
  auto const tokens = tokens_for<Model>(12, 16, 0);
  CHECK_THROWS_WITH(model.evaluate(tokens, tokens),
                    Catch::Contains("12 tokens is not a whole number of sequences of context 8"));
  CHECK_THROWS_WITH(Model({.vocab = 16, .context = 8, .width = 0}, {.width = 16}, hp, 1),
                    Catch::Contains("smup::GPT: vocab, context, width, head_dim and blocks"));
}

TEST_CASE("A sparse GPT stores fewer bytes than the dense one of the same width", "[models][gpt]") {
  smup::GPT<smup::SMuP, smup::Dense> dense({.width = 64, .head_dim = 16}, {.width = 16}, hp, 1);
  smup::GPT<smup::SMuP, smup::Unstructured> sparse(
      {.width = 64, .head_dim = 16, .density = {1, 16}}, {.width = 16}, hp, 1);
  auto const d = dense.storage_bytes(2), s = sparse.storage_bytes(2);
  CHECK(d.indices == 0);
  CHECK(s.indices > 0);
  CHECK(s.total() < d.total() / 2);
}

namespace {

// muP with the readout's 1/m_d moved from its multiplier into its init: it cannot tie.
struct ShrunkReadoutInit {
  using parameterization_concept = smup::parameterization_tag;
  static constexpr std::string_view name = "ShrunkReadoutInit";
  static constexpr smup::Monomial init_variance(smup::Role r) {
    return r == smup::Role::output ? smup::inverse(smup::m_d * smup::m_d)
                                   : smup::MuP::init_variance(r);
  }
  static constexpr smup::Monomial learning_rate(smup::Role r, smup::OptimizerFamily f) {
    return smup::MuP::learning_rate(r, f);
  }
  static constexpr smup::Monomial multiplier(smup::Role) { return smup::unit_scaling; }
  static constexpr smup::ratio attention_logit_exponent{-1};
};

} // namespace

TEST_CASE("A GPT with a tied readout gets the gradient of its loss, both uses of the table summed",
          "[models][gpt][tied]") {
  SECTION("SmuP") {
    check_model_gradient<smup::GPT<smup::SMuP, smup::Dense, E, double>>(
        {.vocab = 7, .context = 3, .width = 8, .head_dim = 4, .blocks = 1, .tied_readout = true});
  }
  SECTION("SP, no biases") {
    check_model_gradient<smup::GPT<smup::SP, smup::Dense, E, double>>({.vocab = 7,
                                                                       .context = 3,
                                                                       .width = 8,
                                                                       .head_dim = 4,
                                                                       .blocks = 1,
                                                                       .bias = false,
                                                                       .tied_readout = true});
  }
}

TEST_CASE("A tied GPT hands the optimizer one table fewer and stores vocab x width floats "
          "(and their Adam state) fewer",
          "[models][gpt][tied]") {
  using Model = smup::GPT<smup::SMuP, smup::Unstructured>;
  Model::Shape shape{.vocab = 40, .context = 4, .width = 32, .head_dim = 8, .density = {1, 4}};
  Model untied(shape, {.width = 16}, hp, 2);
  shape.tied_readout = true;
  Model tied(shape, {.width = 16}, hp, 2);
  std::vector<std::size_t> untied_sizes, tied_sizes;
  untied.for_each_tensor([&](auto const& t) { untied_sizes.push_back(t.values.extent(0)); });
  tied.for_each_tensor([&](auto const& t) { tied_sizes.push_back(t.values.extent(0)); });
  // Untied: ..., final norm gain and bias, readout weights, readout bias.
  REQUIRE(untied_sizes.size() == tied_sizes.size() + 1);
  CHECK(untied_sizes[untied_sizes.size() - 2] == 40 * 32);
  untied_sizes.erase(untied_sizes.end() - 2);
  CHECK(untied_sizes == tied_sizes);
  auto const table_bytes = std::size_t{40 * 32} * sizeof(float);
  CHECK(untied.storage_bytes(2).total() - tied.storage_bytes(2).total() == 3 * table_bytes);
  // Training moves the shared table through both uses and stays deterministic.
  smup::AdamW<smup::SMuP> adam(tied, hp, {.beta1 = 0.9, .beta2 = 0.95});
  auto const tokens = tokens_for<Model>(8, 40, 0), targets = tokens_for<Model>(8, 40, 3);
  double const first = tied.train_step(tokens, targets, adam, 1.0);
  for (int step = 0; step < 10; ++step) tied.train_step(tokens, targets, adam, 1.0);
  CHECK(tied.evaluate(tokens, targets) < first);
}

TEST_CASE("A GPT refuses a tied readout under a parameterization whose input and output rules "
          "differ",
          "[models][gpt][tied][errors]") {
  using Model = smup::GPT<ShrunkReadoutInit, smup::Dense>;
  Model::Shape shape{.vocab = 8, .context = 4, .width = 16, .head_dim = 8, .tied_readout = true};
  CHECK_THROWS_WITH(Model(shape, {.width = 16}, hp, 1),
                    Catch::Contains("smup::GPT: Shape::tied_readout is set under "
                                    "ShrunkReadoutInit. smup::TiedReadout: the parameterization "
                                    "gives its input and output roles different init variances"));
  shape.tied_readout = false; // untied, the same parameterization is fine
  Model untied(shape, {.width = 16}, hp, 1);
  CHECK(untied.shape().width == 16);
}

TEST_CASE("A GPT step with a token or target outside the vocabulary throws and changes nothing",
          "[models][gpt][errors]") {
  using Model = smup::GPT<smup::SMuP, smup::Unstructured, E, double>;
  Model model(
      {.vocab = 16, .context = 8, .width = 16, .head_dim = 8, .blocks = 1, .density = {1, 2}},
      {.width = 16}, hp, 1);
  smup::AdamW<smup::SMuP, E, double> adam(model, hp);
  auto snapshot = [&model] {
    std::vector<std::vector<double>> out;
    model.for_each_tensor([&out](smup::Tensor<double, E> const& t) {
      auto const h = smup_test::host_copy(t.values);
      out.emplace_back(h.data(), h.data() + h.extent(0));
    });
    return out;
  };
  auto const before = snapshot();
  auto const good = tokens_for<Model>(16, 16, 0);
  auto bad = tokens_for<Model>(16, 16, 0);
  Kokkos::deep_copy(Kokkos::subview(bad, 5), 16);
  CHECK_THROWS_WITH(model.train_step(bad, good, adam),
                    Catch::Contains("smup::Embedding::check_tokens: 1 token(s) outside [0, 16), "
                                    "the first at column 5 (16)"));
  CHECK_THROWS_WITH(model.train_step(good, bad, adam),
                    Catch::Contains("smup::SoftmaxCrossEntropy::forward_backward: 1 label(s) "
                                    "outside [0, 16)"));
  CHECK(adam.steps() == 0);
  CHECK(snapshot() == before);
}

namespace {
// What makes the host wait for the device: a reduction, or a value copied back to the host.
std::vector<std::string>* host_waits = nullptr;
void record_reduction(char const* name, std::uint32_t, std::uint64_t* id) {
  *id = 0;
  if (host_waits != nullptr) host_waits->emplace_back(std::string("reduce ") + name);
}
void record_scalar_copy(Kokkos_Profiling_SpaceHandle, char const*, void const*,
                        Kokkos_Profiling_SpaceHandle, char const* source, void const*,
                        std::uint64_t bytes) {
  // A copy of one value is a read-back; larger copies inside a step stay on the device.
  if (host_waits != nullptr && bytes <= sizeof(double))
    host_waits->emplace_back(std::string("read ") + source);
}
} // namespace

TEST_CASE("A GPT training step makes no blocking reduction to validate its inputs: reading "
          "its loss back is the one wait without clipping",
          "[models][gpt]") {
  using Model = smup::GPT<smup::SMuP, smup::NM<1, 2>, E, double>;
  Model model({.vocab = 16, .context = 8, .width = 16, .head_dim = 8, .blocks = 2}, {.width = 16},
              hp, 1);
  smup::AdamW<smup::SMuP, E, double> adam(model, hp);
  auto const tokens = tokens_for<Model>(16, 16, 0);
  auto const targets = tokens_for<Model>(16, 16, 3);
  std::vector<std::string> seen;
  host_waits = &seen;
  Kokkos::Tools::Experimental::set_begin_parallel_reduce_callback(record_reduction);
  Kokkos::Tools::Experimental::set_begin_deep_copy_callback(record_scalar_copy);
  double const loss = model.train_step(tokens, targets, adam);
  Kokkos::Tools::Experimental::set_begin_parallel_reduce_callback(nullptr);
  Kokkos::Tools::Experimental::set_begin_deep_copy_callback(nullptr);
  host_waits = nullptr;
  CHECK(std::isfinite(loss));
  CHECK(seen == std::vector<std::string>{"read smup::SoftmaxCrossEntropy::loss_sum"});
}
