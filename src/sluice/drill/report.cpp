#include "sluice/drill/report.h"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace sluice::drill {

namespace {

using Row = std::vector<std::string>;

/// Display width: code points, so "—" and "≤" count as one.
std::size_t width(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

std::string text_table(const std::vector<Row>& rows) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], width(row[i]));
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line = " ";
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += ' ' + row[i];
      if (i + 1 < row.size()) line.append(widths[i] - width(row[i]) + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + '\n';
  }
  return out;
}

std::string markdown_table(const std::vector<Row>& rows) {
  std::string out;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    out += '|';
    for (const auto& cell : rows[r]) out += ' ' + (cell.empty() ? std::string(" ") : cell) + " |";
    out += '\n';
    if (r == 0) {
      out += '|';
      for (std::size_t i = 0; i < rows[r].size(); ++i) out += "---|";
      out += '\n';
    }
  }
  return out;
}

std::string seconds(const std::optional<double>& s) { return s ? fmt::format("{:.2f} s", *s) : "—"; }

/// A target and its verdict in one cell: "< 6 s PASS"; "" when there is none.
std::string cell(const std::string& target, Verdict v) {
  if (v == Verdict::kNotApplicable) return "";
  return fmt::format("{} {}", target, verdict_name(v));
}

std::string headline(const ScenarioOutcome& o) {
  std::string line = fmt::format("{} — {}", scenario_name(o.scenario), scenario_description(o.scenario));
  if (!o.target.empty()) line += fmt::format(": {} of {}", o.target, o.model);
  return line;
}

std::string ours_header(const ScenarioOutcome& o) {
  return fmt::format("ours ({} standby left)", tier_name(o.targets.tier));
}

std::vector<Row> scenario_rows(const ScenarioOutcome& o) {
  const LoadCounters& l = o.load;
  const std::string sla = fmt::format("< {:g} s", o.targets.sla_rto_s);
  std::vector<Row> rows;
  rows.push_back({"measure", "result", "source SLA", ours_header(o)});
  rows.push_back({"time to detect", seconds(o.detect_s), "", ""});
  rows.push_back({"time to recover", seconds(o.recover_s), cell(sla, o.sla), cell(describe_our_rto(o.targets), o.our_rto)});
  rows.push_back({"standby restored", seconds(o.restore_s), "", ""});
  rows.push_back({"promoted from", o.promoted_from.empty() ? "—" : o.promoted_from, "", ""});
  rows.push_back({"requests failed / sent", fmt::format("{} / {}", l.requests_failed, l.requests_sent), "",
                  cell("0 failed", o.our_requests)});
  rows.push_back({"streams broken / sent", fmt::format("{} / {}", l.streams_broken, l.streams_sent), "",
                  cell("0 broken", o.our_streams)});
  rows.push_back({"tokens lost / duplicated", fmt::format("{} / {}", l.tokens_lost, l.tokens_duplicated), "",
                  cell("0 / 0", o.our_tokens)});
  rows.push_back({"slowest request", seconds(l.slowest_s), "", ""});
  return rows;
}

/// Lines under a scenario's table: failures by reason, load failures, an
/// unfinished recovery.
std::vector<std::string> notes(const ScenarioOutcome& o) {
  std::vector<std::string> out;
  if (!o.complete) out.push_back("recovery did not finish within the observation window");
  if (o.load_failures > 0) {
    out.push_back(fmt::format("{} cold load(s) failed; the first was detected {} after the injection", o.load_failures,
                              seconds(o.load_failure_s)));
  }
  if (!o.also_failed.empty()) {
    std::string list;
    for (const auto& a : o.also_failed) list += (list.empty() ? "" : ", ") + a;
    out.push_back("also failed while recovering: " + list);
  }
  if (o.scenario == Scenario::kCorruptModel && o.load_failures == 0 && o.also_failed.empty() && o.error.empty()) {
    out.push_back("no load failed: the recovery never cold-loaded the model, so the corrupt weights were not exercised");
  }
  if (!o.injected.empty()) {
    std::string list;
    for (const auto& a : o.injected) list += (list.empty() ? "" : "; ") + a;
    out.push_back("injected: " + list);
  }
  if (!o.affected.empty()) {
    std::string list;
    for (const auto& a : o.affected) list += (list.empty() ? "" : ", ") + a;
    out.push_back("taken down: " + list);
  }
  for (const auto& [reason, n] : o.load.failure_reasons) out.push_back(fmt::format("{} × {}", n, reason));
  if (o.load.dropped > 0) out.push_back(fmt::format("{} requests not sent (too many in flight)", o.load.dropped));
  return out;
}

std::string overall(const ScenarioOutcome& o) { return o.passed() ? "PASS" : "MISS"; }

