// Per-tensor hyper-parameter tables at run time: equal to the compile-time ones bit
// for bit, and obeying the muTransfer invariants as numbers.
#include "catch.hpp"
#include "support.hpp"

#include <smup/core/ratio.hpp>
#include <smup/core/role.hpp>
#include <smup/parameterization/hyperparams.hpp>
#include <smup/parameterization/layer_hyperparams.hpp>
#include <smup/parameterization/mup.hpp>
#include <smup/parameterization/shape.hpp>
#include <smup/parameterization/sp.hpp>
#include <smup/parameterization/sparse_mup.hpp>

#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

using smup::HyperParams;
using smup::LayerHyperParams;
using smup::ratio;
using smup::Role;
using smup_test::at_run_time;

namespace {

std::uint64_t bits(double x) { return std::bit_cast<std::uint64_t>(x); }

void require_same_bits(LayerHyperParams const& a, LayerHyperParams const& b) {
  REQUIRE(a.role == b.role);
  REQUIRE(a.width_multiplier == b.width_multiplier);
  REQUIRE(a.density_multiplier == b.density_multiplier);
  REQUIRE(bits(a.init_std) == bits(b.init_std));
  REQUIRE(bits(a.lr_adam) == bits(b.lr_adam));
  REQUIRE(bits(a.lr_sgd) == bits(b.lr_sgd));
  REQUIRE(bits(a.weight_decay) == bits(b.weight_decay));
  REQUIRE(bits(a.multiplier) == bits(b.multiplier));
}

template <class P, std::size_t L, HyperParams Hp, smup::BaseShape Base, smup::TargetShape Target>
void require_run_time_table_matches_compile_time() {
  constexpr auto compile_time = smup::hp_table<P, L>(Hp, Base, Target);
  smup::TargetShape target = at_run_time(Target);
  target.hidden_layers = static_cast<int>(L);
  std::vector<LayerHyperParams> const run_time =
      smup::hp_table<P>(at_run_time(Hp), at_run_time(Base), target);
  // The fixed-depth overload evaluated by the program, too.
  auto const fixed_at_run_time = smup::hp_table<P, L>(at_run_time(Hp), at_run_time(Base), target);
  REQUIRE(run_time.size() == compile_time.size());
  for (std::size_t i = 0; i < compile_time.size(); ++i) {
    CAPTURE(P::name, L, i);
    require_same_bits(run_time[i], compile_time[i]);
    require_same_bits(fixed_at_run_time[i], compile_time[i]);
  }
}

constexpr HyperParams tuned{.sigma = 0.05,
                            .eta = 0x1p-9,
                            .alpha_in = 0.5,
                            .alpha_out = 2.0,
                            .lr_mult_non_hidden = 4.0,
                            .weight_decay = 0.1};
constexpr HyperParams awkward{.sigma = 0.037,
                              .eta = 3e-4,
                              .alpha_in = 1.7,
                              .alpha_out = 0.3,
                              .lr_mult_non_hidden = 3.0,
                              .weight_decay = 0.01,
                              .decay_biases_and_gains = true};

std::vector<std::int64_t> const widths = {128, 256, 384, 1024, 3000, 4096};
std::vector<ratio> const densities = {{1}, {1, 2}, {1, 4}, {3, 16}, {1, 16}, {1, 128}};

LayerHyperParams hidden_row(auto policy, HyperParams const& hp, std::int64_t width, ratio density) {
  using P = decltype(policy);
  return smup::layer_hyperparams<P>(at_run_time(hp), {.width = 128}, at_run_time(width),
                                    at_run_time(density), Role::hidden);
}

} // namespace

