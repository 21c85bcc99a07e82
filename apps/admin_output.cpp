// Tables and details of `sluice admin` (admin_output.h).
#include "admin_output.h"

#include <fmt/format.h>

#include <algorithm>

namespace sluice::app::admin_output {

namespace {

std::string number(const json& v) {
  if (v.is_number_integer()) return v.dump();
  std::string s = fmt::format("{:.6f}", v.get<double>());
  while (s.ends_with('0')) s.pop_back();
  if (s.ends_with('.')) s.pop_back();
  return s;
}

/// "field  value" lines, the fields padded to the longest.
std::string details(const std::vector<std::pair<std::string, std::string>>& lines) {
  std::size_t width = 0;
  for (const auto& [k, v] : lines) width = std::max(width, k.size());
  std::string out;
  for (const auto& [k, v] : lines) out += fmt::format("{:<{}}  {}\n", k, width, v);
  return out;
}

const json& list_of(const json& doc) {
  static const json kEmpty = json::array();
  if (doc.is_object() && doc.contains("data") && doc["data"].is_array()) return doc["data"];
  return doc.is_array() ? doc : kEmpty;
}

}  // namespace

std::string Table::render(const std::string& empty) const {
  if (rows.empty()) return empty + "\n";
  std::vector<std::size_t> width(header.size(), 0);
  for (std::size_t c = 0; c < header.size(); ++c) width[c] = header[c].size();
  for (const auto& row : rows)
    for (std::size_t c = 0; c < row.size() && c < width.size(); ++c) width[c] = std::max(width[c], row[c].size());
  const auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      if (c + 1 == cells.size()) out += cells[c];  // no padding after the last column
      else out += fmt::format("{:<{}}  ", cells[c], width[c]);
    }
    return out + "\n";
  };
  std::string out = line(header);
  for (const auto& row : rows) out += line(row);
  return out;
}

std::string cell(const json& v) {
  if (v.is_null()) return "-";
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  if (v.is_number()) return number(v);
  if (v.is_string()) return v.get<std::string>().empty() ? "-" : v.get<std::string>();
  if (v.is_array()) {
    std::string out;
    for (const auto& item : v) out += (out.empty() ? "" : ",") + cell(item);
    return out.empty() ? "-" : out;
  }
  return v.dump();
}

std::string field(const json& object, const char* name) {
  return object.is_object() && object.contains(name) ? cell(object[name]) : "-";
}

std::string limits_summary(const json& limits) {
  if (!limits.is_object() || limits.empty()) return "-";
  std::string out;
  for (const auto& [k, v] : limits.items()) out += fmt::format("{}{}={}", out.empty() ? "" : " ", k, cell(v));
  return out;
}

std::string budgets_summary(const json& budgets) {
  if (!budgets.is_array() || budgets.empty()) return "-";
  std::string out;
  for (const auto& b : budgets)
    out += fmt::format("{}{}{}/{}", out.empty() ? "" : " ", field(b, "limit"), field(b, "unit"), field(b, "period"));
  return out;
}

std::string tenants_table(const json& doc) {
  Table t{{"ID", "NAME", "SOURCE", "STATE", "WEIGHT", "PRIORITY", "MODELS", "LIMITS", "BUDGETS"}, {}};
  for (const auto& x : list_of(doc)) {
    t.rows.push_back({field(x, "id"), field(x, "name"), field(x, "source"),
                      x.value("disabled", false) ? "disabled" : "enabled", field(x, "weight"), field(x, "priority"),
                      field(x, "models"), limits_summary(x.value("limits", json())),
                      budgets_summary(x.value("budgets", json()))});
  }
  return t.render("(no tenants)");
}

std::string tenant_details(const json& x) {
  std::string budgets;
  for (const auto& b : x.value("budgets", json::array())) {
    budgets += fmt::format("{}{}{}/{} (warns at {}%)", budgets.empty() ? "" : "; ", field(b, "limit"), field(b, "unit"),
                           field(b, "period"), b.contains("soft_fraction") ? number(b["soft_fraction"].get<double>() * 100) : "-");
  }
  return details({{"id", field(x, "id")},
                  {"name", field(x, "name")},
                  {"source", field(x, "source")},
                  {"state", x.value("disabled", false) ? "disabled" : "enabled"},
                  {"weight", field(x, "weight")},
                  {"priority", fmt::format("{} (max {})", field(x, "priority"), field(x, "max_priority"))},
                  {"models", field(x, "models")},
                  {"limits", limits_summary(x.value("limits", json()))},
                  {"budgets", budgets.empty() ? "-" : budgets},
                  {"created", field(x, "created_at")},
                  {"updated", field(x, "updated_at")}});
}

