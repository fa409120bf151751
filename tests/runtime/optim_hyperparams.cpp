// The model is the one source of hyper-parameters: optimizers refuse other values, the
// readout bias trains at eta under SGD, and AdamW's decay follows its policy.
#include "catch.hpp"
#include "kernel_reference.hpp"
#include "support.hpp"
#include "tensor_values.hpp"

#include <smup/models/mlp.hpp>
#include <smup/optim/adam.hpp>
#include <smup/optim/sgd.hpp>
#include <smup/parameterization/mup.hpp>
#include <smup/parameterization/sp.hpp>
#include <smup/parameterization/sparse_mup.hpp>
#include <smup/sparsity/dense.hpp>
#include <smup/sparsity/unstructured.hpp>

#include <cstddef>
#include <vector>

namespace {

using E = Kokkos::DefaultExecutionSpace;
using Matrix = smup::Activations<double, E>;
constexpr smup::HyperParams hp{.sigma = 0.5, .eta = 0x1p-6, .lr_mult_non_hidden = 2.0};
// Width 16 over base 4: m_d = 4.
constexpr smup::BaseShape base{.width = 4};

template <class P, class S = smup::Dense> using Model = smup::MLP<P, S, E, double>;

template <class P, class S = smup::Dense>
Model<P, S> tiny_model(smup::HyperParams const& h, smup::ratio density = 1) {
  return Model<P, S>({.in = 5, .width = 16, .hidden_layers = 1, .out = 3, .density = density}, base,
                     h, 3);
}

Kokkos::View<int*, E::memory_space> labels_for(int n, int classes) {
  Kokkos::View<int*, E::memory_space> labels("labels", static_cast<std::size_t>(n));
  auto h = Kokkos::create_mirror_view(labels);
  for (int i = 0; i < n; ++i) h(i) = i % classes;
  Kokkos::deep_copy(labels, h);
  return labels;
}

using smup_test::tensor_values;

} // namespace

TEST_CASE("An optimizer given other hyper-parameters than its model's refuses to build",
          "[optim][hyperparams]") {
  auto model = tiny_model<smup::SMuP>(hp);
  // The model's own values, given or not, are accepted.
  CHECK_NOTHROW(smup::Adam<smup::SMuP, E, double>(model));
  CHECK_NOTHROW(smup::Adam<smup::SMuP, E, double>(model, model.hyperparams()));
  CHECK_NOTHROW(smup::SGD<smup::SMuP, E, double>(model, hp));

  smup::HyperParams other = hp;
  other.eta = 0x1p-5;
  CHECK_THROWS_WITH((smup::Adam<smup::SMuP, E, double>(model, other)),
                    Catch::Contains("smup::Adam: the hyper-parameters given differ from the "
                                    "model's (eta 0.03125 vs 0.015625"));
  CHECK_THROWS_WITH((smup::AdamW<smup::SMuP, E, double>(model, other)),
                    Catch::Contains("smup::Adam: the hyper-parameters given differ"));
  CHECK_THROWS_WITH((smup::SGD<smup::SMuP, E, double>(model, other)),
                    Catch::Contains("smup::SGD: the hyper-parameters given differ"));
  other = hp;
  other.weight_decay_policy = smup::WeightDecayPolicy::independent;
  CHECK_THROWS_WITH((smup::AdamW<smup::SMuP, E, double>(model, other)),
                    Catch::Contains("weight_decay_policy independent vs by_parameterization"));
  other = hp;
  other.alpha_out = 3.0;
  CHECK_THROWS_WITH((smup::Adam<smup::SMuP, E, double>(model, other)),
                    Catch::Contains("alpha_out 3 vs 1"));
}

