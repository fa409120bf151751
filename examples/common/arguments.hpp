#pragma once
// The examples' command lines: options with a value, read with an error that names the
// option when the value is missing or malformed, and the frame every example's main runs in.
#include <charconv>
#include <cstddef>
#include <exception>
#include <iostream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include <Kokkos_Core.hpp>

namespace smup_example {

class Arguments {
public:
  Arguments(int argc, char** argv) : args_(argv + 1, argv + argc) {}

  [[nodiscard]] std::size_t size() const { return args_.size(); }
  [[nodiscard]] std::string const& operator[](std::size_t i) const { return args_[i]; }

  /// The value after option i; advances i past it.
  std::string text(std::size_t& i) const {
    if (i + 1 >= args_.size() || args_[i + 1].empty())
      throw std::invalid_argument(args_[i] + " needs a value");
    return args_[++i];
  }

  /// The positive integer after option i; advances i past it.
  int positive(std::size_t& i) const {
    std::string const name = args_[i], value = text(i);
    int v = 0;
    auto const [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (ec != std::errc{} || end != value.data() + value.size() || v < 1)
      throw std::invalid_argument(name + " needs a positive integer (got '" + value + "')");
    return v;
  }

private:
  std::vector<std::string> args_;
};

/// Thrown when a run stops early on purpose (--stop-after-steps) with its checkpoints in
/// place: not a failure, but not finished either.
class StoppedEarly : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// Kokkos for the program's lifetime, then `parse(argc, argv)` (on error: the message
/// and `usage`, exit status 2), then `body(settings)` (on error: the message, status 1;
/// stopped early on purpose: the message, status 3).
template <class Parse, class Body>
int run_example(int argc, char** argv, char const* usage, Parse parse, Body body) {
  Kokkos::ScopeGuard kokkos(argc, argv);
  decltype(parse(argc, argv)) settings;
  try {
    settings = parse(argc, argv);
  } catch (std::exception const& e) {
    std::cerr << "error: " << e.what() << "\n" << usage;
    return 2;
  }
  try {
    body(settings);
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
