// SVG line plots: well-formed standalone documents, one polyline per unbroken stretch of a
// series, power-of-two and power-of-ten tick labels, undrawable points skipped.
#include "catch.hpp"

#include <smup/core/error.hpp>
#include <smup/diagnostics/svg_plot.hpp>

#include <cctype>
#include <cmath>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

std::size_t count(std::string const& text, std::string const& part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

bool contains(std::string const& text, std::string const& part) {
  return text.find(part) != std::string::npos;
}

/// A strict enough XML check for generated SVG: balanced elements, quoted attributes,
/// known entities only, a single root. Returns "" when well formed, else what is wrong.
std::string xml_problem(std::string const& xml) {
  std::vector<std::string> open;
  std::size_t roots = 0;
  std::size_t i = 0;
  auto is_name_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == ':' ||
           c == '.';
  };
  while (i < xml.size()) {
    if (xml[i] == '&') {
      auto const end = xml.find(';', i);
      if (end == std::string::npos) return "unterminated entity";
      static std::set<std::string> const known{"amp", "lt", "gt", "quot", "apos"};
      if (!known.count(xml.substr(i + 1, end - i - 1))) return "unknown entity";
      i = end + 1;
      continue;
    }
    if (xml[i] != '<') {
      if (open.empty() && !std::isspace(static_cast<unsigned char>(xml[i])))
        return "text outside the root";
      ++i;
      continue;
    }
    if (xml.compare(i, 2, "<?") == 0) {
      auto const end = xml.find("?>", i);
      if (end == std::string::npos) return "unterminated declaration";
      i = end + 2;
      continue;
    }
    if (xml.compare(i, 2, "</") == 0) {
      auto const end = xml.find('>', i);
      if (end == std::string::npos) return "unterminated end tag";
      auto const name = xml.substr(i + 2, end - i - 2);
      if (open.empty() || open.back() != name) return "mismatched </" + name + ">";
      open.pop_back();
      i = end + 1;
      continue;
    }
    std::size_t j = i + 1;
    while (j < xml.size() && is_name_char(xml[j])) ++j;
    std::string const name = xml.substr(i + 1, j - i - 1);
    if (name.empty()) return "bad tag name";
    std::set<std::string> attributes;
    for (;;) {
      while (j < xml.size() && std::isspace(static_cast<unsigned char>(xml[j]))) ++j;
      if (j >= xml.size()) return "unterminated tag";
      if (xml[j] == '>' || xml.compare(j, 2, "/>") == 0) break;
      std::size_t k = j;
      while (k < xml.size() && is_name_char(xml[k])) ++k;
      std::string const attribute = xml.substr(j, k - j);
      if (attribute.empty() || !attributes.insert(attribute).second)
        return "bad or repeated attribute in <" + name + ">";
      if (xml.compare(k, 2, "=\"") != 0) return "unquoted attribute in <" + name + ">";
      auto const close = xml.find('"', k + 2);
      if (close == std::string::npos) return "unterminated attribute";
      auto const value = xml.substr(k + 2, close - k - 2);
      if (value.find('<') != std::string::npos) return "< in an attribute";
      j = close + 1;
    }
    if (open.empty()) ++roots;
    if (xml[j] == '>') {
      open.push_back(name);
      i = j + 1;
    } else {
      i = j + 2;
    }
  }
  if (!open.empty()) return "unclosed <" + open.back() + ">";
  if (roots != 1) return "not exactly one root element";
  return "";
}

/// The value of `attribute` in each element whose text contains `marker`.
std::vector<std::string> attribute_values(std::string const& svg, std::string const& marker,
                                          std::string const& attribute) {
  std::vector<std::string> out;
  for (auto at = svg.find(marker); at != std::string::npos; at = svg.find(marker, at + 1)) {
    auto const end = svg.find('>', at);
    auto const a = svg.find(attribute + "=\"", at);
    if (a == std::string::npos || a > end) continue;
    auto const begin = a + attribute.size() + 2;
    out.push_back(svg.substr(begin, svg.find('"', begin) - begin));
  }
  return out;
}

} // namespace

