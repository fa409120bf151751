// Broken rules at run time: smup::error carrying the compile-time diagnostic text.
#include "catch.hpp"
#include "support.hpp"

#include <smup/core/diagnostics.hpp>
#include <smup/core/error.hpp>
#include <smup/core/monomial.hpp>
#include <smup/core/parse_ratio.hpp>
#include <smup/core/ratio.hpp>
#include <smup/parameterization/attention.hpp>
#include <smup/parameterization/hyperparams.hpp>
#include <smup/parameterization/layer_hyperparams.hpp>
#include <smup/parameterization/mup.hpp>
#include <smup/parameterization/sp.hpp>
#include <smup/parameterization/sparse_mup.hpp>

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

using smup::ratio;
using smup_test::at_run_time;

namespace {

constexpr std::int64_t int64_max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t int64_min = std::numeric_limits<std::int64_t>::min();

} // namespace

TEST_CASE("A ratio built at run time with a zero denominator throws smup::error naming the rule",
          "[core][ratio][errors]") {
  std::int64_t const zero = at_run_time<std::int64_t>(0);
  REQUIRE_THROWS_AS(ratio(1, zero), smup::error);
  REQUIRE_THROWS_WITH(ratio(1, zero), SMUP_DIAG_RATIO_ZERO_DENOMINATOR);
  REQUIRE_THROWS_WITH(ratio(0, zero), SMUP_DIAG_RATIO_ZERO_DENOMINATOR);
}

TEST_CASE("smup::error is a std::invalid_argument, so generic handlers catch it",
          "[core][errors]") {
  std::int64_t const zero = at_run_time<std::int64_t>(0);
  REQUIRE_THROWS_AS(ratio(1, zero), std::invalid_argument);
  try {
    (void)ratio(1, zero);
    FAIL("no exception");
  } catch (std::exception const& e) {
    REQUIRE(std::string(e.what()) == SMUP_DIAG_RATIO_ZERO_DENOMINATOR);
  }
}

TEST_CASE("Ratio arithmetic that overflows 64 bits throws instead of wrapping",
          "[core][ratio][errors]") {
  ratio const big = at_run_time(ratio{int64_max});
  REQUIRE_THROWS_WITH(big * ratio{2}, SMUP_DIAG_RATIO_OVERFLOW);
  REQUIRE_THROWS_WITH(big + ratio{1}, SMUP_DIAG_RATIO_OVERFLOW);
  REQUIRE_THROWS_WITH(-big - ratio{2}, SMUP_DIAG_RATIO_OVERFLOW);
  REQUIRE_THROWS_WITH((ratio{1, int64_max} + ratio{1, 2}), SMUP_DIAG_RATIO_OVERFLOW);
  REQUIRE_THROWS_WITH(smup::pow(ratio{at_run_time<std::int64_t>(1) << 32}, 2),
                      SMUP_DIAG_RATIO_OVERFLOW);
  // INT64_MIN has no positive counterpart, so it cannot be normalised.
  REQUIRE_THROWS_WITH(ratio(at_run_time(int64_min)), SMUP_DIAG_RATIO_OVERFLOW);
  REQUIRE_THROWS_WITH(ratio(1, at_run_time(int64_min)), SMUP_DIAG_RATIO_OVERFLOW);
  // Near the limit but representable: no throw.
  REQUIRE(big * ratio{1, 2} == ratio{int64_max, 2});
  REQUIRE(big - ratio{1} == ratio{int64_max - 1});
}

TEST_CASE("Dividing by a zero ratio throws smup::error", "[core][ratio][errors]") {
  ratio const zero = at_run_time(ratio{0});
  REQUIRE_THROWS_WITH((ratio{1, 2} / zero), SMUP_DIAG_RATIO_DIVIDE_BY_ZERO);
  REQUIRE_THROWS_WITH(smup::pow(zero, -1), SMUP_DIAG_RATIO_DIVIDE_BY_ZERO);
}

