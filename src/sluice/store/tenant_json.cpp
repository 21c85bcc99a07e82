#include "sluice/store/tenant_json.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "sluice/core/duration_text.h"

namespace sluice::store {
namespace {

using nlohmann::json;

std::string got(const json& v) {
  std::string text = v.dump();
  if (text.size() > 40) text = text.substr(0, 40) + "…";
  return text;
}

std::unexpected<FieldError> fail(const std::string& param, std::string_view expected, const json& v) {
  return std::unexpected(FieldError{param, fmt::format("{}: expected {}, got {}", param, expected, got(v))});
}

std::string join(const std::string& path, std::string_view field) {
  return path.empty() ? std::string(field) : fmt::format("{}.{}", path, field);
}

/// An object whose keys are all in `known`.
std::expected<void, FieldError> check_object(const json& j, const std::string& path,
                                             std::initializer_list<std::string_view> known) {
  if (!j.is_object()) return fail(path.empty() ? "body" : path, "an object", j);
  for (const auto& [key, value] : j.items()) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      std::string list;
      for (auto k : known) list += fmt::format("{}{}", list.empty() ? "" : ", ", k);
      const std::string where = join(path, key);
      return std::unexpected(FieldError{where, fmt::format("{}: unknown field; expected one of: {}", where, list)});
    }
  }
  return {};
}

std::expected<std::optional<std::int64_t>, FieldError> positive_int(const json& j, const std::string& path,
                                                                    std::string_view field, bool zero_ok = false) {
  if (!j.contains(field) || j.at(field).is_null()) return std::nullopt;
  const json& v = j.at(field);
  if (!v.is_number_integer() || v.get<std::int64_t>() < (zero_ok ? 0 : 1))
    return fail(join(path, field), zero_ok ? "an integer >= 0" : "a positive integer", v);
  return v.get<std::int64_t>();
}

std::optional<config::Priority> parse_priority(std::string_view text) {
  for (auto p : {config::Priority::kCritical, config::Priority::kStandard, config::Priority::kBatch})
    if (config::to_string(p) == text) return p;
  return std::nullopt;
}

std::string_view to_string(config::BudgetUnit u) { return u == config::BudgetUnit::kUsd ? "usd" : "tokens"; }
std::string_view to_string(config::BudgetPeriod p) {
  return p == config::BudgetPeriod::kDay ? "day" : p == config::BudgetPeriod::kMonth ? "month" : "total";
}

}  // namespace

bool valid_tenant_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  const auto ok_first = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!ok_first(id.front())) return false;
  return std::all_of(id.begin(), id.end(), [&](char c) { return ok_first(c) || c == '_' || c == '-'; });
}

std::optional<std::int64_t> parse_duration_ms(std::string_view text) {
  if (text.size() >= 2 && text.back() == 'd') {
    double days = 0;
    try {
      std::size_t used = 0;
      days = std::stod(std::string(text.substr(0, text.size() - 1)), &used);
      if (used != text.size() - 1) return std::nullopt;
    } catch (...) {
      return std::nullopt;
    }
    if (!std::isfinite(days) || days <= 0 || days > 3650) return std::nullopt;
    return static_cast<std::int64_t>(days * 86'400'000);
  }
  const auto d = core::parse_duration(text);
  if (!d || d->count() <= 0) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::milliseconds>(*d).count();
}

json limits_to_json(const config::TenantLimits& l) {
  json j = json::object();
  const auto put = [&j](std::string_view name, const std::optional<std::int64_t>& v) {
    if (v) j[std::string(name)] = *v;
  };
  put("rpm", l.rpm);
  put("tpm", l.tpm);
  put("max_concurrency", l.max_concurrency);
  put("max_queue", l.max_queue);
  if (l.max_queue_wait) j["max_queue_wait"] = core::format_duration(*l.max_queue_wait);
  put("reserved_concurrency", l.reserved_concurrency);
  put("concurrency_cap", l.concurrency_cap);
  return j;
}

std::expected<config::TenantLimits, FieldError> limits_from_json(const json& j, const std::string& path) {
  if (auto r = check_object(j, path, {"rpm", "tpm", "max_concurrency", "max_queue", "max_queue_wait",
                                      "reserved_concurrency", "concurrency_cap"});
      !r)
    return std::unexpected(r.error());
  config::TenantLimits l;
  const auto read = [&](std::string_view field, std::optional<std::int64_t>& out, bool zero_ok) -> std::optional<FieldError> {
    auto v = positive_int(j, path, field, zero_ok);
    if (!v) return v.error();
    out = *v;
    return std::nullopt;
  };
  for (auto [field, out, zero_ok] : {std::tuple{"rpm", &l.rpm, false}, std::tuple{"tpm", &l.tpm, false},
                                     std::tuple{"max_concurrency", &l.max_concurrency, false},
                                     std::tuple{"max_queue", &l.max_queue, true},
                                     std::tuple{"reserved_concurrency", &l.reserved_concurrency, true},
                                     std::tuple{"concurrency_cap", &l.concurrency_cap, false}}) {
    if (auto e = read(field, *out, zero_ok)) return std::unexpected(*e);
  }
  if (j.contains("max_queue_wait") && !j.at("max_queue_wait").is_null()) {
    const json& v = j.at("max_queue_wait");
    const auto d = v.is_string() ? core::parse_duration(v.get<std::string>()) : std::nullopt;
    if (!d) return fail(join(path, "max_queue_wait"), "a duration such as \"30s\"", v);
    l.max_queue_wait = *d;
  }
  return l;
}

