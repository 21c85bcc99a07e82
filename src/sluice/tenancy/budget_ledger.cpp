#include "sluice/tenancy/budget_ledger.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "sluice/config/budget_text.h"

namespace sluice::tenancy {
namespace {

using Ms = std::chrono::milliseconds;
using SysMs = std::chrono::sys_time<Ms>;

std::int64_t to_ms(std::chrono::sys_days day) {
  return std::chrono::duration_cast<Ms>(day.time_since_epoch()).count();
}

std::chrono::year_month_day civil(std::int64_t unix_ms) {
  return std::chrono::year_month_day{std::chrono::floor<std::chrono::days>(SysMs{Ms{unix_ms}})};
}

/// A line's spend as of `now_ms`: 0 once its period has ended.
double spent_now(double spent, std::int64_t line_start, config::BudgetPeriod period, std::int64_t now_ms) {
  return period_start_ms(period, now_ms) > line_start ? 0.0 : spent;
}

Spend minus(Spend a, const Spend& b) {
  a.tokens = std::max<std::int64_t>(0, a.tokens - b.tokens);
  a.usd = std::max(0.0, a.usd - b.usd);
  return a;
}

}  // namespace

std::string_view to_string(BudgetScope scope) { return scope == BudgetScope::kTenant ? "tenant" : "key"; }

std::int64_t period_start_ms(config::BudgetPeriod period, std::int64_t now_ms) {
  using namespace std::chrono;
  switch (period) {
    case config::BudgetPeriod::kDay: return to_ms(floor<days>(SysMs{Ms{now_ms}}));
    case config::BudgetPeriod::kMonth: {
      const year_month_day d = civil(now_ms);
      return to_ms(sys_days{d.year() / d.month() / 1});
    }
    case config::BudgetPeriod::kTotal: return 0;
  }
  return 0;
}

std::int64_t period_end_ms(config::BudgetPeriod period, std::int64_t now_ms) {
  using namespace std::chrono;
  switch (period) {
    case config::BudgetPeriod::kDay: return period_start_ms(period, now_ms) + 86'400'000;
    case config::BudgetPeriod::kMonth: {
      const year_month_day d = civil(now_ms);
      return to_ms(sys_days{(d.year() / d.month() / 1) + months{1}});
    }
    case config::BudgetPeriod::kTotal: return 0;
  }
  return 0;
}

std::string rfc3339_utc(std::int64_t unix_ms) {
  using namespace std::chrono;
  const SysMs t{Ms{unix_ms}};
  const auto day = floor<days>(t);
  const year_month_day d{day};
  const hh_mm_ss<seconds> time{floor<seconds>(t - day)};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", static_cast<int>(d.year()),
                     static_cast<unsigned>(d.month()), static_cast<unsigned>(d.day()), time.hours().count(),
                     time.minutes().count(), time.seconds().count());
}

// ------------------------------------------------------------ ledger ----

std::shared_ptr<BudgetLedger::State> BudgetLedger::reuse(const std::vector<std::shared_ptr<State>>* old,
                                                         std::string_view id) {
  if (!old) return nullptr;
  for (const auto& s : *old) {
    if (s->id == id) return s;
  }
  return nullptr;
}

BudgetLedger::BudgetLedger(const config::Config& config, std::int64_t now_ms, const BudgetLedger* previous) {
  tenants_.reserve(config.tenants.size());
  for (std::size_t t = 0; t < config.tenants.size(); ++t) {
    const config::Tenant& tenant = config.tenants[t];
    auto s = reuse(previous ? &previous->tenants_ : nullptr, tenant.id);
    if (!s) {
      s = std::make_shared<State>();
      s->scope = BudgetScope::kTenant;
      s->id = tenant.id;
      s->tenant = tenant.id;
    }
    configure(*s, tenant.budgets, now_ms);
    tenants_.push_back(std::move(s));
    tenant_has_budgets_.push_back(!tenant.budgets.empty());
    any_ = any_ || !tenant.budgets.empty();
    for (const config::ApiKey& key : tenant.api_keys) {
      if (key.id.empty() || key.budgets.empty() || key_index_.contains(key.id)) continue;
      auto k = reuse(previous ? &previous->keys_ : nullptr, key.id);
      if (!k) {
        k = std::make_shared<State>();
        k->scope = BudgetScope::kKey;
        k->id = key.id;
        k->tenant = tenant.id;
      }
      configure(*k, key.budgets, now_ms);
      key_index_.emplace(key.id, keys_.size());
      keys_.push_back(std::move(k));
      key_tenant_.push_back(t);
      any_ = true;
    }
  }
}

