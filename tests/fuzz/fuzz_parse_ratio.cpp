// smup::parse_ratio (smup/core/parse_ratio.hpp) on arbitrary text: either smup::error, or
// a positive ratio in lowest terms, which the density check accepts or refuses with
// smup::error.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <smup/core/error.hpp>
#include <smup/core/parse_ratio.hpp>
#include <smup/core/ratio.hpp>

#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  std::string_view const text(reinterpret_cast<char const*>(data), size);
  smup::ratio r;
  try {
    r = smup::parse_ratio(text);
  } catch (smup::error const&) {
    return 0;
  }
  SMUP_FUZZ_CHECK(r.num > 0 && r.den > 0);
  SMUP_FUZZ_CHECK(smup::detail::gcd(r.num, r.den) == 1);
  SMUP_FUZZ_CHECK(r.to_double() > 0);
  SMUP_FUZZ_CHECK(smup::ratio{1} / r * r == smup::ratio{1});
  try {
    auto const density = smup::checked_density(r);
    SMUP_FUZZ_CHECK(density <= smup::ratio{1});
    SMUP_FUZZ_CHECK(smup::density_ratio(density) == density);
  } catch (smup::error const&) {
  }
  return 0;
}