std::vector<Row> summary_rows(std::span<const ScenarioOutcome> outcomes) {
  std::vector<Row> rows;
  rows.push_back({"scenario", "failed", "standby left", "detect", "recover", "restored", "promoted", "requests failed",
                  "streams broken", "tokens lost/dup", "slowest", "SLA", "ours", "result"});
  for (const auto& o : outcomes) {
    if (!o.error.empty()) {
      rows.push_back(
          {std::string(scenario_name(o.scenario)), "—", "—", "—", "—", "—", "—", "—", "—", "—", "—", "—", "—", "MISS"});
      continue;
    }
    const LoadCounters& l = o.load;
    rows.push_back({std::string(scenario_name(o.scenario)), o.target, std::string(tier_name(o.targets.tier)),
                    seconds(o.detect_s), seconds(o.recover_s), seconds(o.restore_s),
                    o.promoted_from.empty() ? "—" : o.promoted_from,
                    fmt::format("{}/{}", l.requests_failed, l.requests_sent),
                    fmt::format("{}/{}", l.streams_broken, l.streams_sent),
                    fmt::format("{}/{}", l.tokens_lost, l.tokens_duplicated), seconds(l.slowest_s),
                    fmt::format("{} (< {:g} s)", verdict_name(o.sla), o.targets.sla_rto_s),
                    std::string(verdict_name(o.ours)), overall(o)});
  }
  return rows;
}

nlohmann::json optional_json(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); }

/// "PASS", "MISS", or null where there is no target.
nlohmann::json verdict_json(Verdict v) {
  return v == Verdict::kNotApplicable ? nlohmann::json(nullptr) : nlohmann::json(verdict_name(v));
}

}  // namespace

std::string render_scenario_text(const ScenarioOutcome& o) {
  std::string out = headline(o) + '\n';
  if (!o.error.empty()) return out + "  could not run: " + o.error + "\n  result: MISS\n";
  out += text_table(scenario_rows(o));
  for (const auto& n : notes(o)) out += "  " + n + '\n';
  return out + "  result: " + overall(o) + '\n';
}

std::string render_summary_text(std::span<const ScenarioOutcome> outcomes) { return text_table(summary_rows(outcomes)); }

std::string render_scenario_markdown(const ScenarioOutcome& o) {
  std::string out = "### " + headline(o) + "\n\n";
  if (!o.error.empty()) return out + "Could not run: " + o.error + "\n\nResult: **MISS**\n";
  out += markdown_table(scenario_rows(o));
  out += '\n';
  for (const auto& n : notes(o)) out += "- " + n + '\n';
  return out + "\nResult: **" + overall(o) + "**\n";
}

std::string render_summary_markdown(std::span<const ScenarioOutcome> outcomes) {
  return markdown_table(summary_rows(outcomes));
}

std::string render_json(std::span<const ScenarioOutcome> outcomes) {
  using nlohmann::json;
  json list = json::array();
  bool all = true;
  for (const auto& o : outcomes) {
    all = all && o.passed();
    json j;
    j["scenario"] = scenario_name(o.scenario);
    j["model"] = o.model;
    j["passed"] = o.passed();
    if (!o.error.empty()) {
      j["error"] = o.error;
      list.push_back(std::move(j));
      continue;
    }
    j["target"] = o.target;
    j["injected"] = o.injected;
    j["affected"] = o.affected;
    j["injected_at_ms"] = o.injected_at_ms;
    j["detect_s"] = optional_json(o.detect_s);
    j["recover_s"] = optional_json(o.recover_s);
    j["restore_s"] = optional_json(o.restore_s);
    j["promoted_from"] = o.promoted_from;
    j["causes"] = o.causes;
    j["load_failures"] = o.load_failures;
    j["also_failed"] = o.also_failed;
    j["complete"] = o.complete;
    const LoadCounters& l = o.load;
    j["load"] = {{"requests_sent", l.requests_sent},   {"requests_failed", l.requests_failed},
                 {"streams_sent", l.streams_sent},     {"streams_broken", l.streams_broken},
                 {"answers_checked", l.answers_checked}, {"tokens_lost", l.tokens_lost},
                 {"tokens_duplicated", l.tokens_duplicated}, {"dropped", l.dropped},
                 {"slowest_s", l.slowest_s},
                 {"failure_reasons", l.failure_reasons}};
    j["targets"] = {{"sla_rto_s", o.targets.sla_rto_s},
                    {"standby_left", tier_name(o.targets.tier)},
                    {"our_rto_s", optional_json(o.targets.our_rto_s)},
                    {"our_rto_inclusive", o.targets.our_rto_inclusive},
                    {"no_client_errors", o.targets.no_client_errors}};
    j["verdicts"] = {{"sla", verdict_json(o.sla)},
                     {"our_rto", verdict_json(o.our_rto)},
                     {"our_requests", verdict_json(o.our_requests)},
                     {"our_streams", verdict_json(o.our_streams)},
                     {"our_tokens", verdict_json(o.our_tokens)},
                     {"ours", verdict_json(o.ours)}};
    list.push_back(std::move(j));
  }
  return json{{"scenarios", list}, {"passed", all}}.dump(2);
}

}  // namespace sluice::drill