void BudgetLedger::configure(State& s, const std::vector<config::Budget>& budgets, std::int64_t now_ms) {
  std::lock_guard lock(s.mutex);
  roll(s, now_ms);
  std::vector<Line> lines;
  std::vector<bool> taken(s.lines.size(), false);
  for (const config::Budget& b : budgets) {
    Line line{b, 0.0, period_start_ms(b.period, now_ms), false};
    for (std::size_t i = 0; i < s.lines.size(); ++i) {
      const Line& old = s.lines[i];
      if (taken[i] || old.budget.unit != b.unit || old.budget.period != b.period) continue;
      taken[i] = true;
      line.spent = old.spent;
      // A new limit or threshold may be crossed anew.
      line.soft_reported = old.soft_reported && old.budget.limit == b.limit &&
                           old.budget.soft_fraction == b.soft_fraction;
      break;
    }
    lines.push_back(line);
  }
  s.lines = std::move(lines);
}

void BudgetLedger::roll(State& s, std::int64_t now_ms) {
  for (Line& line : s.lines) {
    const std::int64_t start = period_start_ms(line.budget.period, now_ms);
    if (start > line.period_start_ms) {
      line.period_start_ms = start;
      line.spent = 0;
      line.soft_reported = false;
    }
  }
}

std::optional<std::size_t> BudgetLedger::key_scope(std::string_view key_id) const {
  if (key_id.empty()) return std::nullopt;
  const auto it = key_index_.find(key_id);
  if (it == key_index_.end()) return std::nullopt;
  return it->second;
}

std::optional<BudgetAdmit> BudgetLedger::check(const State& s, Spend need, std::int64_t now_ms) {
  for (const Line& line : s.lines) {
    const config::BudgetUnit unit = line.budget.unit;
    const double held = s.held.in(unit);
    const double want = need.in(unit);
    if (line.spent + held + want <= line.budget.limit) continue;
    BudgetAdmit refused;
    refused.admitted = false;
    refused.resets_at_ms = period_end_ms(line.budget.period, now_ms);
    const std::string who = s.scope == BudgetScope::kTenant ? fmt::format("tenant {}", s.id)
                                                            : fmt::format("API key {} (tenant {})", s.id, s.tenant);
    const std::string when = line.budget.period == config::BudgetPeriod::kTotal
                                 ? std::string("in total")
                                 : fmt::format("per {}", config::to_string(line.budget.period));
    const std::string resets = refused.resets_at_ms == 0
                                   ? std::string("It never resets (a total budget): raise its limit to continue.")
                                   : fmt::format("It resets at {}.", rfc3339_utc(refused.resets_at_ms));
    refused.message = fmt::format(
        "Budget exceeded: {} has a budget of {} {} (unit {}, period {}): {} spent, {} held by requests in flight, "
        "up to {} for this request. {}",
        who, config::amount_text(unit, line.budget.limit), when, config::to_string(unit),
        config::to_string(line.budget.period), config::amount_text(unit, line.spent),
        config::amount_text(unit, held), config::amount_text(unit, want), resets);
    return refused;
  }
  return std::nullopt;
}

BudgetAdmit BudgetLedger::admit(std::size_t tenant, std::optional<std::size_t> key, Spend worst_case,
                                std::int64_t now_ms) {
  BudgetAdmit d;
  State* t = tenant < tenants_.size() && tenant_has_budgets_[tenant] ? tenants_[tenant].get() : nullptr;
  State* k = key && *key < keys_.size() ? keys_[*key].get() : nullptr;
  if (!t && !k) return d;
  // Always the tenant's lock first, then the key's: no two admissions wait on each other in a cycle.
  std::unique_lock<std::mutex> tenant_lock, key_lock;
  if (t) {
    tenant_lock = std::unique_lock(t->mutex);
    roll(*t, now_ms);
    if (auto refused = check(*t, worst_case, now_ms)) d = std::move(*refused);
  }
  if (k) {
    key_lock = std::unique_lock(k->mutex);
    roll(*k, now_ms);
    if (d.admitted) {
      if (auto refused = check(*k, worst_case, now_ms)) d = std::move(*refused);
    }
  }
  if (!d.admitted) {
    const std::size_t owner = t ? tenant : key_tenant_[*key];
    if (owner < tenants_.size()) tenants_[owner]->refusals.fetch_add(1, std::memory_order_relaxed);
    return d;
  }
  if (t) {
    t->held.tokens += worst_case.tokens;
    t->held.usd += worst_case.usd;
    d.ticket.tenant = tenant;
  }
  if (k) {
    k->held.tokens += worst_case.tokens;
    k->held.usd += worst_case.usd;
    d.ticket.key = *key;
  }
  d.ticket.held = worst_case;
  return d;
}