TEST_CASE("The run-time table equals the compile-time table bit for bit",
          "[parameterization][hp_table]") {
  require_run_time_table_matches_compile_time<smup::SMuP, 4, tuned, smup::BaseShape{.width = 128},
                                              smup::TargetShape{.width = 1024,
                                                                .density = {1, 16}}>();
  require_run_time_table_matches_compile_time<smup::MuP, 4, tuned, smup::BaseShape{.width = 128},
                                              smup::TargetShape{.width = 1024,
                                                                .density = {1, 16}}>();
  require_run_time_table_matches_compile_time<smup::SP, 4, tuned, smup::BaseShape{.width = 128},
                                              smup::TargetShape{.width = 1024,
                                                                .density = {1, 16}}>();
  // Widths and densities whose multipliers are not powers of two (irrational roots).
  require_run_time_table_matches_compile_time<smup::SMuP, 2, awkward, smup::BaseShape{.width = 96},
                                              smup::TargetShape{.width = 1000,
                                                                .density = {3, 7}}>();
  require_run_time_table_matches_compile_time<smup::MuP, 1, awkward, smup::BaseShape{.width = 300},
                                              smup::TargetShape{.width = 200, .density = {5, 9}}>();
  require_run_time_table_matches_compile_time<smup::SP, 3, awkward, smup::BaseShape{.width = 64},
                                              smup::TargetShape{.width = 4096,
                                                                .density = {1, 3}}>();
  // A sparse base model.
  require_run_time_table_matches_compile_time<
      smup::SMuP, 6, awkward, smup::BaseShape{.width = 256, .density = {1, 2}},
      smup::TargetShape{.width = 2048, .density = {1, 10}}>();
}

TEST_CASE("The run-time table has input, hidden, output, bias, output_bias and norm_gain rows",
          "[parameterization][hp_table]") {
  auto const table = smup::hp_table<smup::SMuP>(
      tuned, {.width = 128},
      at_run_time(smup::TargetShape{.width = 512, .density = {1, 8}, .hidden_layers = 3}));
  REQUIRE(table.size() == 8);
  REQUIRE(table[0].role == Role::input);
  for (std::size_t i = 1; i <= 3; ++i) REQUIRE(table[i].role == Role::hidden);
  REQUIRE(table[4].role == Role::output);
  REQUIRE(table[5].role == Role::bias);
  REQUIRE(table[6].role == Role::output_bias);
  REQUIRE(table[7].role == Role::norm_gain);
  // Only hidden rows are sparse.
  for (auto const& row : table)
    REQUIRE(row.density_multiplier == (row.role == Role::hidden ? ratio{1, 8} : ratio{1}));
}

TEST_CASE("At the base shape every parameterization gives back the base values",
          "[parameterization][hp_table][transfer]") {
  for (std::int64_t base_width : {64, 128, 200}) {
    smup::BaseShape const base{.width = base_width};
    smup::TargetShape const target{.width = base_width, .density = 1, .hidden_layers = 2};
    auto check = [&](auto policy) {
      using P = decltype(policy);
      CAPTURE(P::name, base_width);
      for (LayerHyperParams const& row : smup::hp_table<P>(at_run_time(tuned), base, target)) {
        CAPTURE(smup::to_string(row.role));
        bool const hidden = row.role == Role::hidden;
        REQUIRE(row.width_multiplier == ratio{1});
        REQUIRE(row.density_multiplier == ratio{1});
        REQUIRE(row.init_std == (smup::is_matrix(row.role) ? tuned.sigma : 0.0));
        double const lr = hidden ? tuned.eta : tuned.eta * tuned.lr_mult_non_hidden;
        REQUIRE(row.lr_adam == lr);
        REQUIRE(row.lr_sgd == lr);
        double const alpha = row.role == Role::input    ? tuned.alpha_in
                             : row.role == Role::output ? tuned.alpha_out
                                                        : 1.0;
        REQUIRE(row.multiplier == alpha);
      }
    };
    check(smup::SP{});
    check(smup::MuP{});
    check(smup::SMuP{});
  }
  // A sparse base reproduces its values at its own density.
  smup::BaseShape const sparse_base{.width = 256, .density = {1, 4}};
  LayerHyperParams const row = smup::layer_hyperparams<smup::SMuP>(
      tuned, sparse_base, 256, at_run_time(ratio{1, 4}), Role::hidden);
  REQUIRE(row.init_std == tuned.sigma);
  REQUIRE(row.lr_adam == tuned.eta);
  REQUIRE(row.lr_sgd == tuned.eta);
}

