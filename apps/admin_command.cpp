// `sluice admin …`: tenants, keys, admin tokens, usage, the audit log and
// remaining quota, through the admin API (docs/admin-api.yaml).
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>

#include "admin_output.h"
#include "commands.h"
#include "sluice/admin/admin_client.h"

namespace sluice::app {

namespace {

using nlohmann::json;
using verb = net::http::verb;
namespace out = admin_output;

constexpr int kApiRefused = 1;
constexpr int kNoConnection = 2;  // also bad usage, like CLI11's own errors

struct Globals {
  std::string url = "http://127.0.0.1:9090";
  std::string token;
  std::string cacert;
  double timeout_s = 10;
  bool json = false;
  bool verbose = false;
};

/// Options of `tenants create|update`. Limits stay text: "none" removes one
/// on update.
struct TenantFlags {
  std::string name;
  double weight = 1;
  std::string priority;
  std::string max_priority;
  std::vector<std::string> models;
  std::string rpm, tpm, max_concurrency, max_queue, max_queue_wait, reserved_concurrency, concurrency_cap;
  std::vector<std::string> budgets;
  bool no_budgets = false;
};

constexpr const char* kLimitFlags[] = {"--rpm",       "--tpm",          "--max-concurrency", "--max-queue",
                                       "--max-queue-wait", "--reserved-concurrency", "--concurrency-cap"};

struct State {
  Globals g;
  TenantFlags create_flags, update_flags;
  std::string id;  // the positional of the command that ran
  std::string tenant, key, model, since, until, group_by, label, expires_in, grace, role;
  bool csv = false;
  int limit = 0;
  std::function<int()> action;
};

void fail(std::string_view message) { fmt::print(stderr, "sluice admin: {}\n", message); }

/// One call of the admin API and what to show: the exit status.
int call(const Globals& g, verb method, const std::string& target, const std::optional<json>& body,
         const std::function<std::string(const json&)>& show, bool raw = false) {
  auto client = admin::AdminClient::make(g.url, g.token, g.cacert,
                                         std::chrono::milliseconds(static_cast<std::int64_t>(g.timeout_s * 1000)));
  if (!client) {
    fail(client.error());
    return kNoConnection;
  }
  auto answer = client->call(method, target, body ? body->dump() : std::string());
  const std::string where = fmt::format("{} {}{}", net::http::to_string(method), client->url(), target);
  if (!answer) {
    fail(fmt::format("cannot reach the admin API at {}: {}", client->url(), answer.error()));
    return kNoConnection;
  }
  if (g.verbose) fmt::print(stderr, "{} -> {}\n", where, answer->status);
  const json doc = json::parse(answer->body, nullptr, false);
  if (answer->status >= 400) {
    if (g.json) fmt::print("{}", answer->body);
    const bool shaped = doc.is_object() && doc.contains("error") && doc["error"].is_object();
    std::string message = shaped ? doc["error"].value("message", std::string()) : std::string();
    if (message.empty()) {  // not the admin API's error shape: something else answered
      std::string body = answer->body.substr(0, 200);
      while (!body.empty() && std::isspace(static_cast<unsigned char>(body.back()))) body.pop_back();
      message = fmt::format("{} answered {}", where, body.empty() ? "with no body" : "\"" + body + "\"");
    }
    const std::string code = shaped && doc["error"]["code"].is_string() ? doc["error"]["code"].get<std::string>() : "";
    fail(fmt::format("{} (HTTP {}{}{})", message, answer->status, code.empty() ? "" : ", ", code));
    if (answer->status == 401 && !client->has_token())
      fail("no admin token given: pass --token or set SLUICE_ADMIN_TOKEN");
    return kApiRefused;
  }
  if (g.json || raw || doc.is_discarded()) {
    fmt::print("{}", answer->body);
    if (!answer->body.ends_with('\n')) fmt::print("\n");
    return 0;
  }
  fmt::print("{}", show(doc));
  return 0;
}

/// "none" or an integer ≥ 0 for a limit; nullopt (with a message) otherwise.
std::optional<json> limit_value(const std::string& name, const std::string& text) {
  if (text == "none") return json(nullptr);
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size() || v < 0) {
    fail(fmt::format("--{}: expected a whole number (or none), got \"{}\"", name, text));
    return std::nullopt;
  }
  return json(v);
}

/// "100usd/month", "2000000tokens/day", "50usd" (per month): one budget.
std::optional<json> parse_budget(const std::string& text) {
  const std::size_t slash = text.find('/');
  const std::string amount_unit = text.substr(0, slash);
  const std::string period = slash == std::string::npos ? "month" : text.substr(slash + 1);
  std::size_t i = 0;
  while (i < amount_unit.size() && (std::isdigit(static_cast<unsigned char>(amount_unit[i])) || amount_unit[i] == '.' ||
                                    amount_unit[i] == 'e'))
    ++i;
  const std::string unit = amount_unit.substr(i);
  char* end = nullptr;
  const std::string amount = amount_unit.substr(0, i);
  const double limit = std::strtod(amount.c_str(), &end);
  if (amount.empty() || *end != '\0' || !(limit > 0) || (unit != "usd" && unit != "tokens") ||
      (period != "day" && period != "month" && period != "total")) {
    fail(fmt::format("--budget: expected AMOUNT(usd|tokens)/(day|month|total), e.g. 100usd/month, got \"{}\"", text));
    return std::nullopt;
  }
  return json{{"limit", limit}, {"unit", unit}, {"period", period}};
}

/// The body of a create or update from the flags given; nullopt on a bad
/// flag. `current` (update): the tenant's limits now, which the given ones
/// change rather than replace.
std::optional<json> tenant_body(const TenantFlags& f, CLI::App& cmd, const json& current_limits) {
  json body = json::object();
  if (cmd.count("--name")) body["name"] = f.name;
  if (cmd.count("--weight")) body["weight"] = f.weight;
  if (cmd.count("--priority")) body["priority"] = f.priority;
  if (cmd.count("--max-priority")) body["max_priority"] = f.max_priority;
  if (cmd.count("--models")) body["models"] = f.models;
  json limits = current_limits.is_object() ? current_limits : json::object();
  bool limits_given = false;
  for (auto [name, value] : {std::pair{"rpm", &f.rpm}, {"tpm", &f.tpm}, {"max_concurrency", &f.max_concurrency},
                             {"max_queue", &f.max_queue}, {"reserved_concurrency", &f.reserved_concurrency},
                             {"concurrency_cap", &f.concurrency_cap}}) {
    std::string flag = std::string("--") + name;
    std::replace(flag.begin(), flag.end(), '_', '-');
    if (!cmd.count(flag)) continue;
    auto v = limit_value(flag.substr(2), *value);
    if (!v) return std::nullopt;
    if (v->is_null()) limits.erase(name);
    else limits[name] = *v;
    limits_given = true;
  }
  if (cmd.count("--max-queue-wait")) {
    if (f.max_queue_wait == "none") limits.erase("max_queue_wait");
    else limits["max_queue_wait"] = f.max_queue_wait;
    limits_given = true;
  }
  if (limits_given) body["limits"] = limits;
  if (f.no_budgets) body["budgets"] = json::array();
  if (!f.budgets.empty()) {
    json list = json::array();
    for (const auto& b : f.budgets) {
      auto budget = parse_budget(b);
      if (!budget) return std::nullopt;
      list.push_back(*budget);
    }
    body["budgets"] = list;
  }
  return body;
}

void add_tenant_flags(CLI::App& cmd, TenantFlags& f, bool update) {
  cmd.add_option("--name", f.name, "Display name");
  cmd.add_option("--weight", f.weight, "Share in the models' fair queues (default 1)");
  cmd.add_option("--priority", f.priority, "critical | standard | batch")
      ->check(CLI::IsMember({"critical", "standard", "batch"}));
  cmd.add_option("--max-priority", f.max_priority, "Highest band a request may ask for (default: --priority)")
      ->check(CLI::IsMember({"critical", "standard", "batch"}));
  cmd.add_option("--models", f.models, "Models it may use, comma-separated (default *: every model)")->delimiter(',');
  const std::string none = update ? "; none removes it" : "";
  cmd.add_option("--rpm", f.rpm, "Requests per minute" + none);
  cmd.add_option("--tpm", f.tpm, "Tokens per minute" + none);
  cmd.add_option("--max-concurrency", f.max_concurrency, "Requests in flight at once" + none);
  cmd.add_option("--max-queue", f.max_queue, "Requests waiting per model" + none);
  cmd.add_option("--max-queue-wait", f.max_queue_wait, "Longest wait in a queue, e.g. 30s" + none);
  cmd.add_option("--reserved-concurrency", f.reserved_concurrency, "Engine slots held for it" + none);
  cmd.add_option("--concurrency-cap", f.concurrency_cap, "Most engine slots it may hold" + none);
  cmd.add_option("--budget", f.budgets,
                 "A spending budget, AMOUNT(usd|tokens)/(day|month|total), e.g. 100usd/month; repeat for several" +
                     std::string(update ? " (replaces the tenant's budgets)" : ""));
  if (update) cmd.add_flag("--no-budgets", f.no_budgets, "Remove every budget");
}

std::string tenant_path(const std::string& id) { return "/admin/tenants/" + admin::percent_encode(id); }

void add_tenants(CLI::App& admin, const std::shared_ptr<State>& s) {
  auto* tenants = admin.add_subcommand("tenants", "List, create, change, disable and delete tenants.");
  tenants->require_subcommand(1);
  auto* list = tenants->add_subcommand("list", "Every tenant (config and store).");
  list->callback([s] { s->action = [s = s.get()] { return call(s->g, verb::get, "/admin/tenants", {}, out::tenants_table); }; });

  auto* get = tenants->add_subcommand("get", "One tenant.");
  get->add_option("id", s->id, "Tenant id")->required();
  get->callback([s] { s->action = [s = s.get()] { return call(s->g, verb::get, tenant_path(s->id), {}, out::tenant_details); }; });

  auto* create = tenants->add_subcommand("create", "Create a tenant in the store (serves at once).");
  create->add_option("id", s->id, "Tenant id: [a-z0-9][a-z0-9_-]*")->required();
  add_tenant_flags(*create, s->create_flags, false);
  create->callback([s, create] {
    s->action = [s = s.get(), create] {
      auto body = tenant_body(s->create_flags, *create, json::object());
      if (!body) return kNoConnection;
      (*body)["id"] = s->id;
      return call(s->g, verb::post, "/admin/tenants", body, out::tenant_details);
    };
  });

  auto* update = tenants->add_subcommand("update", "Change a tenant's fields; limits not named keep their values.");
  update->add_option("id", s->id, "Tenant id")->required();
  add_tenant_flags(*update, s->update_flags, true);
  update->callback([s, update] {
    s->action = [s = s.get(), update] {
      json current_limits = json::object();
      bool touches_limits = false;
      for (const char* flag : kLimitFlags) touches_limits |= update->count(flag) > 0;
      if (touches_limits) {  // merge with the limits in force, not replace them
        json tenant;
        const int rc = call(Globals{s->g.url, s->g.token, s->g.cacert, s->g.timeout_s, false, s->g.verbose}, verb::get,
                            tenant_path(s->id), {}, [&tenant](const json& t) {
                              tenant = t;
                              return std::string();
                            });
        if (rc != 0) return rc;
        current_limits = tenant.value("limits", json::object());
      }
      auto body = tenant_body(s->update_flags, *update, current_limits);
      if (!body) return kNoConnection;
      if (body->empty()) {
        fail("nothing to change: give at least one flag (see --help)");
        return kNoConnection;
      }
      return call(s->g, verb::patch, tenant_path(s->id), body, out::tenant_details);
    };
  });

  for (const char* what : {"disable", "enable"}) {
    auto* cmd = tenants->add_subcommand(
        what, std::string(what) == "disable" ? "Disable a tenant: its keys get 401 until enabled." : "Enable a tenant.");
    cmd->add_option("id", s->id, "Tenant id")->required();
    cmd->callback([s, what] {
      s->action = [s = s.get(), what] {
        return call(s->g, verb::post, tenant_path(s->id) + "/" + what, {}, out::tenant_details);
      };
    });
  }

  auto* del = tenants->add_subcommand("delete", "Delete a tenant of the store; its keys are revoked, its usage stays.");
  del->add_option("id", s->id, "Tenant id")->required();
  del->callback([s] {
    s->action = [s = s.get()] {
      return call(s->g, verb::delete_, tenant_path(s->id), {}, [](const json& r) {
        return fmt::format("deleted tenant {} (its keys are revoked)\n", out::field(r, "id"));
      });
    };
  });
}

void add_keys(CLI::App& admin, const std::shared_ptr<State>& s) {
  auto* keys = admin.add_subcommand("keys", "List, issue, revoke and rotate a tenant's API keys.");
  keys->require_subcommand(1);
  auto* list = keys->add_subcommand("list", "A tenant's keys (never the plain keys).");
  list->add_option("--tenant", s->tenant, "Tenant id")->required();
  list->callback([s] {
    s->action = [s = s.get()] { return call(s->g, verb::get, tenant_path(s->tenant) + "/keys", {}, out::keys_table); };
  });

  auto* issue = keys->add_subcommand("issue", "Issue a key; the plain key is printed once.");
  issue->add_option("--tenant", s->tenant, "Tenant id")->required();
  issue->add_option("--label", s->label, "What the key is for");
  issue->add_option("--expires-in", s->expires_in, "Lifetime, e.g. 30d or 12h (default: never expires)");
  issue->callback([s] {
    s->action = [s = s.get()] {
      json body = json::object();
      if (!s->label.empty()) body["label"] = s->label;
      if (!s->expires_in.empty()) body["expires_in"] = s->expires_in;
      return call(s->g, verb::post, tenant_path(s->tenant) + "/keys", body, out::key_details);
    };
  });

  auto* revoke = keys->add_subcommand("revoke", "Revoke a key at once.");
  revoke->add_option("key_id", s->id, "Key id (key_…)")->required();
  revoke->callback([s] {
    s->action = [s = s.get()] {
      return call(s->g, verb::post, "/admin/keys/" + admin::percent_encode(s->id) + "/revoke", {}, [](const json& k) {
        return fmt::format("revoked {} of tenant {} at {}\n", out::field(k, "id"), out::field(k, "tenant"),
                           out::field(k, "revoked_at"));
      });
    };
  });

  auto* rotate = keys->add_subcommand("rotate", "Issue a replacement; the old key works for the grace period.");
  rotate->add_option("key_id", s->id, "Key id (key_…)")->required();
  rotate->add_option("--grace", s->grace, "How long the old key keeps working (default 24h)");
  rotate->callback([s] {
    s->action = [s = s.get()] {
      json body = json::object();
      if (!s->grace.empty()) body["grace"] = s->grace;
      return call(s->g, verb::post, "/admin/keys/" + admin::percent_encode(s->id) + "/rotate", body, out::key_details);
    };
  });
}

void add_tokens(CLI::App& admin, const std::shared_ptr<State>& s) {
  auto* tokens = admin.add_subcommand("tokens", "List, issue and revoke admin tokens (admin role).");
  tokens->require_subcommand(1);
  auto* list = tokens->add_subcommand("list", "Issued admin tokens (never the plain tokens).");
  list->callback([s] { s->action = [s = s.get()] { return call(s->g, verb::get, "/admin/tokens", {}, out::tokens_table); }; });

  auto* issue = tokens->add_subcommand("issue", "Issue an admin token; the plain token is printed once.");
  issue->add_option("--role", s->role, "viewer | operator | admin")
      ->required()
      ->check(CLI::IsMember({"viewer", "operator", "admin"}));
  issue->add_option("--label", s->label, "Who or what the token is for");
  issue->callback([s] {
    s->action = [s = s.get()] {
      json body{{"role", s->role}};
      if (!s->label.empty()) body["label"] = s->label;
      return call(s->g, verb::post, "/admin/tokens", body, [](const json& t) {
        return fmt::format("id     {}\nrole   {}\nlabel  {}\ntoken  {}\n\nThe token is shown only this once: store it now.\n",
                           out::field(t, "id"), out::field(t, "role"), out::field(t, "label"), out::field(t, "token"));
      });
    };
  });

  auto* revoke = tokens->add_subcommand("revoke", "Revoke an admin token at once.");
  revoke->add_option("id", s->id, "Token id (tok_…)")->required();
  revoke->callback([s] {
    s->action = [s = s.get()] {
      return call(s->g, verb::post, "/admin/tokens/" + admin::percent_encode(s->id) + "/revoke", {},
                  [](const json& r) { return fmt::format("revoked {}\n", out::field(r, "id")); });
    };
  });
}

/// "?a=1&b=2" of the non-empty values ("" when none).
std::string query(std::initializer_list<std::pair<const char*, const std::string*>> params) {
  std::string q;
  for (const auto& [name, value] : params) {
    if (value->empty()) continue;
    q += fmt::format("{}{}={}", q.empty() ? "?" : "&", name, admin::percent_encode(*value));
  }
  return q;
}

void add_reports(CLI::App& admin, const std::shared_ptr<State>& s) {
  auto* usage = admin.add_subcommand("usage", "Usage from the ledger: requests, tokens and cost per period.");
  usage->add_option("--tenant", s->tenant, "Only this tenant");
  usage->add_option("--key", s->key, "Only this key id (key_…)");
  usage->add_option("--model", s->model, "Only this model");
  usage->add_option("--since", s->since, "Start: a duration back from now (7d, 24h), a date or an RFC 3339 time (default 30d)");
  usage->add_option("--until", s->until, "End (exclusive), same forms (default now)");
  usage->add_option("--group-by", s->group_by, "hour | day | none (default day)")
      ->check(CLI::IsMember({"hour", "day", "none"}));
  usage->add_flag("--csv", s->csv, "Print CSV (period_start,tenant,key,model,requests,prompt_tokens,completion_tokens,cost_usd)");
  usage->callback([s] {
    s->action = [s = s.get()] {
      const std::string format = s->csv ? "csv" : "";
      const std::string target = "/admin/usage" + query({{"tenant", &s->tenant}, {"key", &s->key}, {"model", &s->model},
                                                         {"since", &s->since}, {"until", &s->until},
                                                         {"group_by", &s->group_by}, {"format", &format}});
      return call(s->g, verb::get, target, {}, out::usage_table, s->csv);
    };
  });

  auto* audit = admin.add_subcommand("audit", "Who changed what through the admin API, newest first (admin role).");
  audit->add_option("--since", s->since, "A duration back from now (1d), a date or an RFC 3339 time");
  audit->add_option("--limit", s->limit, "At most this many events (default 100)")->check(CLI::Range(1, 10000));
  audit->callback([s] {
    s->action = [s = s.get()] {
      const std::string limit = s->limit > 0 ? std::to_string(s->limit) : "";
      return call(s->g, verb::get, "/admin/audit" + query({{"since", &s->since}, {"limit", &limit}}), {},
                  out::audit_table);
    };
  });

  auto* remaining = admin.add_subcommand("remaining", "What is left of a tenant's rate limits and budgets now.");
  remaining->add_option("--tenant", s->tenant, "Tenant id")->required();
  remaining->callback([s] {
    s->action = [s = s.get()] { return call(s->g, verb::get, tenant_path(s->tenant) + "/remaining", {}, out::remaining_details); };
  });
}

}  // namespace

