// 00_hp_table: the per-layer hyper-parameters that SP, muP and SmuP derive from
// base values tuned on a small model, side by side.
//
//   example_00_hp_table                                   # defaults, printed as a table
//   example_00_hp_table --width 2048 --density 1/32 --format csv --output table.csv
//   example_00_hp_table --help
//
// The base hyper-parameters (sigma, eta, multipliers) are what you tuned on the
// base model; the table is what each parameterization uses on the target model.

#include <smup/smup.hpp>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct Options {
  smup::BaseShape base{.width = 128, .density = smup::ratio{1}};
  smup::TargetShape target{.width = 1024, .density = smup::ratio{1, 16}, .hidden_layers = 4};
  smup::HyperParams hp{.sigma = 0.05, .eta = 0x1p-9};
  std::string format = "table";
  std::string output; // empty: standard output
};

constexpr std::string_view usage_text =
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

struct UsageError {
  std::string what;
};

double parse_double(std::string_view flag, std::string const& text) {
  char* end = nullptr;
  errno = 0;
  double const value = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || errno == ERANGE)
    throw UsageError{std::string(flag) + " expects a number, got '" + text + "'"};
  return value;
}

std::int64_t parse_int(std::string_view flag, std::string const& text) {
  char* end = nullptr;
  errno = 0;
  long long const value = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || end != text.c_str() + text.size() || errno == ERANGE || value < 1)
    throw UsageError{std::string(flag) + " expects a positive integer, got '" + text + "'"};
  return value;
}

smup::ratio parse_density(std::string_view flag, std::string const& text) {
  try {
    return smup::checked_density(smup::parse_ratio(text));
  } catch (smup::error const& e) {
    throw UsageError{std::string(flag) + " '" + text + "': " + e.what()};
  }
}

Options parse(int argc, char** argv) {
  Options o;
  std::vector<std::string> const args(argv + 1, argv + argc);
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string const& flag = args[i];
    if (flag == "--help" || flag == "-h") throw UsageError{};
    if (i + 1 >= args.size()) throw UsageError{"unknown option or missing value: '" + flag + "'"};
    std::string const& value = args[++i];
    if (flag == "--base-width")
      o.base.width = parse_int(flag, value);
    else if (flag == "--base-density")
      o.base.density = parse_density(flag, value);
    else if (flag == "--width")
      o.target.width = parse_int(flag, value);
    else if (flag == "--density")
      o.target.density = parse_density(flag, value);
    else if (flag == "--hidden-layers") {
      auto const n = parse_int(flag, value);
      if (n > 1000) throw UsageError{"--hidden-layers expects at most 1000, got " + value};
      o.target.hidden_layers = static_cast<int>(n);
    } else if (flag == "--sigma")
      o.hp.sigma = parse_double(flag, value);
    else if (flag == "--eta")
      o.hp.eta = parse_double(flag, value);
    else if (flag == "--alpha-in")
      o.hp.alpha_in = parse_double(flag, value);
    else if (flag == "--alpha-out")
      o.hp.alpha_out = parse_double(flag, value);
    else if (flag == "--lr-mult-non-hidden")
      o.hp.lr_mult_non_hidden = parse_double(flag, value);
    else if (flag == "--weight-decay")
      o.hp.weight_decay = parse_double(flag, value);
    else if (flag == "--format") {
      if (value != "table" && value != "csv" && value != "json")
        throw UsageError{"--format expects table, csv or json, got '" + value + "'"};
      o.format = value;
    } else if (flag == "--output")
      o.output = value;
    else
      throw UsageError{"unknown option '" + flag + "'"};
  }
  return o;
}

struct Column {
  std::string_view name;
  std::vector<smup::LayerHyperParams> rows;
};

std::string layer_name(smup::LayerHyperParams const& row, std::size_t index) {
  if (row.role == smup::Role::hidden) return "hidden." + std::to_string(index);
  return std::string(smup::to_string(row.role));
}

std::string to_text(smup::ratio r) {
  return r.den == 1 ? std::to_string(r.num) : std::to_string(r.num) + "/" + std::to_string(r.den);
}

struct Quantity {
  std::string_view name;
  double smup::LayerHyperParams::*field;
};
constexpr Quantity quantities[] = {{"init_std", &smup::LayerHyperParams::init_std},
                                   {"lr_adam", &smup::LayerHyperParams::lr_adam},
                                   {"lr_sgd", &smup::LayerHyperParams::lr_sgd},
                                   {"weight_decay", &smup::LayerHyperParams::weight_decay},
                                   {"decay_rate", &smup::LayerHyperParams::decay_rate},
                                   {"multiplier", &smup::LayerHyperParams::multiplier}};

