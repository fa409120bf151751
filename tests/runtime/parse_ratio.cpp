// parse_ratio at run time: the forms a command line or config file may use.
#include "catch.hpp"

#include <smup/core/parse_ratio.hpp>
#include <smup/core/ratio.hpp>

#include <string>
#include <utility>

using smup::ratio;

TEST_CASE("parse_ratio reads integers, fractions and decimals exactly", "[core][parse_ratio]") {
  std::pair<char const*, ratio> const cases[] = {
      {"1", ratio{1}},       {"1/16", ratio{1, 16}},   {"0.0625", ratio{1, 16}},
      {"2.5", ratio{5, 2}},  {"4", ratio{4}},          {"2/4", ratio{1, 2}},
      {"0.1", ratio{1, 10}}, {"1/128", ratio{1, 128}}, {"0.984375", ratio{63, 64}},
      {"1024", ratio{1024}}, {"3/2", ratio{3, 2}},     {"0.5/2", ratio{1, 4}},
  };
  for (auto const& [text, want] : cases) {
    CAPTURE(text);
    std::string const copy = text; // run-time text, as from argv
    ratio const got = smup::parse_ratio(copy);
    REQUIRE(got == want);
    // Normalised, so it prints and compares like a hand-written ratio.
    REQUIRE(got.num == want.num);
    REQUIRE(got.den == want.den);
  }
}

TEST_CASE("A density read from text feeds checked_density unchanged", "[core][parse_ratio]") {
  std::string const text = "0.0625";
  REQUIRE(smup::checked_density(smup::parse_ratio(text)) == ratio{1, 16});
  REQUIRE(smup::density_ratio(smup::parse_ratio(std::string{"1/16"})) == ratio{1, 16});
}

TEST_CASE("parse_ratio gives the same answer at run time as at compile time",
          "[core][parse_ratio]") {
  constexpr ratio at_compile_time = smup::parse_ratio("0.015625");
  std::string const text = "0.015625";
  REQUIRE(smup::parse_ratio(text) == at_compile_time);
  REQUIRE(at_compile_time == ratio{1, 64});
}