void BudgetLedger::settle_one(State& s, const Spend& held, const Spend& used, std::int64_t now_ms,
                              std::vector<SoftCrossing>& crossed) {
  std::lock_guard lock(s.mutex);
  roll(s, now_ms);
  s.held = minus(s.held, held);
  for (Line& line : s.lines) {
    line.spent += used.in(line.budget.unit);
    const double soft = line.budget.soft_fraction * line.budget.limit;
    if (!line.soft_reported && line.spent > 0 && line.spent >= soft) {
      line.soft_reported = true;
      crossed.push_back(SoftCrossing{s.scope, s.id, s.tenant, line.budget, line.spent});
    }
  }
}

std::vector<SoftCrossing> BudgetLedger::settle(const BudgetTicket& ticket, Spend used, std::int64_t now_ms) {
  std::vector<SoftCrossing> crossed;
  if (ticket.tenant < tenants_.size()) settle_one(*tenants_[ticket.tenant], ticket.held, used, now_ms, crossed);
  if (ticket.key < keys_.size()) settle_one(*keys_[ticket.key], ticket.held, used, now_ms, crossed);
  return crossed;
}

BudgetLedger::State* BudgetLedger::find(BudgetScope scope, std::string_view id) const {
  if (scope == BudgetScope::kKey) {
    const auto k = key_scope(id);
    return k ? keys_[*k].get() : nullptr;
  }
  for (const auto& s : tenants_) {
    if (s->id == id) return s.get();
  }
  return nullptr;
}

bool BudgetLedger::seed(BudgetScope scope, std::string_view id, config::BudgetPeriod period, Spend spent,
                        std::int64_t now_ms) {
  State* s = find(scope, id);
  if (!s) return false;
  std::lock_guard lock(s->mutex);
  roll(*s, now_ms);
  for (Line& line : s->lines) {
    if (line.budget.period == period) line.spent = std::max(line.spent, spent.in(line.budget.unit));
  }
  return true;
}

BudgetStatus BudgetLedger::status_of(const State& s, const Line& line, std::int64_t now_ms) {
  BudgetStatus st;
  st.scope = s.scope;
  st.id = s.id;
  st.tenant = s.tenant;
  st.budget = line.budget;
  st.spent = spent_now(line.spent, line.period_start_ms, line.budget.period, now_ms);
  st.held = s.held.in(line.budget.unit);
  st.remaining = std::max(0.0, line.budget.limit - st.spent - st.held);
  st.period_start_ms = period_start_ms(line.budget.period, now_ms);
  st.resets_at_ms = period_end_ms(line.budget.period, now_ms);
  st.soft_exceeded = st.spent > 0 && st.spent >= line.budget.soft_fraction * line.budget.limit;
  return st;
}

std::vector<BudgetStatus> BudgetLedger::remaining(BudgetScope scope, std::string_view id, std::int64_t now_ms) const {
  std::vector<BudgetStatus> out;
  const State* s = find(scope, id);
  if (!s) return out;
  std::lock_guard lock(s->mutex);
  for (const Line& line : s->lines) out.push_back(status_of(*s, line, now_ms));
  return out;
}

std::vector<BudgetStatus> BudgetLedger::statuses(std::int64_t now_ms) const {
  std::vector<BudgetStatus> out;
  const auto add = [&](const State& s) {
    std::lock_guard lock(s.mutex);
    for (const Line& line : s.lines) out.push_back(status_of(s, line, now_ms));
  };
  for (const auto& s : tenants_) add(*s);
  for (const auto& s : keys_) add(*s);
  return out;
}

std::uint64_t BudgetLedger::refusals(std::size_t tenant) const {
  return tenant < tenants_.size() ? tenants_[tenant]->refusals.load(std::memory_order_relaxed) : 0;
}

}  // namespace sluice::tenancy