AdminCommand add_admin_command(CLI::App& app) {
  auto s = std::make_shared<State>();
  auto* admin = app.add_subcommand("admin", "Manage tenants, API keys and admin tokens; read usage and the audit log.");
  // The connection options may come after the subcommand too: `sluice admin tenants list --json`.
  admin->fallthrough();
  admin->require_subcommand(1);
  admin->add_option("--url", s->g.url, "Admin listener URL, http:// or https://")
      ->envname("SLUICE_ADMIN_URL")
      ->capture_default_str();
  admin->add_option("--token", s->g.token, "Admin token (sent as a bearer token)")->envname("SLUICE_ADMIN_TOKEN");
  admin->add_option("--cacert", s->g.cacert, "PEM CA bundle that signs an https admin listener's certificate")
      ->check(CLI::ExistingFile);
  admin->add_option("--timeout", s->g.timeout_s, "Seconds to wait for an answer")->capture_default_str();
  admin->add_flag("--json", s->g.json, "Print the API's JSON as it came, instead of a table");
  admin->add_flag("-v,--verbose", s->g.verbose, "Print each request and its status on stderr");
  admin->footer(
      "Examples:\n"
      "  export SLUICE_ADMIN_TOKEN=sla-…\n"
      "  sluice admin tenants create acme --name 'Acme' --models llama-3.1-8b-instruct --rpm 60 --budget 100usd/month\n"
      "  sluice admin keys issue --tenant acme --label ci --expires-in 30d\n"
      "  sluice admin usage --tenant acme --since 7d --group-by day\n"
      "Exit status: 0 done, 1 the API refused (its message is printed), 2 the admin API could not be reached or bad "
      "usage.");
  add_tenants(*admin, s);
  add_keys(*admin, s);
  add_tokens(*admin, s);
  add_reports(*admin, s);
  return {admin, [s] { return s->action ? s->action() : kNoConnection; }};
}

}  // namespace sluice::app