TEST_CASE("width_ratio rejects a zero or negative width or base width", "[core][ratio][errors]") {
  std::int64_t const zero = at_run_time<std::int64_t>(0);
  REQUIRE_THROWS_WITH(smup::width_ratio(1024, zero), SMUP_DIAG_WIDTH_RATIO_NONPOSITIVE);
  REQUIRE_THROWS_WITH(smup::width_ratio(zero, 128), SMUP_DIAG_WIDTH_RATIO_NONPOSITIVE);
  REQUIRE_THROWS_WITH(smup::width_ratio(zero - 64, 128), SMUP_DIAG_WIDTH_RATIO_NONPOSITIVE);
  REQUIRE_THROWS_WITH(smup::width_ratio(1024, zero - 128), SMUP_DIAG_WIDTH_RATIO_NONPOSITIVE);
  REQUIRE(smup::width_ratio(at_run_time<std::int64_t>(1024), 128) == ratio{8});
}

TEST_CASE(
    "A density of zero, below zero or above one throws smup::error with the density diagnostic",
    "[core][ratio][errors]") {
  for (ratio bad : {ratio{0}, ratio{3, 2}, ratio{-1, 2}, ratio{2}, ratio{1000001, 1000000}}) {
    CAPTURE(bad.num, bad.den);
    REQUIRE_THROWS_WITH(smup::checked_density(at_run_time(bad)), SMUP_DIAG_DENSITY_OUT_OF_RANGE);
    REQUIRE_THROWS_WITH(smup::density_ratio(at_run_time(bad)), SMUP_DIAG_DENSITY_OUT_OF_RANGE);
    // The base density is checked as well.
    REQUIRE_THROWS_WITH(smup::density_ratio(ratio{1, 2}, at_run_time(bad)),
                        SMUP_DIAG_DENSITY_OUT_OF_RANGE);
  }
  REQUIRE(smup::checked_density(at_run_time(ratio{1})) == ratio{1});
  REQUIRE(smup::density_ratio(at_run_time(ratio{1, 128})) == ratio{1, 128});
}

TEST_CASE("Evaluating a monomial at a non-positive multiplier throws", "[core][monomial][errors]") {
  ratio const zero = at_run_time(ratio{0});
  REQUIRE_THROWS_WITH(smup::m_d.at(zero, ratio{1}), SMUP_DIAG_MONOMIAL_NONPOSITIVE_BASE);
  REQUIRE_THROWS_WITH(smup::m_rho.at(ratio{1}, zero), SMUP_DIAG_MONOMIAL_NONPOSITIVE_BASE);
  REQUIRE_THROWS_WITH(smup::sqrt(smup::m_d).at(ratio{-4}, ratio{1}),
                      SMUP_DIAG_MONOMIAL_NONPOSITIVE_BASE);
}

TEST_CASE("parse_ratio throws smup::error on text that is not a positive number",
          "[core][parse_ratio][errors]") {
  for (char const* text : {"", "1/0", "-1", "abc", "1/2/3", "0", "0/3", "1/", "/2", ".", "1.2.3",
                           " 1", "1 ", "+2", "1e3", "0x10", "1/-2", "12345678901234567890"}) {
    CAPTURE(text);
    std::string const copy = text; // a run-time string, not a literal
    REQUIRE_THROWS_AS(smup::parse_ratio(copy), smup::error);
    REQUIRE_THROWS_WITH(smup::parse_ratio(copy), SMUP_DIAG_PARSE_RATIO);
  }
}

TEST_CASE("Bad base hyper-parameters throw smup::error naming the field at fault",
          "[parameterization][hyperparams][errors]") {
  double const nan = at_run_time(std::numeric_limits<double>::quiet_NaN());
  double const inf = at_run_time(std::numeric_limits<double>::infinity());
  for (double bad : {nan, inf, -inf, 0.0, -0.02}) {
    CAPTURE(bad);
    REQUIRE_THROWS_WITH(smup::checked(smup::HyperParams{.sigma = bad}), SMUP_DIAG_HP_SIGMA);
    REQUIRE_THROWS_WITH(smup::checked(smup::HyperParams{.eta = bad}), SMUP_DIAG_HP_ETA);
    REQUIRE_THROWS_WITH(smup::checked(smup::HyperParams{.alpha_in = bad}), SMUP_DIAG_HP_MULTIPLIER);
    REQUIRE_THROWS_WITH(smup::checked(smup::HyperParams{.alpha_out = bad}),
                        SMUP_DIAG_HP_MULTIPLIER);
    REQUIRE_THROWS_WITH(smup::checked(smup::HyperParams{.lr_mult_non_hidden = bad}),
                        SMUP_DIAG_HP_MULTIPLIER);
  }
  for (double bad : {nan, inf, -inf, -0.1}) {
    CAPTURE(bad);
    REQUIRE_THROWS_WITH(smup::checked(smup::HyperParams{.weight_decay = bad}),
                        SMUP_DIAG_HP_WEIGHT_DECAY);
  }
  // Zero decay is allowed; so is the default set.
  REQUIRE_NOTHROW(smup::checked(smup::HyperParams{.weight_decay = at_run_time(0.0)}));
  REQUIRE_NOTHROW(smup::checked(at_run_time(smup::HyperParams{})));
}

