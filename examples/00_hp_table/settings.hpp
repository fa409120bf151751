#pragma once
// example_00_hp_table's command line: the base and target shapes, the base
// hyper-parameters and how to write the table.
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

#include <smup/core/error.hpp>
#include <smup/core/parse_ratio.hpp>
#include <smup/core/ratio.hpp>
#include <smup/parameterization/hyperparams.hpp>
#include <smup/parameterization/shape.hpp>

#include "../common/arguments.hpp"

namespace smup_example::hp_table {

struct Settings {
  smup::BaseShape base{.width = 128, .density = smup::ratio{1}};
  smup::TargetShape target{.width = 1024, .density = smup::ratio{1, 16}, .hidden_layers = 4};
  smup::HyperParams hp{.sigma = 0.05, .eta = 0x1p-9};
  std::string format = "table";
  std::string output; // empty: standard output
};

inline constexpr char const* usage =
    "usage: example_00_hp_table [options]\n"
    "  Prints the per-layer init std, learning rates (Adam, SGD), weight decay, AdamW's\n"
    "  decay rate (per step it removes decay_rate * weight_decay of each weight) and\n"
    "  forward multiplier that SP, muP and SmuP derive from base hyper-parameters.\n"
    "  Every tensor has a row: the readout's bias (output_bias) has its own.\n"
    "options (defaults in brackets):\n"
    "  --base-width N         hidden width of the base model the HPs were tuned on [128]\n"
    "  --base-density R       density of the base model's hidden matrices [1]\n"
    "  --width N              hidden width of the target model [1024]\n"
    "  --density R            density of the target's hidden matrices, e.g. 1/16 [1/16]\n"
    "  --hidden-layers N      number of hidden width x width matrices [4]\n"
    "  --sigma X              base init std [0.05]\n"
    "  --eta X                base learning rate [0x1p-9 = 0.001953125]\n"
    "  --alpha-in X           input multiplier [1]\n"
    "  --alpha-out X          output multiplier [1]\n"
    "  --lr-mult-non-hidden X extra lr factor for input, readout, biases, norms [1]\n"
    "  --weight-decay X       weight decay of matrices [0]\n"
    "  --format F             table, csv or json [table]\n"
    "  --output FILE          write there instead of standard output\n"
    "  --help                 this text\n";

inline double parse_double(std::string_view flag, std::string const& text) {
  char* end = nullptr;
  errno = 0;
  double const value = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || errno == ERANGE)
    throw std::invalid_argument(std::string(flag) + " expects a number, got '" + text + "'");
  return value;
}

inline std::int64_t parse_int(std::string_view flag, std::string const& text) {
  char* end = nullptr;
  errno = 0;
  long long const value = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || end != text.c_str() + text.size() || errno == ERANGE || value < 1)
    throw std::invalid_argument(std::string(flag) + " expects a positive integer, got '" + text +
                                "'");
  return value;
}

inline smup::ratio parse_density(std::string_view flag, std::string const& text) {
  try {
    return smup::checked_density(smup::parse_ratio(text));
  } catch (smup::error const& e) {
    throw std::invalid_argument(std::string(flag) + " '" + text + "': " + e.what());
  }
}

inline Parsed<Settings> parse(Arguments const& args) {
  Parsed<Settings> parsed;
  Settings& o = parsed.settings;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string const flag = args[i];
    if (asks_for_help(flag)) return {.help = true};
    if (flag == "--base-width")
      o.base.width = parse_int(flag, args.text(i));
    else if (flag == "--base-density")
      o.base.density = parse_density(flag, args.text(i));
    else if (flag == "--width")
      o.target.width = parse_int(flag, args.text(i));
    else if (flag == "--density")
      o.target.density = parse_density(flag, args.text(i));
    else if (flag == "--hidden-layers") {
      auto const value = args.text(i);
      auto const n = parse_int(flag, value);
      if (n > 1000)
        throw std::invalid_argument("--hidden-layers expects at most 1000, got " + value);
      o.target.hidden_layers = static_cast<int>(n);
    } else if (flag == "--sigma")
      o.hp.sigma = parse_double(flag, args.text(i));
    else if (flag == "--eta")
      o.hp.eta = parse_double(flag, args.text(i));
    else if (flag == "--alpha-in")
      o.hp.alpha_in = parse_double(flag, args.text(i));
    else if (flag == "--alpha-out")
      o.hp.alpha_out = parse_double(flag, args.text(i));
    else if (flag == "--lr-mult-non-hidden")
      o.hp.lr_mult_non_hidden = parse_double(flag, args.text(i));
    else if (flag == "--weight-decay")
      o.hp.weight_decay = parse_double(flag, args.text(i));
    else if (flag == "--format") {
      auto const value = args.text(i);
      if (value != "table" && value != "csv" && value != "json")
        throw std::invalid_argument("--format expects table, csv or json, got '" + value + "'");
      o.format = value;
    } else if (flag == "--output")
      o.output = args.text(i);
    else
      throw std::invalid_argument("unknown option '" + flag + "'");
  }
  return parsed;
}

} // namespace smup_example::hp_table
