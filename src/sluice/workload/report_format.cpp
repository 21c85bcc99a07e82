/// format_report and format_comparison: fixed-width tables for a terminal.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "sluice/workload/report.h"

namespace sluice::workload {
namespace {

enum class Align { kLeft, kRight };

/// Columns sized to their widest cell; a rule under the header and wherever
/// add_rule() puts one.
class TextTable {
 public:
  void column(std::string header, Align align) {
    headers_.push_back(std::move(header));
    aligns_.push_back(align);
  }
  void row(std::vector<std::string> cells) {
    cells.resize(headers_.size());
    rows_.push_back(std::move(cells));
  }
  void add_rule() { rows_.emplace_back(); }

  std::string render() const {
    std::vector<std::size_t> widths(headers_.size());
    for (std::size_t c = 0; c < headers_.size(); ++c) {
      widths[c] = headers_[c].size();
      for (const auto& r : rows_) {
        if (!r.empty()) widths[c] = std::max(widths[c], r[c].size());
      }
    }
    std::string out;
    const auto line = [&](const std::vector<std::string>& cells) {
      std::string text;
      for (std::size_t c = 0; c < cells.size(); ++c) {
        if (c > 0) text += "  ";
        text += aligns_[c] == Align::kLeft ? fmt::format("{:<{}}", cells[c], widths[c])
                                           : fmt::format("{:>{}}", cells[c], widths[c]);
      }
      while (!text.empty() && text.back() == ' ') text.pop_back();
      out += text + "\n";
    };
    const auto rule = [&] {
      const std::size_t total = std::accumulate(widths.begin(), widths.end(), std::size_t{0}) +
                                2 * (widths.empty() ? 0 : widths.size() - 1);
      out += std::string(total, '-') + "\n";
    };
    line(headers_);
    rule();
    for (const auto& r : rows_) {
      if (r.empty()) rule();
      else line(r);
    }
    return out;
  }