TEST_CASE("Under muP and SmuP SGD moves the readout bias by eta, not eta * m_d",
          "[optim][sgd][hyperparams]") {
  // Tensor order: input W, input b, hidden W, hidden b, readout W, readout b. With
  // m_d = 4 and the non-hidden factor 2: SGD rates 2 eta m_d for the input layer, the
  // width-sized hidden bias and the readout matrix; eta for the hidden matrix; 2 eta
  // for the readout bias, whose 3 entries have no width dimension.
  double const eta = hp.eta, md = 4.0, f = hp.lr_mult_non_hidden;
  auto check = [&](auto policy) {
    using P = decltype(policy);
    CAPTURE(P::name);
    auto model = tiny_model<P>(hp);
    std::vector<double> rates;
    std::vector<smup::Role> roles;
    model.for_each_tensor([&](smup::Tensor<double, E> const& t) {
      rates.push_back(t.rules.lr_sgd);
      roles.push_back(t.rules.role);
    });
    CHECK(roles == std::vector<smup::Role>{smup::Role::input, smup::Role::bias, smup::Role::hidden,
                                           smup::Role::bias, smup::Role::output,
                                           smup::Role::output_bias});
    CHECK(rates == std::vector<double>{f * eta * md, f * eta * md, eta, f * eta * md, f * eta * md,
                                       f * eta});
    // One step applies those rates: the readout bias moves by f * eta * its gradient.
    smup::SGD<P, E, double> sgd(model);
    Matrix x("x", 5, 4);
    smup_test::fill_uniform(x, 9);
    auto const before = tensor_values(model);
    model.train_step(x, labels_for(4, 3), sgd);
    auto const after = tensor_values(model);
    std::size_t i = 0;
    model.for_each_tensor([&](smup::Tensor<double, E> const& t) {
      auto const g = smup_test::host_copy(t.grad);
      for (std::size_t k = 0; k < g.extent(0); ++k)
        CHECK(after[i][k] == Approx(before[i][k] - rates[i] * g(k)).margin(1e-15));
      ++i;
    });
  };
  check(smup::MuP{});
  check(smup::SMuP{});
}

TEST_CASE("AdamW shrinks each tensor by its policy's rate times the weight decay",
          "[optim][adam][weight_decay]") {
  // With zero gradients the Adam move is zero and only the decay acts:
  // w <- w * (1 - rate * wd). Rates derived by hand for the hidden matrix (Adam lr
  // eta / (m_d m_rho) = eta / 2 at m_d = 4, m_rho = 1/2) and the input matrix (2 eta).
  struct Case {
    smup::WeightDecayPolicy policy;
    double hidden_rate, input_rate;
  };
  double const eta = hp.eta;
  for (Case const c : {Case{smup::WeightDecayPolicy::coupled, eta / 2, 2 * eta},
                       Case{smup::WeightDecayPolicy::base_coupled, eta, 2 * eta},
                       Case{smup::WeightDecayPolicy::by_parameterization, eta, 2 * eta},
                       Case{smup::WeightDecayPolicy::independent, 1.0, 1.0}}) {
    CAPTURE(smup::to_string(c.policy));
    smup::HyperParams h = hp;
    h.weight_decay = 0.25;
    h.weight_decay_policy = c.policy;
    auto model = tiny_model<smup::SMuP, smup::Unstructured>(h, {1, 2});
    smup::AdamW<smup::SMuP, E, double> adamw(model);
    auto const before = tensor_values(model);
    adamw.step(model); // gradients are zero: nothing was computed yet
    auto const after = tensor_values(model);
    // Tensors 0 (input W) and 2 (hidden W) are matrices; biases do not decay.
    for (auto [i, rate] : {std::pair<std::size_t, double>{0, c.input_rate}, {2, c.hidden_rate}}) {
      CAPTURE(i);
      for (std::size_t k = 0; k < before[i].size(); ++k)
        CHECK(after[i][k] == Approx(before[i][k] * (1.0 - rate * 0.25)).epsilon(1e-14));
    }
    CHECK(after[1] == before[1]);
  }
}

TEST_CASE("SP keeps PyTorch AdamW's coupled decay by default", "[optim][adam][weight_decay]") {
  smup::HyperParams h = hp;
  h.weight_decay = 0.5;
  auto model = tiny_model<smup::SP>(h);
  smup::AdamW<smup::SP, E, double> adamw(model);
  auto const before = tensor_values(model);
  adamw.step(model);
  auto const after = tensor_values(model);
  for (std::size_t k = 0; k < before[2].size(); ++k)
    CHECK(after[2][k] == Approx(before[2][k] * (1.0 - hp.eta * 0.5)).epsilon(1e-14));
}
