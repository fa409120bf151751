#pragma once
/// Line plots written as standalone SVG, with no dependencies: panels side by side, each
/// with named series drawn as polylines with markers, linear or log2/log10 axes.
///
///     smup::SvgFigure fig{.title = "LR transfer"};
///     auto& p = fig.add_panel("SμP", {"learning rate", smup::AxisScale::log2},
///                             {"validation loss"});
///     p.add("density 1/16", 0x1p-9, 0.41).add("density 1/16", 0x1p-8, 0.39);
///     p.highlight("density 1/16", 0x1p-8, 0.39);  // e.g. the optimum, a larger marker
///     fig.write("demo-results/transfer.svg");
///
/// A series keeps its colour in every panel (colours follow the order in which names first
/// appear), so one legend serves the figure. Points that cannot be drawn (NaN, infinite,
/// or not positive on a log axis) are skipped and break the line: a diverged run shows as
/// a gap, never as a spike. Points are joined in the order they were added.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <smup/core/error.hpp>
#include <smup/diagnostics/csv.hpp> // detail::write_file_atomically

namespace smup {

/// How an axis maps values: log axes label their ticks as powers (2^-12, 10^-2).
enum class AxisScale { linear, log2, log10 };

/// An axis label and scale, e.g. `{"learning rate", smup::AxisScale::log2}`.
struct PlotAxis {
  std::string label{};
  AxisScale scale = AxisScale::linear;
};

struct PlotPoint {
  double x = 0;
  double y = 0;
};

/// One named curve; `highlights` are drawn as larger filled markers on top of it.
///
///     smup::PlotSeries s{.name = "SP", .points = {{1, 2.0}, {2, 1.5}}, .highlights = {{2, 1.5}}};
struct PlotSeries {
  std::string name{};
  std::vector<PlotPoint> points{};
  std::vector<PlotPoint> highlights{};
};

/// One plot area with its own title and axes.
///
///     panel.add("width 256", step, mean_abs);   // creates the series on first use
struct PlotPanel {
  std::string title{};
  PlotAxis x{};
  PlotAxis y{};
  std::deque<PlotSeries> series{}; ///< a deque, so references to series stay valid

  /// The series called `name`, appended (empty) if the panel has none yet.
  PlotSeries& series_named(std::string_view name) {
    for (auto& s : series)
      if (s.name == name) return s;
    series.push_back({std::string(name), {}, {}});
    return series.back();
  }
  /// Appends a point to series `name`; returns the panel, so calls chain.
  PlotPanel& add(std::string_view name, double x_value, double y_value) {
    series_named(name).points.push_back({x_value, y_value});
    return *this;
  }
  /// Marks a point of series `name` with a larger filled marker (e.g. a curve's optimum).
  PlotPanel& highlight(std::string_view name, double x_value, double y_value) {
    series_named(name).highlights.push_back({x_value, y_value});
    return *this;
  }
};

namespace detail {

inline std::string svg_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
    case '&': out += "&amp;"; break;
    case '<': out += "&lt;"; break;
    case '>': out += "&gt;"; break;
    case '"': out += "&quot;"; break;
    case '\'': out += "&apos;"; break;
    default: out += c;
    }
  }
  return out;
}

inline std::string svg_number(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.2f", v);
  return buffer;
}

/// Value on the axis' own scale (the exponent for log axes); false when not drawable.
inline bool axis_coordinate(AxisScale scale, double v, double& out) {
  if (!std::isfinite(v)) return false;
  if (scale == AxisScale::linear) {
    out = v;
    return true;
  }
  if (v <= 0) return false;
  out = scale == AxisScale::log2 ? std::log2(v) : std::log10(v);
  return std::isfinite(out);
}

struct AxisRange {
  double lo = 0;
  double hi = 1;
};

struct Tick {
  double at = 0;     ///< on the axis' own scale
  std::string base;  ///< "2", "10", or the whole label on a linear axis
  std::string power; ///< the exponent, drawn raised; empty on a linear axis
};

