// Monomial evaluation against the C++ library's pow, and compile time against run time.
#include "catch.hpp"
#include "support.hpp"

#include <smup/core/monomial.hpp>
#include <smup/core/ratio.hpp>

#include <bit>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <vector>

using smup::Monomial;
using smup::ratio;
using smup_test::at_run_time;

namespace {

std::vector<ratio> exponent_grid() {
  std::vector<ratio> out;
  for (std::int64_t den = 1; den <= 4; ++den)
    for (std::int64_t num = -3; num <= 3; ++num) out.push_back(ratio{num, den});
  return out;
}

// Widths and densities from tiny to huge, powers of two and not.
std::vector<ratio> const multipliers = {{1, 4096}, {1, 1024}, {1, 128}, {1, 16}, {1, 3}, {1, 2},
                                        {2, 3},    {1},       {3, 2},   {2},     {3},    {7, 5},
                                        {8},       {16},      {1024},   {4096},  {1000}, {1, 1000}};

long double reference(ratio base, ratio exponent) {
  // long double keeps p/q (e.g. 1/3) exact enough that the reference's own error is
  // far below one double ulp.
  return std::pow(static_cast<long double>(base.to_double()),
                  static_cast<long double>(exponent.num) / static_cast<long double>(exponent.den));
}

} // namespace

TEST_CASE("Monomial::at agrees with std::pow within 4 ulp over a grid of exponents and "
          "multipliers",
          "[core][monomial]") {
  std::vector<ratio> const exponents = exponent_grid();
  int checked = 0;
  for (ratio a : exponents)
    for (ratio b : exponents) {
      Monomial const m = at_run_time(Monomial{.width = a, .density = b});
      for (ratio md : multipliers)
        for (ratio mr : multipliers) {
          double const got = m.at(md, mr);
          long double const want = reference(md, a) * reference(mr, b);
          long double const rel = std::fabs(static_cast<long double>(got) - want) / want;
          // The reference's own rounding of p/q grows with |exponent * ln(base)|.
          long double const slack = (std::fabs(a.to_double() * std::log(md.to_double())) +
                                     std::fabs(b.to_double() * std::log(mr.to_double()))) *
                                    LDBL_EPSILON;
          if (!(rel <= 4 * DBL_EPSILON + slack)) {
            CAPTURE(a.num, a.den, b.num, b.den, md.num, md.den, mr.num, mr.den, got,
                    static_cast<double>(want));
            FAIL("Monomial::at is off by more than 4 ulp");
          }
          ++checked;
        }
    }
  REQUIRE(checked == 28 * 28 * 18 * 18);
}

TEST_CASE("Monomial::at is exact where the answer is a power of two", "[core][monomial]") {
  REQUIRE(Monomial{.width = -1, .density = -1}.at(at_run_time(ratio{8}), ratio{1, 16}) == 2.0);
  REQUIRE(smup::sqrt(smup::m_d).at(at_run_time(ratio{1024}), ratio{1}) == 32.0);
  REQUIRE(smup::pow(smup::m_d, ratio{-11, 3}).at(at_run_time(ratio{4096}), ratio{1}) == 0x1p-44);
  REQUIRE(smup::pow(smup::m_rho, ratio{5, 4}).at(ratio{1}, at_run_time(ratio{1, 16})) == 0x1p-5);
  REQUIRE(smup::unit_scaling.at(at_run_time(ratio{3}), ratio{1, 3}) == 1.0);
}

TEST_CASE("Large multipliers with exponent denominators beyond 2 stay accurate",
          "[core][monomial]") {
  // 1024^(5/8) = 2^6.25 = 76.1: a far Newton start once returned 354.8 here.
  double const got = smup::pow(smup::m_d, ratio{5, 8}).at(at_run_time(ratio{1024}), ratio{1});
  REQUIRE(got == Approx(76.10925536017415).epsilon(1e-15));
  double const tiny = smup::pow(smup::m_rho, ratio{7, 8}).at(ratio{1}, at_run_time(ratio{1, 4096}));
  REQUIRE(tiny == Approx(std::exp2(-10.5)).epsilon(1e-15));
  double const huge =
      Monomial{.width = {12, 7}}.at(at_run_time(ratio{1, 1}) * ratio{4096}, ratio{1});
  REQUIRE(huge == Approx(std::exp2(12.0 * 12.0 / 7.0)).epsilon(1e-14));
}

TEST_CASE("Monomial::at gives the same bits at run time as in a constant expression",
          "[core][monomial]") {
  constexpr Monomial hidden_std = smup::sqrt(smup::inverse(smup::m_d * smup::m_rho));
  constexpr double compile_time = hidden_std.at(ratio{1024, 96}, ratio{3, 7});
  double const run_time = hidden_std.at(at_run_time(ratio{1024, 96}), at_run_time(ratio{3, 7}));
  REQUIRE(std::bit_cast<std::uint64_t>(run_time) == std::bit_cast<std::uint64_t>(compile_time));

  constexpr Monomial odd{.width = {-5, 7}, .density = {2, 3}};
  constexpr double odd_compile_time = odd.at(ratio{4096}, ratio{1, 1000});
  double const odd_run_time = odd.at(at_run_time(ratio{4096}), at_run_time(ratio{1, 1000}));
  REQUIRE(std::bit_cast<std::uint64_t>(odd_run_time) ==
          std::bit_cast<std::uint64_t>(odd_compile_time));
}
