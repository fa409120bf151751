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

#include "../common/run_example.hpp"
#include "settings.hpp"

#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

using Options = smup_example::hp_table::Settings;

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
// half-written file where a good one was; every write is checked (a full disk names it).
void write_file(std::string const& path, Options const& o, std::vector<Column> const& cols) {
  std::ostringstream text;
  write(text, o, cols);
  smup::detail::write_file_atomically(path, text.str(), "example_00_hp_table");
}

} // namespace

int main(int argc, char** argv) {
  return smup_example::run_example(argc, argv, smup_example::hp_table::usage,
                                   smup_example::hp_table::parse, [](Options const& options) {
                                     std::vector<Column> const cols{
                                         column_for<smup::SP>(options),
                                         column_for<smup::MuP>(options),
                                         column_for<smup::SMuP>(options)};
                                     if (options.output.empty())
                                       write(std::cout, options, cols);
                                     else
                                       write_file(options.output, options, cols);
                                   });
}