void write_table(std::ostream& out, Options const& o, std::vector<Column> const& cols) {
  out << "base:   width " << o.base.width << ", density " << to_text(o.base.density)
      << "\ntarget: width " << o.target.width << ", density " << to_text(o.target.density) << ", "
      << o.target.hidden_layers
      << " hidden layers  (m_d = " << to_text(smup::width_ratio(o.target.width, o.base.width))
      << ", m_rho = " << to_text(smup::density_ratio(o.target.density, o.base.density)) << ")\n"
      << "base HPs: sigma " << o.hp.sigma << ", eta " << o.hp.eta << ", alpha_in " << o.hp.alpha_in
      << ", alpha_out " << o.hp.alpha_out << ", lr_mult_non_hidden " << o.hp.lr_mult_non_hidden
      << ", weight_decay " << o.hp.weight_decay << "\n\n";
  out << std::left << std::setw(11) << "layer" << std::setw(14) << "quantity";
  for (auto const& c : cols) out << std::right << std::setw(14) << c.name;
  out << "\n";
  std::size_t hidden_index = 0;
  for (std::size_t i = 0; i < cols.front().rows.size(); ++i) {
    auto const& first = cols.front().rows[i];
    if (first.role == smup::Role::hidden) ++hidden_index;
    std::string const name = layer_name(first, hidden_index);
    for (auto const& q : quantities) {
      out << std::left << std::setw(11) << (&q == &quantities[0] ? name : "") << std::setw(14)
          << q.name;
      for (auto const& c : cols)
        out << std::right << std::setw(14) << std::setprecision(6) << c.rows[i].*q.field;
      out << "\n";
    }
  }
}

void write_csv(std::ostream& out, std::vector<Column> const& cols) {
  out << "parameterization,layer,role,width_multiplier,density_multiplier";
  for (auto const& q : quantities) out << "," << q.name;
  out << "\n" << std::setprecision(17);
  for (auto const& c : cols) {
    std::size_t hidden_index = 0;
    for (auto const& row : c.rows) {
      if (row.role == smup::Role::hidden) ++hidden_index;
      out << c.name << "," << layer_name(row, hidden_index) << "," << smup::to_string(row.role)
          << "," << to_text(row.width_multiplier) << "," << to_text(row.density_multiplier);
      for (auto const& q : quantities) out << "," << row.*q.field;
      out << "\n";
    }
  }
}

void write_json(std::ostream& out, Options const& o, std::vector<Column> const& cols) {
  out << std::setprecision(17) << "{\n  \"base\": {\"width\": " << o.base.width
      << ", \"density\": \"" << to_text(o.base.density)
      << "\"},\n  \"target\": {\"width\": " << o.target.width << ", \"density\": \""
      << to_text(o.target.density) << "\", \"hidden_layers\": " << o.target.hidden_layers
      << "},\n  \"hyperparams\": {"
      << "\"sigma\": " << o.hp.sigma << ", \"eta\": " << o.hp.eta
      << ", \"alpha_in\": " << o.hp.alpha_in << ", \"alpha_out\": " << o.hp.alpha_out
      << ", \"lr_mult_non_hidden\": " << o.hp.lr_mult_non_hidden
      << ", \"weight_decay\": " << o.hp.weight_decay << "},\n  \"parameterizations\": {";
  for (std::size_t c = 0; c < cols.size(); ++c) {
    out << (c ? "," : "") << "\n    \"" << cols[c].name << "\": [";
    std::size_t hidden_index = 0;
    for (std::size_t i = 0; i < cols[c].rows.size(); ++i) {
      auto const& row = cols[c].rows[i];
      if (row.role == smup::Role::hidden) ++hidden_index;
      out << (i ? "," : "") << "\n      {\"layer\": \"" << layer_name(row, hidden_index)
          << "\", \"role\": \"" << smup::to_string(row.role) << "\"";
      for (auto const& q : quantities) out << ", \"" << q.name << "\": " << row.*q.field;
      out << "}";
    }
    out << "\n    ]";
  }
  out << "\n  }\n}\n";
}

template <class P> Column column_for(Options const& o) {
  return {P::name, smup::hp_table<P>(o.hp, o.base, o.target)};
}

void write(std::ostream& out, Options const& o, std::vector<Column> const& cols) {
  if (o.format == "csv")
    write_csv(out, cols);
  else if (o.format == "json")
    write_json(out, o, cols);
  else
    write_table(out, o, cols);
}

// Written beside the target and renamed over it, so a failed run never leaves a
// half-written file where a good one was.
void write_file(std::string const& path, Options const& o, std::vector<Column> const& cols) {
  std::string const partial = path + ".partial";
  {
    std::ofstream file(partial, std::ios::trunc);
    if (!file) throw std::runtime_error("cannot open '" + partial + "' for writing");
    write(file, o, cols);
    file.flush();
    if (!file) throw std::runtime_error("writing '" + partial + "' failed");
  }
  std::filesystem::rename(partial, path);
}

} // namespace

int main(int argc, char** argv) {
  Options options;
  try {
    options = parse(argc, argv);
  } catch (UsageError const& e) {
    bool const asked = e.what.empty();
    (asked ? std::cout : std::cerr) << (asked ? "" : "error: " + e.what + "\n") << usage_text;
    return asked ? 0 : 2;
  }
  try {
    std::vector<Column> const cols{column_for<smup::SP>(options), column_for<smup::MuP>(options),
                                   column_for<smup::SMuP>(options)};
    if (options.output.empty())
      write(std::cout, options, cols);
    else
      write_file(options.output, options, cols);
  } catch (std::exception const& e) {
    std::cerr << "error: " << e.what() << "\n" << usage_text;
    return 2;
  }
  return 0;
}
