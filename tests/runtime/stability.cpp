// The stability report as a value at run time, and the attention scale.
#include "catch.hpp"

#include <smup/core/ratio.hpp>
#include <smup/core/role.hpp>
#include <smup/parameterization/attention.hpp>
#include <smup/parameterization/mup.hpp>
#include <smup/parameterization/sp.hpp>
#include <smup/parameterization/sparse_mup.hpp>
#include <smup/parameterization/stability.hpp>

#include <cmath>
#include <cstdint>
#include <string>

using smup::ratio;
using smup::Role;
using smup::ScalingAxis;
using smup::StabilityQuantity;

namespace {

// Calls through a function pointer so the report is computed by the program.
template <class P> smup::StabilityReport report_at_run_time() {
  smup::StabilityReport (*volatile compute)() = &smup::stability_report<P>;
  return compute();
}

} // namespace

TEST_CASE("The stability report of muP names the hidden activation's density exponent",
          "[parameterization][stability]") {
  smup::StabilityReport const r = report_at_run_time<smup::MuP>();
  REQUIRE(r.width_stable);
  REQUIRE_FALSE(r.density_stable);
  REQUIRE_FALSE(r.stable());
  REQUIRE(r.issue_count == 3);
  REQUIRE(r.first_issue.role == Role::hidden);
  REQUIRE(r.first_issue.quantity == StabilityQuantity::activation_at_init);
  REQUIRE(r.first_issue.axis == ScalingAxis::density);
  REQUIRE(r.first_issue.exponent == ratio{1, 2});
  REQUIRE(r.first_issue.fix == ratio{-1});
  REQUIRE(std::string(r.first_issue.rule) == "init variance");
}

TEST_CASE("The stability report of SP names the hidden activation's width exponent",
          "[parameterization][stability]") {
  smup::StabilityReport const r = report_at_run_time<smup::SP>();
  REQUIRE_FALSE(r.width_stable);
  REQUIRE_FALSE(r.density_stable);
  REQUIRE(r.issue_count == 9);
  REQUIRE(r.first_issue.role == Role::hidden);
  REQUIRE(r.first_issue.quantity == StabilityQuantity::activation_at_init);
  REQUIRE(r.first_issue.axis == ScalingAxis::width);
  REQUIRE(r.first_issue.exponent == ratio{1, 2});
  REQUIRE(r.first_issue.fix == ratio{-1});
  REQUIRE(std::string(smup::to_string(r.first_issue.quantity)) == "activation at init");
}

TEST_CASE("The stability report of SmuP is clean", "[parameterization][stability]") {
  smup::StabilityReport const r = report_at_run_time<smup::SMuP>();
  REQUIRE(r.stable());
  REQUIRE(r.issue_count == 0);
}

TEST_CASE("The run-time report equals the compile-time one", "[parameterization][stability]") {
  constexpr smup::StabilityReport compile_time = smup::stability_report<smup::SP>();
  smup::StabilityReport const run_time = report_at_run_time<smup::SP>();
  REQUIRE(run_time.width_stable == compile_time.width_stable);
  REQUIRE(run_time.density_stable == compile_time.density_stable);
  REQUIRE(run_time.issue_count == compile_time.issue_count);
  REQUIRE(run_time.first_issue.role == compile_time.first_issue.role);
  REQUIRE(run_time.first_issue.exponent == compile_time.first_issue.exponent);
  REQUIRE(run_time.first_issue.rule == compile_time.first_issue.rule);
}

TEST_CASE("Attention logits are scaled by 1/sqrt(d_head) under SP and 1/d_head under muP and SmuP",
          "[parameterization][attention]") {
  for (std::int64_t head_dim : {1, 16, 32, 64, 96, 128}) {
    CAPTURE(head_dim);
    double const d = static_cast<double>(head_dim);
    REQUIRE(smup::attention_scale<smup::SP>(head_dim) == Approx(1.0 / std::sqrt(d)).epsilon(1e-15));
    REQUIRE(smup::attention_scale<smup::MuP>(head_dim) == Approx(1.0 / d).epsilon(1e-15));
    REQUIRE(smup::attention_scale<smup::SMuP>(head_dim) == Approx(1.0 / d).epsilon(1e-15));
  }
}
