// One Kokkos lifetime around the whole Catch2 session: Kokkos may be initialised once
// per process, so no test can own it.
#include <Kokkos_Core.hpp>

#define CATCH_CONFIG_RUNNER
#include "catch.hpp"

#include <string_view>

namespace {

// Listing tests (CTest discovery does it at build time) needs no Kokkos, and skipping
// it keeps the build quiet and fast.
bool only_lists(int argc, char* argv[]) {
  for (int i = 1; i < argc; ++i) {
    std::string_view const arg = argv[i];
    if (arg.starts_with("--list") || arg == "-l" || arg == "-t" || arg == "-h" || arg == "-?" ||
        arg == "--help") {
      return true;
    }
  }
  return false;
}

} // namespace

int main(int argc, char* argv[]) {
  if (only_lists(argc, argv)) {
    return Catch::Session().run(argc, argv);
  }
  // Kokkos takes its --kokkos-* arguments out of argv before Catch2 parses the rest.
  Kokkos::ScopeGuard kokkos(argc, argv);
  return Catch::Session().run(argc, argv);
}
