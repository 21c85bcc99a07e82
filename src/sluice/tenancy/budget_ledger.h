#pragma once
/// Spend caps (config::Budget): per tenant, and per API key for keys that
/// have budgets of their own. A request must pass its tenant's budgets and
/// its key's.
///
/// At admission the request's worst case — input estimate + max_tokens (or
/// the model's default), in tokens and in dollars at the model's prices —
/// is HELD; it is refused when spent + held + its own worst case would pass
/// a budget's limit. When it ends it is settled: the hold is released and
/// what it really used is added to `spent`. So while worst cases hold,
/// spent never passes the limit; it can only by what requests in flight use
/// beyond their hold (a prompt longer than its estimate), which is the
/// documented overshoot bound.
///
/// Holds belong to a scope, not to one budget or period: a request held
/// before midnight and settled after counts in the new day. `spent` resets
/// at the start of each UTC day or month (never for `total`).
///
/// A config reload builds a new ledger from the previous one: a tenant or
/// key that stays (same id) keeps its state object, shared by both ledgers,
/// with its budgets replaced in place; a budget of the same unit and period
/// keeps what was spent. New scopes start at 0 until seed() says otherwise.
///
/// Pure: time comes in as unix milliseconds, no I/O. Thread-safety: every
/// member may be called from any thread; each scope has its own short
/// critical section (admission locks a tenant's, then its key's).
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/config/config.h"

namespace sluice::tenancy {

/// Tokens and US dollars: what a request may cost or did cost.
struct Spend {
  std::int64_t tokens = 0;
  double usd = 0;
  /// The amount in a budget's unit.
  double in(config::BudgetUnit unit) const {
    return unit == config::BudgetUnit::kUsd ? usd : static_cast<double>(tokens);
  }
  bool operator==(const Spend&) const = default;
};

enum class BudgetScope { kTenant, kKey };
std::string_view to_string(BudgetScope scope);  // "tenant", "key"

/// A hold at admission: what settle() needs. Empty when nothing was held
/// (no budgets apply).
struct BudgetTicket {
  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  std::size_t tenant = kNone;  // tenant scope index, when it has budgets
  std::size_t key = kNone;     // key scope index, when the key has budgets
  Spend held;
  bool empty() const { return tenant == kNone && key == kNone; }
};

struct BudgetAdmit {
  bool admitted = true;
  /// When refused: names the budget (tenant or key, limit, unit, period) and when it resets.
  std::string message;
  /// When refused: the budget's next reset, unix ms; 0 = never (a total budget).
  std::int64_t resets_at_ms = 0;
  BudgetTicket ticket;  // when admitted
};

/// One budget of one scope right now.
struct BudgetStatus {
  BudgetScope scope = BudgetScope::kTenant;
  std::string id;      // tenant id or key id
  std::string tenant;  // the tenant id (the key's tenant for a key scope)
  config::Budget budget;
  double spent = 0;      // in the current period
  double held = 0;       // by requests in flight
  double remaining = 0;  // limit - spent - held, at least 0
  std::int64_t period_start_ms = 0;  // 0 for total
  std::int64_t resets_at_ms = 0;     // 0 = never
  bool soft_exceeded = false;        // spent >= soft_fraction × limit
};

/// A budget whose soft threshold the settled spend just crossed: once per
/// budget and period (and once more after a restart or a change of its
/// limit), for a metric and an audit event.
struct SoftCrossing {
  BudgetScope scope = BudgetScope::kTenant;
  std::string id;
  std::string tenant;
  config::Budget budget;
  double spent = 0;
};

/// Where a period that holds `now_ms` started, unix ms (0 for total).
std::int64_t period_start_ms(config::BudgetPeriod period, std::int64_t now_ms);
/// When the period holding `now_ms` ends, unix ms (0 = never, for total).
std::int64_t period_end_ms(config::BudgetPeriod period, std::int64_t now_ms);
/// RFC 3339 in UTC, whole seconds: "2027-01-01T00:00:00Z".
std::string rfc3339_utc(std::int64_t unix_ms);

class BudgetLedger {
 public:
  /// Tenants by their index in `config`; key scopes for the keys (with an
  /// id) that have budgets. With `previous` (the ledger this one replaces):
  /// tenants and keys found there by id keep their state.
  BudgetLedger(const config::Config& config, std::int64_t now_ms, const BudgetLedger* previous = nullptr);

  /// Whether any tenant or key has a budget (else admit() always passes).
  bool any() const { return any_; }
  /// The key scope of `key_id`, if that key has budgets.
  std::optional<std::size_t> key_scope(std::string_view key_id) const;

  /// Holds `worst_case` against the tenant's budgets and the key's (`key`
  /// from key_scope), or refuses naming the first budget it would pass.
  BudgetAdmit admit(std::size_t tenant, std::optional<std::size_t> key, Spend worst_case, std::int64_t now_ms);
  /// Releases the ticket's hold and adds `used`; the soft thresholds this crossed.
  std::vector<SoftCrossing> settle(const BudgetTicket& ticket, Spend used, std::int64_t now_ms);

  /// What the durable ledger recorded for the scope in the current `period`
  /// (per `now_ms`): raises spent to it in every budget of that period (it
  /// never lowers it: settles counted here may not be written there yet).
  /// False when the scope is not in this ledger.
  bool seed(BudgetScope scope, std::string_view id, config::BudgetPeriod period, Spend spent, std::int64_t now_ms);

  /// The budgets of one scope (empty when unknown or without budgets).
  std::vector<BudgetStatus> remaining(BudgetScope scope, std::string_view id, std::int64_t now_ms) const;
  /// Every budget of every scope, tenants first (for /metrics).
  std::vector<BudgetStatus> statuses(std::int64_t now_ms) const;
  /// Requests refused for a budget, per tenant index (its key scopes' included).
  std::uint64_t refusals(std::size_t tenant) const;

 private:
  struct Line {
    config::Budget budget;
    double spent = 0;
    std::int64_t period_start_ms = 0;
    bool soft_reported = false;
  };
  struct State {
    BudgetScope scope = BudgetScope::kTenant;
    std::string id;       // fixed
    std::string tenant;   // fixed for a key (its tenant); = id for a tenant
    mutable std::mutex mutex;
    std::vector<Line> lines;  // under mutex
    Spend held;               // under mutex
    std::atomic<std::uint64_t> refusals{0};
  };

  static std::shared_ptr<State> reuse(const std::vector<std::shared_ptr<State>>* old, std::string_view id);
  static void configure(State& s, const std::vector<config::Budget>& budgets, std::int64_t now_ms);
  static void roll(State& s, std::int64_t now_ms);  // under s.mutex
  static BudgetStatus status_of(const State& s, const Line& line, std::int64_t now_ms);  // under s.mutex
  /// The refusal for `s`, if `need` does not fit one of its budgets (under s.mutex).
  static std::optional<BudgetAdmit> check(const State& s, Spend need, std::int64_t now_ms);
  static void settle_one(State& s, const Spend& held, const Spend& used, std::int64_t now_ms,
                         std::vector<SoftCrossing>& crossed);
  State* find(BudgetScope scope, std::string_view id) const;

  std::vector<std::shared_ptr<State>> tenants_;  // by config index; shared with later ledgers
  std::vector<bool> tenant_has_budgets_;         // by config index, as configured here
  std::vector<std::shared_ptr<State>> keys_;     // keys with budgets
  std::vector<std::size_t> key_tenant_;          // by key scope: its tenant's config index
  std::map<std::string, std::size_t, std::less<>> key_index_;
  bool any_ = false;
};

}  // namespace sluice::tenancy