json budgets_to_json(const std::vector<config::Budget>& budgets) {
  json list = json::array();
  for (const auto& b : budgets) {
    list.push_back({{"limit", b.limit},
                    {"unit", to_string(b.unit)},
                    {"period", to_string(b.period)},
                    {"soft_fraction", b.soft_fraction}});
  }
  return list;
}

std::expected<std::vector<config::Budget>, FieldError> budgets_from_json(const json& j, const std::string& path) {
  if (!j.is_array()) return fail(path, "a list of budgets", j);
  std::vector<config::Budget> out;
  for (std::size_t i = 0; i < j.size(); ++i) {
    const std::string at = fmt::format("{}[{}]", path, i);
    const json& b = j[i];
    if (auto r = check_object(b, at, {"limit", "unit", "period", "soft_fraction"}); !r) return std::unexpected(r.error());
    config::Budget budget;
    if (!b.contains("limit") || !b.at("limit").is_number() || !(b.at("limit").get<double>() > 0) ||
        !std::isfinite(b.at("limit").get<double>()))
      return fail(at + ".limit", "a positive number", b.value("limit", json()));
    budget.limit = b.at("limit").get<double>();
    const std::string unit = b.value("unit", std::string("usd"));
    if (unit == "usd") budget.unit = config::BudgetUnit::kUsd;
    else if (unit == "tokens") budget.unit = config::BudgetUnit::kTokens;
    else return fail(at + ".unit", "\"usd\" or \"tokens\"", b.at("unit"));
    const std::string period = b.value("period", std::string("month"));
    if (period == "day") budget.period = config::BudgetPeriod::kDay;
    else if (period == "month") budget.period = config::BudgetPeriod::kMonth;
    else if (period == "total") budget.period = config::BudgetPeriod::kTotal;
    else return fail(at + ".period", "\"day\", \"month\" or \"total\"", b.at("period"));
    if (b.contains("soft_fraction")) {
      const json& s = b.at("soft_fraction");
      if (!s.is_number() || !(s.get<double>() > 0) || s.get<double>() > 1)
        return fail(at + ".soft_fraction", "a number in (0, 1]", s);
      budget.soft_fraction = s.get<double>();
    }
    out.push_back(budget);
  }
  return out;
}

json tenant_to_json(const config::Tenant& t) {
  return {{"id", t.id},
          {"name", t.display_name.empty() ? t.id : t.display_name},
          {"weight", t.weight},
          {"priority", config::to_string(t.priority)},
          {"max_priority", config::to_string(t.max_priority)},
          {"models", t.models},
          {"limits", limits_to_json(t.limits)},
          {"budgets", budgets_to_json(t.budgets)}};
}

std::expected<void, FieldError> apply_tenant_json(const json& body, config::Tenant& t, bool creating) {
  if (auto r = check_object(body, "", {"id", "name", "weight", "priority", "max_priority", "models", "limits", "budgets"});
      !r)
    return r;
  if (creating) {
    if (!body.contains("id")) return std::unexpected(FieldError{"id", "id: required"});
    const json& id = body.at("id");
    if (!id.is_string() || !valid_tenant_id(id.get<std::string>()))
      return fail("id", "[a-z0-9][a-z0-9_-]* (at most 64 characters)", id);
    t.id = id.get<std::string>();
    if (t.models.empty()) t.models = {"*"};
  } else if (body.contains("id") && body.at("id") != json(t.id)) {
    return fail("id", fmt::format("\"{}\" (a tenant's id cannot change)", t.id), body.at("id"));
  }
  if (body.contains("name")) {
    const json& v = body.at("name");
    if (!v.is_string() || v.get<std::string>().empty() || v.get<std::string>().size() > 200)
      return fail("name", "a string of 1 to 200 characters", v);
    t.display_name = v.get<std::string>();
  }
  if (body.contains("weight")) {
    const json& v = body.at("weight");
    if (!v.is_number() || !(v.get<double>() > 0) || v.get<double>() > 1000) return fail("weight", "a number in (0, 1000]", v);
    t.weight = v.get<double>();
  }
  bool max_given = false;
  for (std::string_view field : {"priority", "max_priority"}) {
    if (!body.contains(field)) continue;
    const json& v = body.at(field);
    const auto p = v.is_string() ? parse_priority(v.get<std::string>()) : std::nullopt;
    if (!p) return fail(std::string(field), "\"critical\", \"standard\" or \"batch\"", v);
    (field == "priority" ? t.priority : t.max_priority) = *p;
    max_given |= field == "max_priority";
  }
  if (body.contains("priority") && !max_given) t.max_priority = t.priority;
  if (body.contains("models")) {
    const json& v = body.at("models");
    if (!v.is_array() || v.empty() ||
        !std::all_of(v.begin(), v.end(), [](const json& m) { return m.is_string() && !m.get<std::string>().empty(); }))
      return fail("models", "a non-empty list of model names (or [\"*\"])", v);
    t.models = v.get<std::vector<std::string>>();
  }
  if (body.contains("limits")) {
    auto limits = limits_from_json(body.at("limits"), "limits");
    if (!limits) return std::unexpected(limits.error());
    t.limits = *limits;
  }
  if (body.contains("budgets")) {
    auto budgets = budgets_from_json(body.at("budgets"), "budgets");
    if (!budgets) return std::unexpected(budgets.error());
    t.budgets = *budgets;
  }
  return {};
}

}  // namespace sluice::store
