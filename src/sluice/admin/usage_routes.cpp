// Usage reports from the ledger's hourly rollups, as JSON or CSV.
#include <fmt/format.h>

#include "sluice/admin/api_support.h"
#include "sluice/admin/state_api.h"

namespace sluice::admin {

using nlohmann::json;

namespace {

/// A CSV field: quoted when it holds a comma, a quote or a line break.
std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

AdminReply StateApi::usage(std::string_view query, const std::string& only_tenant) {
  store::UsageQuery q;
  q.tenant = only_tenant;
  const std::int64_t t_now = now();
  q.until = t_now + 1;
  q.since = t_now - 30LL * 86'400'000;  // the last 30 days unless told
  for (auto [name, out] : {std::pair{"since", &q.since}, std::pair{"until", &q.until}}) {
    if (auto v = query_param(query, name)) {
      auto t = parse_time_or_ago(*v, t_now);
      if (!t)
        return bad_request(fmt::format("{}: expected an RFC 3339 time (2026-12-07T00:00:00Z), a date, or a duration "
                                       "back from now such as 7d, got \"{}\"",
                                       name, *v),
                           name);
      *out = *t;
    }
  }
  if (q.until <= q.since) return bad_request("until: must be after since", "until");
  if (auto k = query_param(query, "key")) q.key = *k;
  if (auto m = query_param(query, "model")) q.model = *m;
  if (auto g = query_param(query, "group_by")) {
    if (*g == "hour") q.group = store::UsageQuery::Group::kHour;
    else if (*g == "day") q.group = store::UsageQuery::Group::kDay;
    else if (*g == "none") q.group = store::UsageQuery::Group::kNone;
    else return bad_request(fmt::format("group_by: expected hour, day or none, got \"{}\"", *g), "group_by");
  }
  const std::string format = query_param(query, "format").value_or("json");
  if (format != "json" && format != "csv")
    return bad_request(fmt::format("format: expected json or csv, got \"{}\"", format), "format");
  auto rows = store_.usage(q);
  if (!rows) return store_failed(rows.error());
  if (format == "csv") {
    std::string out = "period_start,tenant,key,model,requests,prompt_tokens,completion_tokens,cost_usd\n";
    for (const auto& r : *rows) {
      out += fmt::format("{},{},{},{},{},{},{},{:.6f}\n", time_json(r.period_start).get<std::string>(),
                         csv_field(r.tenant), csv_field(r.key), csv_field(r.model), r.requests, r.prompt_tokens,
                         r.completion_tokens, r.cost_usd);
    }
    return {200, "text/csv; charset=utf-8", std::move(out)};
  }
  json data = json::array();
  for (const auto& r : *rows) {
    data.push_back({{"period_start", time_json(r.period_start)},
                    {"tenant", r.tenant},
                    {"key", r.key},
                    {"model", r.model},
                    {"requests", r.requests},
                    {"prompt_tokens", r.prompt_tokens},
                    {"completion_tokens", r.completion_tokens},
                    {"cost_usd", r.cost_usd}});
  }
  return json_reply(200, {{"data", data}, {"since", time_json(q.since)}, {"until", time_json(q.until)}});
}

}  // namespace sluice::admin
