#pragma once
/// Admission quotas: per tenant, and per tenant × model where the config has
/// `model_limits`. Each scope has a requests-per-minute and a tokens-per-
/// minute bucket and a cap on admitted, unfinished requests; a request must
/// pass every scope that applies to it.
///
/// Tokens are reserved at admission (input estimate + max_tokens or the
/// model's default) and reconciled with the real usage when the request
/// ends: unused tokens go back, overruns are taken (the bucket may go below
/// zero), so a burst of long requests cannot overshoot the limit and short
/// ones are not over-charged.
///
/// A config reload builds a new ledger from the previous one: a tenant that
/// stays (same id) keeps its state object, shared by both ledgers, with its
/// limits changed in place — bucket levels and the in-flight count carry
/// over, so requests admitted under the old ledger still finish on the
/// same counts. A new tenant, or a scope a tenant did not have before,
/// starts with full buckets.
///
/// Several replicas (quota_sharing.h): with a QuotaSharing in kLeased mode
/// the buckets are shared through Redis and this ledger admits from its
/// leases, asking for more with AdmitDecision::lease; in kLocal mode every
/// limit is divided by the live replicas.
///
/// Pure (time comes in as arguments). Thread-safety: every member may be
/// called from any thread; each tenant has its own short critical section.
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "sluice/config/config.h"
#include "sluice/core/clock.h"
#include "sluice/tenancy/quota_sharing.h"
#include "sluice/tenancy/token_bucket.h"

namespace sluice::tenancy {

enum class Refusal {
  kNone,
  kRequests,     // requests per minute used up
  kTokens,       // tokens per minute used up
  kTooLarge,     // the request alone needs more than the tokens-per-minute limit (checked first: waiting cannot help)
  kConcurrency,  // max_concurrency admitted requests unfinished
  kUnavailable,  // the limits are shared through Redis, which is unreachable, and the fallback is `closed`
};
std::string_view to_string(Refusal refusal);

/// What the OpenAI `x-ratelimit-*` headers say, for the tightest scope.
struct RateLimitStatus {
  std::optional<std::int64_t> limit_requests;  // absent: no requests-per-minute limit
  std::int64_t remaining_requests = 0;
  core::Duration reset_requests{};             // until the bucket is full again
  std::optional<std::int64_t> limit_tokens;    // absent: no tokens-per-minute limit
  std::int64_t remaining_tokens = 0;
  core::Duration reset_tokens{};
};

struct AdmitDecision {
  Refusal refusal = Refusal::kNone;
  /// When refused: how long until it could pass (0 = never as it is: too large).
  core::Duration retry_after{};
  std::string message;  // for the 429 body
  RateLimitStatus status;
  std::int64_t reserved_tokens = 0;  // when admitted: to pass back to finish()
  /// Held for want of a lease (kLeased): what to take from the shared
  /// buckets. The request is already counted — in flight, its share taken
  /// from the leases — so no other request of this replica can take what it
  /// waits for; settle it with admit_granted() (the answer) or release()
  /// (no answer). Until then admitted() is false.
  std::optional<LeaseNeed> lease;
  bool admitted() const { return refusal == Refusal::kNone; }
  bool pending() const { return lease.has_value(); }
};

class QuotaLedger {
 public:
  /// Tenants and models by their index in `config`. With `previous` (the
  /// ledger of the config this one replaces, same model list): tenants found
  /// there by id keep their state, reconfigured to `config`'s limits.
  QuotaLedger(const config::Config& config, core::TimePoint now, const QuotaLedger* previous = nullptr);

  /// Admits a request needing `tokens` (estimate) or says why not.
  AdmitDecision admit(std::size_t tenant, std::size_t model, std::int64_t tokens, core::TimePoint now);
  /// The admitted request ended having used `used_tokens` (0 when it never
  /// ran: refused later, client gone, upstream failed before any token).
  void finish(std::size_t tenant, std::size_t model, std::int64_t reserved_tokens, std::int64_t used_tokens,
              core::TimePoint now);
  RateLimitStatus status(std::size_t tenant, std::size_t model, core::TimePoint now);
  /// Admitted, unfinished requests of the tenant (all models).
  std::int64_t in_flight(std::size_t tenant) const;