TEST_CASE("Under SmuP the hidden Adam rate times width times density is constant",
          "[parameterization][hp_table][transfer][smup]") {
  // lr = eta / (m_d m_rho), so lr * d * rho = eta * d_base on every grid point;
  // likewise init variance * d * rho and the SGD rate * rho (which ignores width).
  double const lr_invariant = tuned.eta * 128.0;
  double const var_invariant = tuned.sigma * tuned.sigma * 128.0;
  for (std::int64_t width : widths)
    for (ratio density : densities) {
      CAPTURE(width, density.num, density.den);
      LayerHyperParams const row = hidden_row(smup::SMuP{}, tuned, width, density);
      double const effective_fan_in = static_cast<double>(width) * density.to_double();
      REQUIRE(row.lr_adam * effective_fan_in == Approx(lr_invariant).epsilon(1e-14));
      REQUIRE(row.init_std * row.init_std * effective_fan_in ==
              Approx(var_invariant).epsilon(1e-14));
      REQUIRE(row.lr_sgd * density.to_double() == Approx(tuned.eta).epsilon(1e-14));
    }
}

TEST_CASE("Under muP the hidden Adam rate times width is constant and ignores density",
          "[parameterization][hp_table][transfer][mup]") {
  double const lr_invariant = tuned.eta * 128.0;
  for (std::int64_t width : widths) {
    LayerHyperParams const dense = hidden_row(smup::MuP{}, tuned, width, ratio{1});
    for (ratio density : densities) {
      CAPTURE(width, density.num, density.den);
      LayerHyperParams const row = hidden_row(smup::MuP{}, tuned, width, density);
      REQUIRE(row.lr_adam * static_cast<double>(width) == Approx(lr_invariant).epsilon(1e-14));
      // Density changes nothing but the recorded multiplier.
      REQUIRE(row.lr_adam == dense.lr_adam);
      REQUIRE(row.init_std == dense.init_std);
      REQUIRE(row.lr_sgd == tuned.eta);
      REQUIRE(row.density_multiplier == density);
    }
  }
}

TEST_CASE("Under SP nothing depends on width or density",
          "[parameterization][hp_table][transfer][sp]") {
  for (std::int64_t width : widths)
    for (ratio density : densities) {
      CAPTURE(width, density.num, density.den);
      LayerHyperParams const row = hidden_row(smup::SP{}, tuned, width, density);
      REQUIRE(row.init_std == tuned.sigma);
      REQUIRE(row.lr_adam == tuned.eta);
      REQUIRE(row.lr_sgd == tuned.eta);
      REQUIRE(row.multiplier == 1.0);
    }
}

TEST_CASE("Under muP and SmuP the readout multiplier is alpha_out / m_d and the SGD rates of "
          "non-hidden tensors grow like m_d",
          "[parameterization][hp_table][transfer]") {
  for (std::int64_t width : widths) {
    CAPTURE(width);
    double const md = static_cast<double>(width) / 128.0;
    auto check = [&](auto policy) {
      using P = decltype(policy);
      CAPTURE(P::name);
      auto const table = smup::hp_table<P>(
          tuned, {.width = 128},
          at_run_time(smup::TargetShape{.width = width, .density = {1, 16}, .hidden_layers = 1}));
      REQUIRE(table[0].multiplier == tuned.alpha_in);
      REQUIRE(table[2].multiplier == Approx(tuned.alpha_out / md).epsilon(1e-15));
      for (std::size_t i : {0u, 2u, 3u, 5u}) {
        CAPTURE(i);
        REQUIRE(table[i].lr_adam == tuned.eta * tuned.lr_mult_non_hidden);
        REQUIRE(table[i].lr_sgd ==
                Approx(tuned.eta * tuned.lr_mult_non_hidden * md).epsilon(1e-15));
      }
      // The readout bias (row 4) has no width dimension: eta under both optimizers.
      REQUIRE(table[4].role == Role::output_bias);
      REQUIRE(table[4].lr_adam == tuned.eta * tuned.lr_mult_non_hidden);
      REQUIRE(table[4].lr_sgd == tuned.eta * tuned.lr_mult_non_hidden);
      // Non-hidden matrices keep sigma whatever the width or density.
      REQUIRE(table[0].init_std == tuned.sigma);
      REQUIRE(table[2].init_std == tuned.sigma);
    };
    check(smup::MuP{});
    check(smup::SMuP{});
  }
}

