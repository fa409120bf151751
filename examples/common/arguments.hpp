#pragma once
// The examples' command lines: the arguments a parser sees, options with a value read with
// an error that names the option when the value is missing or malformed, and what a parser
// returns. Free of Kokkos, so that tests and fuzzers can run every example's parser.
#include <charconv>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace smup_example {

/// Whether `arg` is one of Kokkos's own options (--kokkos-threads=4, --kokkos-help...):
/// those go to Kokkos::initialize, never to an example's parser.
inline bool is_kokkos_option(std::string_view arg) { return arg.starts_with("--kokkos-"); }

class Arguments {
public:
  /// The arguments after the program's name, without Kokkos's own.
  Arguments(int argc, char const* const* argv) {
    for (int i = 1; i < argc; ++i)
      if (!is_kokkos_option(argv[i])) args_.emplace_back(argv[i]);
  }
  explicit Arguments(std::vector<std::string> args) : args_(std::move(args)) {}

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

/// Whether args[i] asks for the usage text.
inline bool asks_for_help(std::string const& arg) { return arg == "--help" || arg == "-h"; }

/// What a command line asks for: a run with `settings`, or the usage text (--help, -h).
/// A parser prints nothing and never exits; a bad command line is an exception whose
/// message names the option.
template <class Settings> struct Parsed {
  Settings settings{};
  bool help = false;
};

/// Thrown when a run stops early on purpose (--stop-after-steps) with its checkpoints in
/// place: not a failure, but not finished either.
class StoppedEarly : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

} // namespace smup_example