/// The drawn range: log axes widen to whole powers so at least two ticks get labels;
/// both kinds keep a small margin so markers do not sit on the frame.
inline AxisRange axis_range(AxisScale scale, std::vector<double> const& values) {
  if (values.empty()) return {0, 1};
  auto [lo_it, hi_it] = std::minmax_element(values.begin(), values.end());
  double lo = *lo_it;
  double hi = *hi_it;
  if (scale != AxisScale::linear) {
    lo = std::floor(lo + 1e-9);
    hi = std::ceil(hi - 1e-9);
    if (hi <= lo) hi = lo + 1;
  } else if (hi <= lo) {
    double const d = lo != 0 ? 0.1 * std::abs(lo) : 1.0;
    lo -= d;
    hi += d;
  }
  double const pad = 0.04 * (hi - lo);
  return {lo - pad, hi + pad};
}

inline std::vector<Tick> axis_ticks(AxisScale scale, AxisRange r) {
  std::vector<Tick> ticks;
  if (scale != AxisScale::linear) {
    double const first = std::ceil(r.lo - 1e-9);
    double const last = std::floor(r.hi + 1e-9);
    // At most about eight labels, so that "2^-12" and its neighbours never overlap.
    double const step = std::max(1.0, std::ceil((last - first + 1) / 8));
    for (double e = first; e <= last + 1e-9; e += step)
      ticks.push_back(
          {e, scale == AxisScale::log2 ? "2" : "10", std::to_string(static_cast<long long>(e))});
    return ticks;
  }
  double const raw = (r.hi - r.lo) / 5;
  double const magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double const norm = raw / magnitude;
  double const step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * magnitude;
  for (double k = std::ceil(r.lo / step); k * step <= r.hi + 1e-9 * step; k += 1) {
    double v = k * step;
    if (std::abs(v) < 1e-9 * step) v = 0; // print 0, not 1.3e-17
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%g", v);
    ticks.push_back({v, buffer, ""});
  }
  return ticks;
}

/// Tableau's ten colours, told apart also by most colour-blind readers.
inline constexpr char const* plot_palette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
                                               "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                                               "#bcbd22", "#17becf"};
inline constexpr std::size_t plot_palette_size = sizeof plot_palette / sizeof plot_palette[0];

struct SeriesStyle {
  std::string colour;
  std::string dash; ///< empty for solid; past ten series, dashes keep curves apart
};

inline SeriesStyle series_style(std::size_t index) {
  static constexpr char const* dashes[] = {"", "6 3", "2 2", "8 3 2 3"};
  return {plot_palette[index % plot_palette_size],
          dashes[(index / plot_palette_size) % (sizeof dashes / sizeof dashes[0])]};
}

inline std::string tick_text(Tick const& t, std::string const& attributes) {
  std::string out = "<text " + attributes + ">" + svg_escape(t.base);
  if (!t.power.empty())
    out += "<tspan dy=\"-0.45em\" font-size=\"75%\">" + svg_escape(t.power) + "</tspan>";
  return out + "</text>\n";
}

} // namespace detail

/// A figure of panels side by side with one shared legend, written as SVG.
///
///     smup::SvgFigure fig{.title = "Coordinate check", .share_x = true, .share_y = true};
///     for (auto name : {"SP", "μP", "SμP"}) {
///       auto& p = fig.add_panel(name, {"step", smup::AxisScale::log2},
///                               {"mean |x|", smup::AxisScale::log10});
///       p.add("width 128", 1, 0.8);
///     }
///     fig.write("coord_check.svg");  // or std::string svg = fig.to_svg();
struct SvgFigure {
  std::string title{};
  std::deque<PlotPanel> panels{}; ///< a deque, so references from add_panel stay valid
  double panel_width = 400;
  double panel_height = 320;
  /// One x (or y) range for all panels, so curves compare across them (e.g. SP vs SμP in
  /// a coordinate check); needs the same scale on that axis in every panel.
  bool share_x = false;
  bool share_y = false;