  /// Shares this ledger's limits with other replicas (null: alone). Ledgers
  /// built from this one (reloads) share the same way.
  void share(std::shared_ptr<QuotaSharing> sharing) { sharing_ = std::move(sharing); }
  const std::shared_ptr<QuotaSharing>& sharing() const { return sharing_; }
  /// Settles a pending admission with the shared buckets' answer: granted,
  /// the grant joins the leases and the request is admitted; refused, the
  /// hold is released and the request refused until `grant.retry_after_ms`.
  AdmitDecision admit_granted(std::size_t tenant, std::size_t model, std::int64_t tokens, const LeaseNeed& need,
                              const LeaseGrant& grant, core::TimePoint now);
  /// Releases a pending admission that got no answer (Redis failed): what
  /// it held goes back, and it is no longer in flight.
  void release(std::size_t tenant, std::size_t model, std::int64_t tokens, const LeaseNeed& need);
  /// kLeased: the leases of tenants idle for `idle` and every spare slot,
  /// taken out of this ledger to go back to the shared buckets.
  std::vector<LeaseReturn> collect_returns(core::TimePoint now, core::Duration idle);

 private:
  /// kLeased: what this replica holds of the shared buckets.
  struct Lease {
    double requests = 0;
    double tokens = 0;          // negative: used beyond reservations, owed
    std::int64_t slots = 0;
    double left_requests = 0;   // the shared buckets after the last grant
    double left_tokens = 0;
    // Asked of the shared buckets by pending admissions, not answered yet.
    double pending_requests = 0;
    double pending_tokens = 0;
    std::int64_t pending_slots = 0;
    core::TimePoint last_used{};
  };
  struct Scope {
    std::optional<TokenBucket> requests;
    std::optional<TokenBucket> tokens;
    std::optional<std::int64_t> max_concurrency;
    std::int64_t in_flight = 0;
    std::int64_t rpm = 0, tpm = 0;  // the configured limits (0: none)
    int divided_by = 1;             // kLocal: the buckets hold rpm and tpm divided by this
    std::uint64_t fallbacks_seen = 0;  // QuotaSharing::fallbacks when the buckets were last set
    std::string key;                // this scope's name in the shared buckets
    Lease lease;
  };
  struct TenantQuota {
    std::string id;  // the tenant's id; fixed
    mutable std::mutex mutex;
    Scope all;
    std::vector<std::optional<Scope>> per_model;  // by model index; set where model_limits say
  };

  /// The scopes that apply to (tenant, model): 1 or 2.
  int scopes(TenantQuota& q, std::size_t model, Scope* out[2]);
  RateLimitStatus status_locked(Scope* const* scopes, int n, core::TimePoint now);
  AdmitDecision admit_locked(TenantQuota& q, std::size_t model, std::int64_t tokens, core::TimePoint now);
  /// Settles a pending admission's asks: adds the grant (if any) to the leases.
  void settle(Scope* const* scopes, int n, const LeaseNeed& need, const LeaseGrant* grant, core::TimePoint now);
  QuotaMode mode() const { return sharing_ ? sharing_->mode.load(std::memory_order_relaxed) : QuotaMode::kLocal; }
  /// kLocal: sets the scopes' buckets to their limits divided by the live replicas.
  void divide_limits(Scope* const* scopes, int n, core::TimePoint now);
  /// kLeased: takes from the leases; where they fall short, holds the
  /// request and says what is missing.
  void admit_leased(Scope* const* scopes, int n, std::int64_t tokens, core::TimePoint now, AdmitDecision& d);

  /// Sets `q`'s limits to `tenant`'s in `config` (under q's lock).
  static void configure(TenantQuota& q, const config::Config& config, const config::Tenant& tenant,
                        core::TimePoint now);

  std::vector<std::shared_ptr<TenantQuota>> tenants_;  // by config index; shared with later ledgers
  std::shared_ptr<QuotaSharing> sharing_;
};

/// OpenAI's reset format: "20ms", "1s", "6m0s".
std::string format_reset(core::Duration d);

}  // namespace sluice::tenancy