TEST_CASE("Every entry point checks the hyper-parameters before using them",
          "[parameterization][hyperparams][errors]") {
  smup::HyperParams const bad = at_run_time(smup::HyperParams{.sigma = -1.0});
  smup::BaseShape const base{.width = 128};
  REQUIRE_THROWS_WITH(
      smup::layer_hyperparams<smup::SMuP>(bad, base, 256, ratio{1}, smup::Role::bias),
      SMUP_DIAG_HP_SIGMA);
  REQUIRE_THROWS_WITH(smup::hp_table<smup::MuP>(bad, base, {.width = 256}), SMUP_DIAG_HP_SIGMA);
  REQUIRE_THROWS_WITH((smup::hp_table<smup::SP, 2>(bad, base, {.width = 256})), SMUP_DIAG_HP_SIGMA);
}

TEST_CASE("A run-time table with zero hidden layers throws the depth diagnostic",
          "[parameterization][hp_table][errors]") {
  smup::TargetShape target{.width = 1024, .density = {1, 16}, .hidden_layers = 0};
  target = at_run_time(target);
  REQUIRE_THROWS_WITH(smup::hp_table<smup::SMuP>(smup::HyperParams{}, {.width = 128}, target),
                      SMUP_DIAG_SHAPE_DEPTH);
  target.hidden_layers = -3;
  REQUIRE_THROWS_WITH(smup::hp_table<smup::SMuP>(smup::HyperParams{}, {.width = 128}, target),
                      SMUP_DIAG_SHAPE_DEPTH);
  target.hidden_layers = 1;
  REQUIRE(smup::hp_table<smup::SMuP>(smup::HyperParams{}, {.width = 128}, target).size() == 6);
}

TEST_CASE("Asking for a sparse tensor in a non-hidden role throws", "[parameterization][errors]") {
  ratio const half = at_run_time(ratio{1, 2});
  smup::BaseShape const base{.width = 128};
  for (smup::Role role : {smup::Role::input, smup::Role::output, smup::Role::bias,
                          smup::Role::output_bias, smup::Role::norm_gain}) {
    CAPTURE(smup::to_string(role));
    REQUIRE_THROWS_WITH(smup::layer_hyperparams<smup::SMuP>({}, base, 1024, half, role),
                        SMUP_DIAG_SPARSE_NON_HIDDEN);
  }
  REQUIRE_NOTHROW(smup::layer_hyperparams<smup::SMuP>({}, base, 1024, half, smup::Role::hidden));
}

TEST_CASE("Bad widths and densities reach layer_hyperparams' callers as smup::error",
          "[parameterization][errors]") {
  smup::BaseShape const base{.width = 128};
  std::int64_t const zero = at_run_time<std::int64_t>(0);
  REQUIRE_THROWS_WITH(
      smup::layer_hyperparams<smup::MuP>({}, base, zero, ratio{1}, smup::Role::hidden),
      SMUP_DIAG_WIDTH_RATIO_NONPOSITIVE);
  REQUIRE_THROWS_WITH(
      smup::layer_hyperparams<smup::MuP>({}, smup::BaseShape{}, 256, ratio{1}, smup::Role::hidden),
      SMUP_DIAG_WIDTH_RATIO_NONPOSITIVE);
  REQUIRE_THROWS_WITH(
      smup::layer_hyperparams<smup::SMuP>({}, base, 256, at_run_time(ratio{0}), smup::Role::hidden),
      SMUP_DIAG_DENSITY_OUT_OF_RANGE);
  REQUIRE_THROWS_WITH(smup::hp_table<smup::SMuP>(
                          {}, base, at_run_time(smup::TargetShape{.width = 256, .density = 2})),
                      SMUP_DIAG_DENSITY_OUT_OF_RANGE);
  REQUIRE_THROWS_WITH(smup::attention_scale<smup::SMuP>(zero), SMUP_DIAG_WIDTH_RATIO_NONPOSITIVE);
}