  /// Appends a panel to the right of the others and returns it.
  PlotPanel& add_panel(std::string panel_title, PlotAxis x_axis, PlotAxis y_axis = {}) {
    panels.push_back({std::move(panel_title), std::move(x_axis), std::move(y_axis), {}});
    return panels.back();
  }

  /// The whole figure as a standalone SVG document.
  [[nodiscard]] std::string to_svg() const {
    using detail::svg_number;
    if (panels.empty())
      detail::fail("smup::SvgFigure: the figure has no panels. There is nothing to draw. "
                   "Call add_panel first.");
    if (!(panel_width >= 160 && panel_height >= 120))
      detail::fail("smup::SvgFigure: panel size " + svg_number(panel_width) + " x " +
                   svg_number(panel_height) +
                   " is too small. Axes, ticks and labels need room. Use at least 160 x 120.");

    // One colour per series name across all panels, in order of first appearance.
    std::vector<std::string> names;
    std::map<std::string, std::size_t, std::less<>> index_of;
    for (auto const& panel : panels)
      for (auto const& s : panel.series)
        if (index_of.emplace(s.name, names.size()).second) names.push_back(s.name);

    std::size_t longest = 0;
    for (auto const& n : names) longest = std::max(longest, n.size());
    double const legend_width = names.empty() ? 0 : 48 + 7.0 * static_cast<double>(longest);
    double const title_height = title.empty() ? 0 : 30;
    double const legend_height = 30 + 20.0 * static_cast<double>(names.size());
    double const width = static_cast<double>(panels.size()) * panel_width + legend_width;
    double const height = title_height + std::max(panel_height, legend_height);

    std::string svg = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                      "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"" +
                      svg_number(width) + "\" height=\"" + svg_number(height) +
                      "\" viewBox=\"0 0 " + svg_number(width) + " " + svg_number(height) +
                      "\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n";
    svg += "<rect x=\"0\" y=\"0\" width=\"" + svg_number(width) + "\" height=\"" +
           svg_number(height) + "\" fill=\"white\"/>\n";
    if (!title.empty())
      svg += "<text class=\"figure-title\" x=\"" + svg_number(width / 2) +
             "\" y=\"20\" text-anchor=\"middle\" font-size=\"16\" font-weight=\"bold\">" +
             detail::svg_escape(title) + "</text>\n";

    std::vector<double> all_xs, all_ys;
    for (auto const& panel : panels) {
      for (auto [shared, axis] : {std::pair{share_x, 'x'}, std::pair{share_y, 'y'}}) {
        auto const scale = axis == 'x' ? panel.x.scale : panel.y.scale;
        auto const first = axis == 'x' ? panels.front().x.scale : panels.front().y.scale;
        if (shared && scale != first)
          detail::fail(std::string("smup::SvgFigure: share_") + axis + " is set but panel '" +
                       panel.title + "' has another " + axis + " scale than panel '" +
                       panels.front().title +
                       "'. One range cannot serve two scales. Give every panel the same " + axis +
                       " scale, or leave share_" + axis + " false.");
      }
      drawable_values(panel, all_xs, all_ys);
    }
    std::optional<detail::AxisRange> shared_x, shared_y;
    if (share_x) shared_x = detail::axis_range(panels.front().x.scale, all_xs);
    if (share_y) shared_y = detail::axis_range(panels.front().y.scale, all_ys);
    for (std::size_t p = 0; p < panels.size(); ++p)
      svg += panel_svg(panels[p], static_cast<double>(p) * panel_width, title_height, index_of,
                       shared_x, shared_y);

    if (!names.empty()) {
      double const x0 = static_cast<double>(panels.size()) * panel_width + 8;
      svg += "<g class=\"legend\">\n";
      for (std::size_t i = 0; i < names.size(); ++i) {
        auto const style = detail::series_style(i);
        double const y = title_height + 40 + 20.0 * static_cast<double>(i);
        svg += "<line class=\"legend-line\" x1=\"" + svg_number(x0) + "\" y1=\"" + svg_number(y) +
               "\" x2=\"" + svg_number(x0 + 26) + "\" y2=\"" + svg_number(y) + "\" stroke=\"" +
               style.colour + "\" stroke-width=\"2\"" + dash_attr(style) + "/>\n";
        svg += "<circle class=\"legend-marker\" cx=\"" + svg_number(x0 + 13) + "\" cy=\"" +
               svg_number(y) + "\" r=\"3\" fill=\"" + style.colour + "\"/>\n";
        svg += "<text class=\"legend-text\" x=\"" + svg_number(x0 + 32) + "\" y=\"" +
               svg_number(y + 4) + "\">" + detail::svg_escape(names[i]) + "</text>\n";
      }
      svg += "</g>\n";
    }
    svg += "</svg>\n";
    return svg;
  }