TEST_CASE("Every role's learning rates follow the rule table, for both optimizer families",
          "[parameterization][hp_table][transfer]") {
  // Width 1024 from base 128 (m_d = 8), density 1/16 (m_rho = 1/16). Each entry is the
  // exponent pair (width, density) of the rule in DESIGN.md's table, written out here
  // rather than read from the policies: {adam, sgd} per role.
  struct Expected {
    Role role;
    int adam_width, adam_density, sgd_width, sgd_density;
  };
  auto const check = [](auto policy, std::vector<Expected> const& rows) {
    using P = decltype(policy);
    double const md = 8.0, mr = 1.0 / 16.0;
    for (Expected const& e : rows) {
      CAPTURE(P::name, smup::to_string(e.role));
      ratio const density = e.role == Role::hidden ? ratio{1, 16} : ratio{1};
      LayerHyperParams const row = smup::layer_hyperparams<P>(at_run_time(tuned), {.width = 128},
                                                              1024, at_run_time(density), e.role);
      double const factor = e.role == Role::hidden ? 1.0 : tuned.lr_mult_non_hidden;
      REQUIRE(row.lr_adam ==
              Approx(tuned.eta * factor * std::pow(md, e.adam_width) * std::pow(mr, e.adam_density))
                  .epsilon(1e-15));
      REQUIRE(row.lr_sgd ==
              Approx(tuned.eta * factor * std::pow(md, e.sgd_width) * std::pow(mr, e.sgd_density))
                  .epsilon(1e-15));
    }
  };
  check(smup::SP{}, {{Role::input, 0, 0, 0, 0},
                     {Role::hidden, 0, 0, 0, 0},
                     {Role::output, 0, 0, 0, 0},
                     {Role::bias, 0, 0, 0, 0},
                     {Role::output_bias, 0, 0, 0, 0},
                     {Role::norm_gain, 0, 0, 0, 0}});
  check(smup::MuP{}, {{Role::input, 0, 0, 1, 0},
                      {Role::hidden, -1, 0, 0, 0},
                      {Role::output, 0, 0, 1, 0},
                      {Role::bias, 0, 0, 1, 0},
                      {Role::output_bias, 0, 0, 0, 0},
                      {Role::norm_gain, 0, 0, 1, 0}});
  check(smup::SMuP{}, {{Role::input, 0, 0, 1, 0},
                       {Role::hidden, -1, -1, 0, -1},
                       {Role::output, 0, 0, 1, 0},
                       {Role::bias, 0, 0, 1, 0},
                       {Role::output_bias, 0, 0, 0, 0},
                       {Role::norm_gain, 0, 0, 1, 0}});
}