TEST_CASE("A figure is well-formed SVG with a polyline and markers for every series",
          "[diagnostics][svg]") {
  smup::SvgFigure fig{.title = "Coordinate check <ρ & d>"};
  auto& sp = fig.add_panel("SP", {"step"}, {"mean |x|"});
  sp.add("width 128", 1, 1.0).add("width 128", 2, 1.5).add("width 128", 3, 2.0);
  for (int s = 1; s <= 4; ++s) sp.add("width 256", s, 0.5 * s);
  auto& smup_panel = fig.add_panel("SμP", {"step"}, {"mean |x|"});
  smup_panel.add("width 256", 1, 1.0).add("width 256", 2, 1.1);
  smup_panel.highlight("width 256", 2, 1.1);

  std::string const svg = fig.to_svg();
  CHECK(xml_problem(svg) == "");
  CHECK(svg.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg "));
  CHECK(contains(svg, "xmlns=\"http://www.w3.org/2000/svg\""));
  CHECK(count(svg, "class=\"panel\"") == 2);
  CHECK(count(svg, "class=\"series-line\"") == 3);
  CHECK(count(svg, "class=\"marker\"") == 9);
  CHECK(count(svg, "class=\"highlight\"") == 1);
  CHECK(count(svg, "class=\"legend-text\"") == 2); // one legend for the figure
  CHECK(contains(svg, "Coordinate check &lt;ρ &amp; d&gt;"));
  CHECK(contains(svg, ">SμP</text>"));
  CHECK(contains(svg, ">mean |x|</text>"));
}

TEST_CASE("A series keeps its colour in every panel and different series differ",
          "[diagnostics][svg]") {
  smup::SvgFigure fig;
  for (auto const* panel_name : {"SP", "muP", "SmuP"}) {
    auto& p = fig.add_panel(panel_name, {"lr", smup::AxisScale::log2}, {"loss"});
    for (auto const* density : {"1", "1/4", "1/16"})
      p.add(density, 0x1p-10, 1.0).add(density, 0x1p-9, 0.9);
  }
  std::string const svg = fig.to_svg();
  for (auto const* density : {"1", "1/4", "1/16"}) {
    auto const colours = attribute_values(
        svg, "<polyline class=\"series-line\" data-series=\"" + std::string(density) + "\"",
        "stroke");
    REQUIRE(colours.size() == 3);
    CHECK(std::set<std::string>(colours.begin(), colours.end()).size() == 1);
  }
  auto const all = attribute_values(svg, "<polyline", "stroke");
  CHECK(std::set<std::string>(all.begin(), all.end()).size() == 3);
}

TEST_CASE("Log axes label their ticks as powers of two and of ten", "[diagnostics][svg]") {
  smup::SvgFigure fig;
  auto& p = fig.add_panel("transfer", {"learning rate", smup::AxisScale::log2},
                          {"mean |x|", smup::AxisScale::log10});
  for (int e = -12; e <= -6; ++e)
    p.add("curve", std::ldexp(1.0, e), std::pow(10.0, (e + 10) / 2.0));
  std::string const svg = fig.to_svg();
  CHECK(xml_problem(svg) == "");
  auto power = [](char const* base, int e) {
    return std::string(">") + base + "<tspan dy=\"-0.45em\" font-size=\"75%\">" +
           std::to_string(e) + "</tspan></text>";
  };
  for (int e = -12; e <= -6; ++e) CHECK(contains(svg, power("2", e)));
  CHECK_FALSE(contains(svg, power("2", -13)));
  CHECK_FALSE(contains(svg, power("2", -5)));
  for (int e = -1; e <= 2; ++e) CHECK(contains(svg, power("10", e))); // 10^-1 ... 10^2
  CHECK_FALSE(contains(svg, power("10", 3)));
}

TEST_CASE("Panels can share one x or y range so their curves compare", "[diagnostics][svg]") {
  auto power = [](int e) {
    return ">10<tspan dy=\"-0.45em\" font-size=\"75%\">" + std::to_string(e) + "</tspan>";
  };
  smup::SvgFigure fig{.share_x = true, .share_y = true};
  fig.add_panel("SP", {"width", smup::AxisScale::log2}, {"mean |x|", smup::AxisScale::log10})
      .add("step 1", 128, 2.0)
      .add("step 1", 256, 8.0);
  fig.add_panel("SμP", {"width", smup::AxisScale::log2}, {"mean |x|", smup::AxisScale::log10})
      .add("step 1", 512, 0.05)
      .add("step 1", 1024, 0.05);
  auto two = [](int e) {
    return ">2<tspan dy=\"-0.45em\" font-size=\"75%\">" + std::to_string(e) + "</tspan>";
  };
  std::string const svg = fig.to_svg();
  for (int e = -2; e <= 1; ++e) CHECK(count(svg, power(e)) == 2);
  for (int e = 7; e <= 10; ++e) CHECK(count(svg, two(e)) == 2);

  fig.share_x = false;
  fig.share_y = false;
  std::string const own = fig.to_svg();
  CHECK(count(own, power(-2)) == 1);
  CHECK(count(own, power(1)) == 1);
  CHECK(count(own, two(7)) == 1);
  CHECK(count(own, two(10)) == 1);

  fig.share_y = true;
  fig.add_panel("linear", {"width"}, {"mean |x|"}).add("step 1", 1, 1);
  CHECK_THROWS_AS(fig.to_svg(), smup::error);
}

TEST_CASE("A linear axis gets round tick labels", "[diagnostics][svg]") {
  smup::SvgFigure fig;
  fig.add_panel("p", {"step"}, {"loss"}).add("a", 0, 0.3).add("a", 10, 0.7);
  std::string const svg = fig.to_svg();
  for (auto const* label : {">0</text>", ">2</text>", ">10</text>", ">0.3</text>", ">0.7</text>"})
    CHECK(contains(svg, label));
  CHECK_FALSE(contains(svg, "0.30000"));
}

TEST_CASE("NaN, infinite and non-positive-on-log points are skipped and break the line",
          "[diagnostics][svg]") {
  double const nan = std::numeric_limits<double>::quiet_NaN();
  double const inf = std::numeric_limits<double>::infinity();
  smup::SvgFigure fig;
  auto& p = fig.add_panel("diverged run", {"lr", smup::AxisScale::log2}, {"loss"});
  // Drawable: 1 | 3 4 | 6 (gaps at 2 and 5): one polyline, four markers.
  p.add("SP", 1, 1.0).add("SP", 2, nan).add("SP", 4, 3.0).add("SP", 8, 4.0);
  p.add("SP", 16, inf).add("SP", 32, 6.0);
  // On a log x axis, 0 and negative LRs cannot be drawn either.
  p.add("SmuP", 0, 1.0).add("SmuP", -1, 1.0).add("SmuP", 2, 1.0).add("SmuP", 4, 1.5);
  p.highlight("SmuP", 8, nan); // skipped too
  std::string const svg = fig.to_svg();
  CHECK(xml_problem(svg) == "");
  CHECK(count(svg, "class=\"series-line\"") == 2);
  CHECK(count(svg, "class=\"marker\"") == 6);
  CHECK(count(svg, "class=\"highlight\"") == 0);
  CHECK_FALSE(contains(svg, "nan"));
  CHECK_FALSE(contains(svg, "inf"));
}

TEST_CASE("A figure is written whole to a file, and an empty one is an error",
          "[diagnostics][svg]") {
  auto const dir = fs::temp_directory_path() / "smup-svg-test-write";
  fs::remove_all(dir);
  smup::SvgFigure fig;
  fig.add_panel("empty panel", {"x", smup::AxisScale::log10}, {"y"}); // axes but no data
  fig.write(dir / "figure.svg");
  std::ifstream in(dir / "figure.svg", std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  CHECK(text.str() == fig.to_svg());
  CHECK(xml_problem(text.str()) == "");
  fs::remove_all(dir);

  smup::SvgFigure none;
  CHECK_THROWS_AS(none.to_svg(), smup::error);
  smup::SvgFigure tiny{.panel_width = 10};
  tiny.add_panel("p", {"x"});
  CHECK_THROWS_AS(tiny.to_svg(), smup::error);
}