 private:
  std::vector<std::string> headers_;
  std::vector<Align> aligns_;
  std::vector<std::vector<std::string>> rows_;
};

std::string number(double v) {
  if (!std::isfinite(v)) return "-";
  const double a = std::abs(v);
  if (a >= 100 || v == 0) return fmt::format("{:.0f}", v);
  if (a >= 10) return fmt::format("{:.1f}", v);
  return fmt::format("{:.2f}", v);
}

std::string milliseconds(double seconds) { return std::isfinite(seconds) ? number(seconds * 1000) : "-"; }

std::string percent(double fraction) { return fmt::format("{:.1f}%", fraction * 100); }

std::string_view short_name(Outcome outcome) {
  switch (outcome) {
    case Outcome::kRateLimited: return "rate";
    case Outcome::kConcurrencyLimit: return "conc";
    case Outcome::kQueueFull: return "qfull";
    case Outcome::kQueueTimeout: return "qtime";
    default: return "other";
  }
}

/// "rate:12,qfull:3" (no spaces: one word per cell), or "-" when nothing was refused.
std::string refused_text(const std::map<Outcome, std::int64_t>& refused) {
  std::string out;
  for (const auto& [outcome, n] : refused) {
    if (n == 0) continue;
    if (!out.empty()) out += ',';
    out += fmt::format("{}:{}", short_name(outcome), n);
  }
  return out.empty() ? "-" : out;
}

std::int64_t refused_total(const std::map<Outcome, std::int64_t>& refused) {
  std::int64_t n = 0;
  for (const auto& entry : refused) n += entry.second;
  return n;
}

std::string jain_text(double jain) { return std::isfinite(jain) ? fmt::format("{:.3f}", jain) : "n/a"; }

std::string window_text(const RunReport& r) {
  return fmt::format("measured {:g}-{:g} s", r.warmup_s, r.duration_s);
}

}  // namespace

std::string format_report(const RunReport& report) {
  TextTable table;
  table.column("tenant", Align::kLeft);
  for (const char* header : {"weight", "sent", "ok", "refused", "errors", "tok/s", "service/s", "share",
                             "ttft p50 ms", "ttft p99 ms", "e2e p50 ms", "e2e p99 ms"}) {
    table.column(header, Align::kRight);
  }
  table.column("backlogged", Align::kLeft);

  std::int64_t sent = 0, ok = 0, errors = 0;
  std::map<Outcome, std::int64_t> refused;
  double share = 0;
  std::size_t backlogged = 0;
  for (const TenantReport& t : report.tenants) {
    table.row({t.name, fmt::format("{:g}", t.weight), fmt::format("{}", t.sent), fmt::format("{}", t.completed),
               refused_text(t.refused), fmt::format("{}", t.errors), number(t.tokens_per_s),
               number(t.service_per_s), percent(t.share), milliseconds(t.ttft_p50_s), milliseconds(t.ttft_p99_s),
               milliseconds(t.e2e_p50_s), milliseconds(t.e2e_p99_s), t.backlogged ? "yes" : "no"});
    sent += t.sent;
    ok += t.completed;
    errors += t.errors;
    share += t.share;
    backlogged += t.backlogged ? 1 : 0;
    for (const auto& [outcome, n] : t.refused) refused[outcome] += n;
  }
  table.add_rule();
  table.row({"total", "", fmt::format("{}", sent), fmt::format("{}", ok), refused_text(refused),
             fmt::format("{}", errors), number(report.total_tokens_per_s), number(report.total_service_per_s),
             percent(share), "", "", "", "", fmt::format("{} of {}", backlogged, report.tenants.size())});

  std::string out = fmt::format("{} ({}; rates over the window, counts of requests sent in it)\n", report.label,
                                window_text(report));
  out += table.render();
  if (refused_total(refused) > 0) {
    out += "refused: rate = rate_limit_exceeded, conc = concurrency_limit_exceeded, qfull = queue_full, "
           "qtime = queue_timeout\n";
  }
  out += fmt::format("Jain's index of service/weight over backlogged tenants: {}\n", jain_text(report.jain_index));
  out += fmt::format("max weighted service gap between backlogged tenants: {} tokens\n",
                     number(report.max_weighted_gap));
  return out;
}

std::string format_comparison(const std::vector<RunReport>& reports) {
  // Tenants in order of first appearance across the reports.
  std::vector<std::string> names;
  for (const RunReport& r : reports) {
    for (const TenantReport& t : r.tenants) {
      if (std::find(names.begin(), names.end(), t.name) == names.end()) names.push_back(t.name);
    }
  }
  const auto find = [](const RunReport& r, const std::string& name) -> const TenantReport* {
    for (const TenantReport& t : r.tenants) {
      if (t.name == name) return &t;
    }
    return nullptr;
  };

  TextTable tenants;
  tenants.column("tenant", Align::kLeft);
  for (const RunReport& r : reports) {
    tenants.column(fmt::format("{} share", r.label), Align::kRight);
    tenants.column(fmt::format("{} ttft p99 ms", r.label), Align::kRight);
  }
  for (const std::string& name : names) {
    std::vector<std::string> cells{name};
    for (const RunReport& r : reports) {
      const TenantReport* t = find(r, name);
      cells.push_back(t ? percent(t->share) : "-");
      cells.push_back(t ? milliseconds(t->ttft_p99_s) : "-");
    }
    tenants.row(std::move(cells));
  }

  TextTable totals;
  totals.column("", Align::kLeft);
  for (const RunReport& r : reports) totals.column(r.label, Align::kRight);
  const auto add = [&](std::string label, auto value_of) {
    std::vector<std::string> cells{std::move(label)};
    for (const RunReport& r : reports) cells.push_back(value_of(r));
    totals.row(std::move(cells));
  };
  const auto sum = [](const RunReport& r, auto field) {
    std::int64_t n = 0;
    for (const TenantReport& t : r.tenants) n += field(t);
    return fmt::format("{}", n);
  };
  add("sent", [&](const RunReport& r) { return sum(r, [](const TenantReport& t) { return t.sent; }); });
  add("ok", [&](const RunReport& r) { return sum(r, [](const TenantReport& t) { return t.completed; }); });
  add("refused",
      [&](const RunReport& r) { return sum(r, [](const TenantReport& t) { return refused_total(t.refused); }); });
  add("errors", [&](const RunReport& r) { return sum(r, [](const TenantReport& t) { return t.errors; }); });
  add("tok/s", [](const RunReport& r) { return number(r.total_tokens_per_s); });
  add("service/s", [](const RunReport& r) { return number(r.total_service_per_s); });
  add("Jain's index", [](const RunReport& r) { return jain_text(r.jain_index); });
  add("max gap (tokens)", [](const RunReport& r) { return number(r.max_weighted_gap); });

  std::string out;
  if (!reports.empty()) out += fmt::format("comparison ({})\n", window_text(reports.front()));
  out += tenants.render();
  out += "\n";
  out += totals.render();
  return out;
}

}  // namespace sluice::workload
