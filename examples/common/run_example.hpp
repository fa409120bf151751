#pragma once
// The frame every example's main runs in: the command line first, then Kokkos, then the
// work. A command line that asks for the usage or is wrong is answered before Kokkos
// starts, so neither its help nor its start-up messages get in the way.
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include <Kokkos_Core.hpp>

#include "arguments.hpp"

namespace smup_example {

/// Kokkos's OpenMP backend warns at start-up whenever OMP_PROC_BIND is unset (Kokkos 3.4
/// and 4.x test that variable alone). Unset, and with no OMP_PLACES or vendor affinity
/// variable, the OpenMP runtime leaves threads unbound, which is what these examples want
/// on a machine shared with other work; saying so explicitly changes nothing but the
/// warning. A user's own binding settings are left alone, and so is the warning then.
inline void state_unbound_openmp_threads() {
  for (char const* name : {"OMP_PROC_BIND", "OMP_PLACES", "GOMP_CPU_AFFINITY", "KMP_AFFINITY"})
    if (std::getenv(name)) return;
  ::setenv("OMP_PROC_BIND", "false", /*overwrite=*/0);
}

/// Runs an example: `parse(Arguments)` on the command line without Kokkos's own options
/// (--help: `usage` on standard output, status 0; an error: the message and `usage` on
/// standard error, status 2), then Kokkos with its own options (--kokkos-help: its help,
/// status 0), then `body(settings)` (on error: the message, status 1; stopped early on
/// purpose: the message, status 3).
template <class Parse, class Body>
int run_example(int argc, char** argv, char const* usage, Parse parse, Body body) {
  std::vector<char*> kokkos_argv{argv[0]};
  bool kokkos_help = false;
  for (int i = 1; i < argc; ++i)
    if (is_kokkos_option(argv[i])) {
      kokkos_argv.push_back(argv[i]);
      kokkos_help = kokkos_help || std::string_view(argv[i]) == "--kokkos-help";
    }
  int kokkos_argc = static_cast<int>(kokkos_argv.size());
  kokkos_argv.push_back(nullptr);
  state_unbound_openmp_threads();
  if (kokkos_help) {
    Kokkos::ScopeGuard kokkos(kokkos_argc, kokkos_argv.data()); // prints Kokkos's help
    return 0;
  }

  decltype(parse(Arguments(argc, argv))) parsed;
  try {
    parsed = parse(Arguments(argc, argv));
  } catch (std::exception const& e) {
    std::cerr << "error: " << e.what() << "\n" << usage;
    return 2;
  }
  if (parsed.help) {
    std::cout << usage
              << "  Kokkos's own options (threads, devices, tools) are listed by --kokkos-help.\n";
    return 0;
  }

  Kokkos::ScopeGuard kokkos(kokkos_argc, kokkos_argv.data());
  try {
    body(parsed.settings);
  } catch (StoppedEarly const& e) {
    std::cerr << e.what() << "\n";
    return 3;
  } catch (std::exception const& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

} // namespace smup_example