TEST_CASE("lr_mult_non_hidden multiplies exactly the non-hidden learning rates",
          "[parameterization][hp_table]") {
  smup::TargetShape const target{.width = 1536, .density = {1, 8}, .hidden_layers = 2};
  smup::BaseShape const base{.width = 128};
  for (double mult : {4.0, 0.25, 3.0}) {
    HyperParams plain = tuned;
    plain.lr_mult_non_hidden = 1.0;
    HyperParams scaled = tuned;
    scaled.lr_mult_non_hidden = mult;
    auto check = [&](auto policy) {
      using P = decltype(policy);
      auto const a = smup::hp_table<P>(at_run_time(plain), base, target);
      auto const b = smup::hp_table<P>(at_run_time(scaled), base, target);
      REQUIRE(a.size() == b.size());
      for (std::size_t i = 0; i < a.size(); ++i) {
        CAPTURE(P::name, mult, i, smup::to_string(a[i].role));
        if (a[i].role == Role::hidden) {
          require_same_bits(a[i], b[i]);
          continue;
        }
        // Powers of two scale without rounding; 3 within an ulp.
        REQUIRE(b[i].lr_adam == Approx(a[i].lr_adam * mult).epsilon(1e-15));
        REQUIRE(b[i].lr_sgd == Approx(a[i].lr_sgd * mult).epsilon(1e-15));
        if (mult != 3.0) {
          REQUIRE(b[i].lr_adam == a[i].lr_adam * mult);
          REQUIRE(b[i].lr_sgd == a[i].lr_sgd * mult);
        }
        REQUIRE(bits(b[i].init_std) == bits(a[i].init_std));
        REQUIRE(bits(b[i].multiplier) == bits(a[i].multiplier));
        REQUIRE(bits(b[i].weight_decay) == bits(a[i].weight_decay));
      }
    };
    check(smup::SP{});
    check(smup::MuP{});
    check(smup::SMuP{});
  }
}

TEST_CASE("Weight decay is zero on biases and norm gains unless decay_biases_and_gains is set",
          "[parameterization][hp_table][weight_decay]") {
  smup::TargetShape const target{.width = 512, .density = {1, 4}, .hidden_layers = 2};
  HyperParams hp = tuned;
  hp.weight_decay = 0.125;
  for (bool decay_vectors : {false, true})
    for (auto policy_kind :
         {smup::WeightDecayPolicy::coupled, smup::WeightDecayPolicy::independent}) {
      hp.decay_biases_and_gains = decay_vectors;
      hp.weight_decay_policy = policy_kind;
      auto const table = smup::hp_table<smup::SMuP>(at_run_time(hp), {.width = 128}, target);
      for (LayerHyperParams const& row : table) {
        CAPTURE(decay_vectors, smup::to_string(row.role));
        bool const decays = smup::is_matrix(row.role) || decay_vectors;
        REQUIRE(row.weight_decay == (decays ? 0.125 : 0.0));
      }
    }
  // Without decay_input_and_readout only the hidden matrices (and vectors, if asked) decay.
  hp.decay_input_and_readout = false;
  for (LayerHyperParams const& row :
       smup::hp_table<smup::SMuP>(at_run_time(hp), {.width = 128}, target)) {
    CAPTURE(smup::to_string(row.role));
    bool const decays = row.role == Role::hidden || !smup::is_matrix(row.role);
    REQUIRE(row.weight_decay == (decays ? 0.125 : 0.0));
  }
  // No decay asked, none given, anywhere.
  for (LayerHyperParams const& row : smup::hp_table<smup::MuP>(
           at_run_time(HyperParams{.decay_biases_and_gains = true}), {.width = 128}, target))
    REQUIRE(row.weight_decay == 0.0);
}

TEST_CASE("Biases and norm gains get no init std under any parameterization",
          "[parameterization][hp_table]") {
  smup::TargetShape const target{.width = 2048, .density = {1, 32}, .hidden_layers = 1};
  auto check = [&](auto policy) {
    using P = decltype(policy);
    for (LayerHyperParams const& row :
         smup::hp_table<P>(at_run_time(tuned), {.width = 128}, target))
      if (!smup::is_matrix(row.role)) {
        CAPTURE(P::name, smup::to_string(row.role));
        REQUIRE(row.init_std == 0.0);
        REQUIRE(row.multiplier == 1.0);
      }
  };
  check(smup::SP{});
  check(smup::MuP{});
  check(smup::SMuP{});
}
