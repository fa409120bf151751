#pragma once
// Tests include "catch.hpp" and run on Catch2 2.13 (single header) or 3.x (library).
// The build defines SMUP_CATCH2_MAJOR from the Catch2 it found.

#if !defined(SMUP_CATCH2_MAJOR)
#if __has_include(<catch2/catch_all.hpp>)
#define SMUP_CATCH2_MAJOR 3
#else
#define SMUP_CATCH2_MAJOR 2
#endif
#endif

#if SMUP_CATCH2_MAJOR >= 3
#include <catch2/catch_all.hpp>
using Catch::Approx; // Catch2 2 declares it at global scope; keep tests portable.
#else
#include <catch2/catch.hpp>
#endif