  /// Writes the SVG to `path` via a temporary file and a rename, so a crash never leaves
  /// half a figure in place of a good one. Creates missing parent folders.
  void write(std::filesystem::path const& path) const {
    detail::write_file_atomically(path, to_svg(), "smup::SvgFigure");
  }

private:
  static std::string dash_attr(detail::SeriesStyle const& style) {
    return style.dash.empty() ? "" : " stroke-dasharray=\"" + style.dash + "\"";
  }

  /// The coordinates (on each axis' own scale) of every drawable point of `panel`.
  static void drawable_values(PlotPanel const& panel, std::vector<double>& xs,
                              std::vector<double>& ys) {
    for (auto const& s : panel.series)
      for (auto const* list : {&s.points, &s.highlights})
        for (auto const& pt : *list) {
          double u = 0, v = 0;
          if (detail::axis_coordinate(panel.x.scale, pt.x, u) &&
              detail::axis_coordinate(panel.y.scale, pt.y, v)) {
            xs.push_back(u);
            ys.push_back(v);
          }
        }
  }

  std::string panel_svg(PlotPanel const& panel, double x0, double y0,
                        std::map<std::string, std::size_t, std::less<>> const& index_of,
                        std::optional<detail::AxisRange> const& shared_x,
                        std::optional<detail::AxisRange> const& shared_y) const {
    using detail::svg_number;
    // Room for tick labels and axis labels on the left and below, the title above.
    double const left = x0 + 72, right = x0 + panel_width - 16;
    double const top = y0 + 34, bottom = y0 + panel_height - 48;

    std::vector<double> xs, ys;
    drawable_values(panel, xs, ys);
    auto const xr = shared_x ? *shared_x : detail::axis_range(panel.x.scale, xs);
    auto const yr = shared_y ? *shared_y : detail::axis_range(panel.y.scale, ys);
    auto px = [&](double u) { return left + (u - xr.lo) / (xr.hi - xr.lo) * (right - left); };
    auto py = [&](double v) { return bottom - (v - yr.lo) / (yr.hi - yr.lo) * (bottom - top); };

    std::string svg = "<g class=\"panel\">\n";
    svg += "<text class=\"panel-title\" x=\"" + svg_number((left + right) / 2) + "\" y=\"" +
           svg_number(y0 + 20) + "\" text-anchor=\"middle\" font-size=\"14\">" +
           detail::svg_escape(panel.title) + "</text>\n";
    for (auto const& t : detail::axis_ticks(panel.x.scale, xr)) {
      double const x = px(t.at);
      svg += "<line class=\"grid\" x1=\"" + svg_number(x) + "\" y1=\"" + svg_number(top) +
             "\" x2=\"" + svg_number(x) + "\" y2=\"" + svg_number(bottom) +
             "\" stroke=\"#e4e4e4\"/>\n";
      svg += detail::tick_text(t, "class=\"tick-label\" x=\"" + svg_number(x) + "\" y=\"" +
                                      svg_number(bottom + 18) + "\" text-anchor=\"middle\"");
    }
    for (auto const& t : detail::axis_ticks(panel.y.scale, yr)) {
      double const y = py(t.at);
      svg += "<line class=\"grid\" x1=\"" + svg_number(left) + "\" y1=\"" + svg_number(y) +
             "\" x2=\"" + svg_number(right) + "\" y2=\"" + svg_number(y) +
             "\" stroke=\"#e4e4e4\"/>\n";
      svg += detail::tick_text(t, "class=\"tick-label\" x=\"" + svg_number(left - 6) + "\" y=\"" +
                                      svg_number(y + 4) + "\" text-anchor=\"end\"");
    }
    svg += "<rect class=\"frame\" x=\"" + svg_number(left) + "\" y=\"" + svg_number(top) +
           "\" width=\"" + svg_number(right - left) + "\" height=\"" + svg_number(bottom - top) +
           "\" fill=\"none\" stroke=\"#333\"/>\n";
    svg += "<text class=\"axis-label\" x=\"" + svg_number((left + right) / 2) + "\" y=\"" +
           svg_number(bottom + 40) + "\" text-anchor=\"middle\">" +
           detail::svg_escape(panel.x.label) + "</text>\n";
    svg += "<text class=\"axis-label\" x=\"" + svg_number(x0 + 16) + "\" y=\"" +
           svg_number((top + bottom) / 2) + "\" text-anchor=\"middle\" transform=\"rotate(-90 " +
           svg_number(x0 + 16) + " " + svg_number((top + bottom) / 2) + ")\">" +
           detail::svg_escape(panel.y.label) + "</text>\n";

    for (auto const& s : panel.series) {
      auto const style = detail::series_style(index_of.find(s.name)->second);
      std::string const name = detail::svg_escape(s.name);
      std::string markers;
      std::string run; // the points of the current unbroken stretch of the line
      std::size_t run_points = 0;
      auto close_run = [&] {
        if (run_points >= 2)
          svg += "<polyline class=\"series-line\" data-series=\"" + name + "\" points=\"" + run +
                 "\" fill=\"none\" stroke=\"" + style.colour + "\" stroke-width=\"1.6\"" +
                 dash_attr(style) + "/>\n";
        run.clear();
        run_points = 0;
      };
      for (auto const& pt : s.points) {
        double u = 0, v = 0;
        if (!detail::axis_coordinate(panel.x.scale, pt.x, u) ||
            !detail::axis_coordinate(panel.y.scale, pt.y, v)) {
          close_run(); // an undrawable point breaks the line
          continue;
        }
        std::string const cx = svg_number(px(u)), cy = svg_number(py(v));
        run += (run_points ? " " : "") + cx + "," + cy;
        ++run_points;
        markers += "<circle class=\"marker\" data-series=\"" + name + "\" cx=\"" + cx + "\" cy=\"" +
                   cy + "\" r=\"2.8\" fill=\"" + style.colour + "\"/>\n";
      }
      close_run();
      svg += markers;
      for (auto const& pt : s.highlights) {
        double u = 0, v = 0;
        if (!detail::axis_coordinate(panel.x.scale, pt.x, u) ||
            !detail::axis_coordinate(panel.y.scale, pt.y, v))
          continue;
        svg += "<circle class=\"highlight\" data-series=\"" + name + "\" cx=\"" +
               svg_number(px(u)) + "\" cy=\"" + svg_number(py(v)) + "\" r=\"6\" fill=\"" +
               style.colour + "\" stroke=\"black\" stroke-width=\"1.2\"/>\n";
      }
    }
    return svg + "</g>\n";
  }
};

} // namespace smup
