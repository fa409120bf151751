#pragma once
// The examples' command lines: options with a value, read with an error that names the
// option when the value is missing or malformed (each example prints its usage after it).
#include <charconv>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

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

} // namespace smup_example
