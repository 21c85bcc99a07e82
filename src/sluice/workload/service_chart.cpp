/// service_csv and service_svg: each tenant's service over time, as a table
/// and as a hand-written SVG line chart (no plotting dependency).
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>

#include "sluice/workload/report.h"

namespace sluice::workload {
namespace {

// Chart geometry, in SVG user units.
constexpr double kWidth = 900, kHeight = 480;
constexpr double kLeft = 80, kRight = 190, kTop = 48, kBottom = 56;
constexpr double kPlotW = kWidth - kLeft - kRight, kPlotH = kHeight - kTop - kBottom;

/// Tableau 10: distinguishable, also for most colour-blind readers.
constexpr std::array<std::string_view, 10> kColours = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                                       "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
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

/// A "nice" tick step (1, 2 or 5 × 10^k) giving about `ticks` intervals over [0, max].
double tick_step(double max, int ticks) {
  if (!(max > 0)) return 1;
  const double raw = max / ticks;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (raw <= m * magnitude) return m * magnitude;
  }
  return 10 * magnitude;
}

/// 1500 → "1.5k", 2000000 → "2M".
std::string short_number(double v) {
  const double a = std::abs(v);
  if (a >= 1e9) return fmt::format("{:g}G", v / 1e9);
  if (a >= 1e6) return fmt::format("{:g}M", v / 1e6);
  if (a >= 1e3) return fmt::format("{:g}k", v / 1e3);
  return fmt::format("{:g}", v);
}

}  // namespace

std::string service_csv(const RunRecorder& recorder) {
  std::string out = "time_s,tenant,service,cumulative_service,backlogged\n";
  std::vector<double> cumulative(recorder.tenants(), 0.0);
  for (std::size_t b = 0; b < recorder.buckets(); ++b) {
    for (std::uint32_t t = 0; t < recorder.tenants(); ++t) {
      const double service = recorder.service(t, b);
      cumulative[t] += service;
      // Names are gateway tenant ids ([a-z0-9_-]); quote anything else anyway.
      std::string name = recorder.name(t);
      if (name.find_first_of(",\"\n") != std::string::npos) {
        std::string quoted = "\"";
        for (char c : name) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
        name = quoted + "\"";
      }
      out += fmt::format("{:g},{},{:g},{:g},{}\n", recorder.bucket_end_s(b), name, service, cumulative[t],
                         recorder.backlogged(t, b) ? 1 : 0);
    }
  }
  return out;
}

std::string service_svg(const RunRecorder& recorder, std::string_view title) {
  const std::size_t n = recorder.tenants();
  // Cumulative service / weight at each bucket end, per tenant.
  std::vector<std::vector<double>> series(n);
  double y_max = 0;
  for (std::uint32_t t = 0; t < n; ++t) {
    double sum = 0;
    series[t].reserve(recorder.buckets());
    for (std::size_t b = 0; b < recorder.buckets(); ++b) {
      sum += recorder.service(t, b);
      series[t].push_back(sum / recorder.weight(t));
    }
    y_max = std::max(y_max, sum / recorder.weight(t));
  }
  const double x_max = recorder.duration_s() > 0 ? recorder.duration_s() : 1;
  const double y_step = tick_step(y_max, 6);
  const double y_top = y_max > 0 ? std::ceil(y_max / y_step) * y_step : 1;
  const double x_step = tick_step(x_max, 10);
  const auto x_of = [&](double s) { return kLeft + s / x_max * kPlotW; };
  const auto y_of = [&](double v) { return kTop + kPlotH - v / y_top * kPlotH; };

  std::string out = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0:g}\" height=\"{1:g}\" viewBox=\"0 0 {0:g} {1:g}\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"{2:g}\" y=\"26\" font-size=\"16\" font-weight=\"bold\">{3}</text>\n",
      kWidth, kHeight, kLeft, xml_escape(title));

  // Warm-up, shaded: excluded from the report's figures.
  if (recorder.warmup_s() > 0) {
    out += fmt::format(
        "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"#eeeeee\"/>\n"
        "<text x=\"{:.1f}\" y=\"{:.1f}\" fill=\"#888888\">warm-up</text>\n",
        kLeft, kTop, x_of(recorder.warmup_s()) - kLeft, kPlotH, kLeft + 4, kTop + 14);
  }

  // Grid and ticks.
  out += "<g stroke=\"#dddddd\" stroke-width=\"1\">\n";
  for (double v = y_step; v <= y_top + y_step / 2; v += y_step) {
    out += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\"/>\n", kLeft, y_of(v),
                       kLeft + kPlotW, y_of(v));
  }
  out += "</g>\n<g fill=\"#333333\">\n";
  for (double v = 0; v <= y_top + y_step / 2; v += y_step) {
    out += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n", kLeft - 6, y_of(v) + 4,
                       short_number(v));
  }
  for (double s = 0; s <= x_max + x_step / 2; s += x_step) {
    out += fmt::format(
        "<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"#333333\"/>"
        "<text x=\"{0:.1f}\" y=\"{3:.1f}\" text-anchor=\"middle\">{4:g}</text>\n",
        x_of(s), kTop + kPlotH, kTop + kPlotH + 5, kTop + kPlotH + 19, s);
  }
  out += "</g>\n";

  // Axes and their labels.
  out += fmt::format(
      "<path d=\"M{0:.1f},{1:.1f} V{2:.1f} H{3:.1f}\" fill=\"none\" stroke=\"#333333\"/>\n"
      "<text x=\"{4:.1f}\" y=\"{5:.1f}\" text-anchor=\"middle\">time (s)</text>\n"
      "<text transform=\"translate(18,{6:.1f}) rotate(-90)\" text-anchor=\"middle\">"
      "cumulative service / weight (tokens)</text>\n",
      kLeft, kTop, kTop + kPlotH, kLeft + kPlotW, kLeft + kPlotW / 2, kHeight - 14, kTop + kPlotH / 2);

  // One line per tenant, from (0, 0) through every bucket end.
  for (std::uint32_t t = 0; t < n; ++t) {
    std::string points = fmt::format("{:.1f},{:.1f}", x_of(0), y_of(0));
    for (std::size_t b = 0; b < series[t].size(); ++b) {
      points += fmt::format(" {:.1f},{:.1f}", x_of(recorder.bucket_end_s(b)), y_of(series[t][b]));
    }
    out += fmt::format(
        "<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"2\" points=\"{}\"><title>{}</title></polyline>\n",
        kColours[t % kColours.size()], points, xml_escape(recorder.name(t)));
  }

  // Legend: a swatch and "name (weight w)" per tenant.
  const double legend_x = kLeft + kPlotW + 16;
  for (std::uint32_t t = 0; t < n; ++t) {
    const double y = kTop + 8 + 18.0 * t;
    out += fmt::format(
        "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"18\" height=\"4\" fill=\"{}\"/>"
        "<text x=\"{:.1f}\" y=\"{:.1f}\">{} (weight {:g})</text>\n",
        legend_x, y - 4, kColours[t % kColours.size()], legend_x + 24, y + 2, xml_escape(recorder.name(t)),
        recorder.weight(t));
  }
  out += "</svg>\n";
  return out;
}

}  // namespace sluice::workload
