#include "daemon/day_chart.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>

namespace hemd {

namespace {

constexpr double width = 1000, left = 60, right = 60, top_panel_y = 50, top_panel_h = 300, gap = 50,
                 bottom_panel_h = 140;
constexpr double plot_w = width - left - right;
const char* car_colours[] = {"#2a9d8f", "#e76f51", "#264653", "#8ab17d", "#9b5de5", "#f15bb5"};

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '&')
      out += "&amp;";
    else if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else
      out += c;
  }
  return out;
}

// A round step for an axis from 0 to `top` with about five ticks.
double tick_step(double top) {
  const double raw = top / 5, p = std::pow(10, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (raw <= m * p) return m * p;
  return 10 * p;
}

}  // namespace

std::string day_chart_svg(const Scenario& sc, const SimulationResult& r) {
  const double hours = static_cast<double>(sc.quarters.size()) / 4;
  const double bottom_y = top_panel_y + top_panel_h + gap;
  const double total_h = bottom_y + bottom_panel_h + 60;
  double kw_top = 1, price_lo = 0, price_hi = 0.1;
  for (const auto& s : r.samples) {
    kw_top = std::max({kw_top, s.pv_w / 1000, s.house_w / 1000, std::abs(s.grid_w) / 1000});
    for (double w : s.cars_w) kw_top = std::max(kw_top, w / 1000);
    price_lo = std::min(price_lo, s.import_dkk_per_kwh);
    price_hi = std::max(price_hi, s.import_dkk_per_kwh);
  }
  const double kw_step = tick_step(kw_top), price_step = tick_step(price_hi - price_lo);
  kw_top = std::ceil(kw_top / kw_step) * kw_step;
  price_hi = price_lo + std::ceil((price_hi - price_lo) / price_step) * price_step;
  const double amp_top = std::ceil(sc.main_fuse_a * 1.2 / 5) * 5;
  auto x = [&](double h) { return left + plot_w * h / hours; };
  auto y_kw = [&](double kw) { return top_panel_y + top_panel_h * (1 - kw / kw_top); };
  auto y_price = [&](double p) {
    return top_panel_y + top_panel_h * (1 - (p - price_lo) / (price_hi - price_lo));
  };
  auto y_amp = [&](double a) {
    return bottom_y + bottom_panel_h * (1 - std::clamp(a, 0.0, amp_top) / amp_top);
  };

  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"{2}\" y=\"24\" font-size=\"16\">{3}: {4}</text>\n",
      width, total_h, left, escape(sc.name), escape(r.strategy));
  auto line = [&](double x1, double y1, double x2, double y2, const std::string& style) {
    svg += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" {}/>\n", x1, y1, x2, y2,
                       style);
  };
  auto text = [&](double tx, double ty, const std::string& anchor, const std::string& s) {
    svg += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"{}\">{}</text>\n", tx, ty, anchor,
                       escape(s));
  };
  // Axes and grid.
  for (double kw = 0; kw <= kw_top + 1e-9; kw += kw_step) {
    line(left, y_kw(kw), width - right, y_kw(kw), "stroke=\"#eee\"");
    text(left - 6, y_kw(kw) + 4, "end", fmt::format("{:g}", kw));
  }
  for (double p = price_lo; p <= price_hi + 1e-9; p += price_step)
    text(width - right + 6, y_price(p) + 4, "start", fmt::format("{:.2f}", p));
  for (double a = 0; a <= amp_top + 1e-9; a += tick_step(amp_top)) {
    line(left, y_amp(a), width - right, y_amp(a), "stroke=\"#eee\"");
    text(left - 6, y_amp(a) + 4, "end", fmt::format("{:g}", a));
  }
  const double hour_step = hours > 30 ? 6 : 3;
  for (double h = 0; h <= hours + 1e-9; h += hour_step) {
    line(x(h), top_panel_y, x(h), top_panel_y + top_panel_h, "stroke=\"#eee\"");
    line(x(h), bottom_y, x(h), bottom_y + bottom_panel_h, "stroke=\"#eee\"");
    text(x(h), bottom_y + bottom_panel_h + 16, "middle", fmt::format("{:02.0f}:00", std::fmod(h, 24)));
  }
  text(left - 40, top_panel_y - 10, "start", "kW");
  text(width - right + 6, top_panel_y - 10, "start", "DKK/kWh");
  text(left - 40, bottom_y - 10, "start", "A on the most loaded phase");
  auto polyline = [&](const std::function<double(const SimulationSample&)>& y, const std::string& style) {
    std::string points;
    for (const auto& s : r.samples) points += fmt::format("{:.1f},{:.1f} ", x(s.hours), y(s));
    svg += fmt::format("<polyline fill=\"none\" {} points=\"{}\"/>\n", style, points);
  };
  polyline([&](const SimulationSample& s) { return y_price(s.import_dkk_per_kwh); },
           "stroke=\"#b388eb\" stroke-width=\"1.5\"");
  polyline([&](const SimulationSample& s) { return y_kw(s.pv_w / 1000); },
           "stroke=\"#f4a261\" stroke-width=\"2\"");
  polyline([&](const SimulationSample& s) { return y_kw(s.house_w / 1000); },
           "stroke=\"#999\" stroke-width=\"1.5\"");
  for (std::size_t i = 0; i < sc.cars.size(); ++i)
    polyline([&](const SimulationSample& s) { return y_kw(s.cars_w[i] / 1000); },
             fmt::format("stroke=\"{}\" stroke-width=\"2\"", car_colours[i % 6]));
  polyline([&](const SimulationSample& s) { return y_amp(s.highest_phase_a); },
           "stroke=\"#457b9d\" stroke-width=\"1.5\"");
  line(left, y_amp(sc.main_fuse_a), width - right, y_amp(sc.main_fuse_a),
       "stroke=\"#d62828\" stroke-dasharray=\"6 4\" stroke-width=\"1.5\"");
  text(width - right - 4, y_amp(sc.main_fuse_a) - 4, "end", fmt::format("main fuse {:g} A", sc.main_fuse_a));
  // Legend.
  std::vector<std::pair<std::string, std::string>> legend = {
      {"PV", "#f4a261"}, {"house", "#999"}, {"import price", "#b388eb"}};
  for (std::size_t i = 0; i < sc.cars.size(); ++i) legend.push_back({sc.cars[i].id, car_colours[i % 6]});
  double lx = left;
  const double ly = total_h - 16;
  for (const auto& [name, colour] : legend) {
    line(lx, ly - 4, lx + 18, ly - 4, fmt::format("stroke=\"{}\" stroke-width=\"3\"", colour));
    text(lx + 22, ly, "start", name);
    lx += 34 + 7.0 * static_cast<double>(name.size());
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace hemd
