// SMUP_EXPECT_ERROR: smup::ratio: 64-bit overflow in exact rational arithmetic
#include <cstdint>
#include <limits>

#include <smup/core/ratio.hpp>

constexpr smup::ratio broken =
    smup::ratio{std::numeric_limits<std::int64_t>::max()} * smup::ratio{2};