std::string keys_table(const json& doc) {
  Table t{{"ID", "PREFIX", "LABEL", "CREATED", "EXPIRES", "REVOKED", "LAST USED"}, {}};
  for (const auto& k : list_of(doc)) {
    t.rows.push_back({field(k, "id"), field(k, "prefix"), field(k, "label"), field(k, "created_at"),
                      field(k, "expires_at"), field(k, "revoked_at"), field(k, "last_used_at")});
  }
  return t.render("(no keys)");
}

std::string key_details(const json& k) {
  std::vector<std::pair<std::string, std::string>> lines{{"id", field(k, "id")},
                                                         {"tenant", field(k, "tenant")},
                                                         {"label", field(k, "label")},
                                                         {"prefix", field(k, "prefix")},
                                                         {"created", field(k, "created_at")},
                                                         {"expires", field(k, "expires_at")},
                                                         {"revoked", field(k, "revoked_at")},
                                                         {"last used", field(k, "last_used_at")},
                                                         {"budgets", budgets_summary(k.value("budgets", json()))}};
  if (k.contains("replaces"))
    lines.push_back({"replaces", fmt::format("{} (works until {})", field(k, "replaces"), field(k, "replaced_key_expires_at"))});
  if (k.contains("key")) lines.push_back({"key", field(k, "key")});
  std::string out = details(lines);
  if (k.contains("key")) out += "\nThe key is shown only this once: store it now.\n";
  return out;
}

std::string tokens_table(const json& doc) {
  Table t{{"ID", "ROLE", "LABEL", "PREFIX", "CREATED", "REVOKED"}, {}};
  for (const auto& x : list_of(doc)) {
    t.rows.push_back({field(x, "id"), field(x, "role"), field(x, "label"), field(x, "prefix"), field(x, "created_at"),
                      field(x, "revoked_at")});
  }
  return t.render("(no tokens issued; the config's bootstrap token is not listed)");
}

std::string usage_table(const json& report) {
  Table t{{"PERIOD", "TENANT", "KEY", "MODEL", "REQUESTS", "PROMPT", "COMPLETION", "COST USD"}, {}};
  std::int64_t requests = 0, prompt = 0, completion = 0;
  double cost = 0;
  for (const auto& r : list_of(report)) {
    t.rows.push_back({field(r, "period_start"), field(r, "tenant"), field(r, "key"), field(r, "model"),
                      field(r, "requests"), field(r, "prompt_tokens"), field(r, "completion_tokens"),
                      field(r, "cost_usd")});
    requests += r.value("requests", std::int64_t{0});
    prompt += r.value("prompt_tokens", std::int64_t{0});
    completion += r.value("completion_tokens", std::int64_t{0});
    cost += r.value("cost_usd", 0.0);
  }
  std::string out = fmt::format("usage from {} until {}\n", field(report, "since"), field(report, "until"));
  if (t.rows.size() > 1)
    t.rows.push_back({"total", "", "", "", std::to_string(requests), std::to_string(prompt), std::to_string(completion),
                      number(json(cost))});
  return out + t.render("(no usage in this period)");
}

std::string audit_table(const json& doc) {
  Table t{{"AT", "ACTOR", "ACTION", "TARGET"}, {}};
  for (const auto& a : list_of(doc))
    t.rows.push_back({field(a, "at"), field(a, "actor"), field(a, "action"), field(a, "target")});
  return t.render("(no audit events)");
}

std::string remaining_details(const json& r) {
  std::vector<std::pair<std::string, std::string>> lines{{"tenant", field(r, "tenant")}};
  const json limits = r.value("limits", json::object());
  for (const char* name : {"rpm", "tpm"}) {
    if (limits.contains(name))
      lines.push_back({name, fmt::format("{} of {} left", field(limits[name], "remaining"), field(limits[name], "limit"))});
  }
  if (limits.contains("concurrency")) {
    lines.push_back({"concurrency", fmt::format("{} of {} in flight", field(limits["concurrency"], "in_flight"),
                                                field(limits["concurrency"], "limit"))});
  }
  if (limits.empty()) lines.push_back({"limits", "none"});
  for (const auto& b : r.value("budgets", json::array())) {
    std::string text = fmt::format("{} {} per {}", field(b, "limit"), field(b, "unit"), field(b, "period"));
    if (b.contains("spent")) text += fmt::format(", spent {}", field(b, "spent"));
    if (b.contains("remaining")) text += fmt::format(", {} left", field(b, "remaining"));
    if (b.contains("resets_at") && !b["resets_at"].is_null()) text += fmt::format(", resets {}", field(b, "resets_at"));
    lines.push_back({"budget", text});
  }
  return details(lines);
}

}  // namespace sluice::app::admin_output
