#include "sluice/tenancy/quota_ledger.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace sluice::tenancy {
namespace {

/// A bucket of `limit` per minute: kept (with its level) when there was one.
void set_bucket(std::optional<TokenBucket>& bucket, const std::optional<std::int64_t>& limit, core::TimePoint now) {
  if (!limit) bucket.reset();
  else if (bucket) bucket->set_limit(*limit, now);
  else bucket.emplace(*limit, now);
}

/// Sets a scope's limits; its in-flight count and leases stay.
void fill_scope(auto& scope, const config::TenantLimits& limits, core::TimePoint now) {
  set_bucket(scope.requests, limits.rpm, now);
  set_bucket(scope.tokens, limits.tpm, now);
  scope.max_concurrency = limits.max_concurrency;
  scope.rpm = limits.rpm.value_or(0);
  scope.tpm = limits.tpm.value_or(0);
  scope.divided_by = 1;
}

/// The lease taken ahead of time for a per-minute `limit`: at least one.
double lease_size(std::int64_t limit, double fraction) {
  return std::max(1.0, std::ceil(static_cast<double>(limit) * fraction));
}

std::int64_t floor_nonneg(double v) { return v <= 0 ? 0 : static_cast<std::int64_t>(std::floor(v)); }

/// A refusal for want of the shared bucket of `kind`.
void refuse_for(LeaseItem::Kind kind, AdmitDecision& d) {
  d.refusal = kind == LeaseItem::Kind::kRequests ? Refusal::kRequests
              : kind == LeaseItem::Kind::kTokens ? Refusal::kTokens
                                                 : Refusal::kConcurrency;
  d.retry_after = std::chrono::seconds(1);
  d.message = d.refusal == Refusal::kRequests ? "Rate limit reached for requests per minute. Please try again later."
              : d.refusal == Refusal::kTokens ? "Rate limit reached for tokens per minute. Please try again later."
                                              : "Too many concurrent requests. Please try again later.";
}

}  // namespace

std::string_view to_string(Refusal refusal) {
  switch (refusal) {
    case Refusal::kNone: return "none";
    case Refusal::kRequests: return "requests";
    case Refusal::kTokens: return "tokens";
    case Refusal::kTooLarge: return "too_large";
    case Refusal::kConcurrency: return "concurrency";
    case Refusal::kUnavailable: return "unavailable";
  }
  return "none";
}

QuotaLedger::QuotaLedger(const config::Config& config, core::TimePoint now, const QuotaLedger* previous)
    : sharing_(previous ? previous->sharing_ : nullptr) {
  tenants_.reserve(config.tenants.size());
  for (const auto& tenant : config.tenants) {
    std::shared_ptr<TenantQuota> q;
    if (previous) {
      for (const auto& old : previous->tenants_) {
        if (old->id == tenant.id) q = old;
      }
    }
    if (!q) {
      q = std::make_shared<TenantQuota>();
      q->id = tenant.id;
    }
    configure(*q, config, tenant, now);
    tenants_.push_back(std::move(q));
  }
}

void QuotaLedger::configure(TenantQuota& q, const config::Config& config, const config::Tenant& tenant,
                            core::TimePoint now) {
  std::lock_guard lock(q.mutex);
  fill_scope(q.all, tenant.limits, now);
  q.all.key = fmt::format("{}:{}", q.id.size(), q.id);
  q.per_model.resize(config.models.size());
  for (std::size_t m = 0; m < config.models.size(); ++m) {
    const config::TenantLimits* limits = tenant.limits_for(config.models[m].name);
    if (!limits) {
      // Requests in flight counted here finish on `all` alone.
      q.per_model[m].reset();
      continue;
    }
    if (!q.per_model[m]) q.per_model[m].emplace();
    fill_scope(*q.per_model[m], *limits, now);
    q.per_model[m]->key = fmt::format("{}:{}:{}", q.id.size(), q.id, config.models[m].name);
  }
}

int QuotaLedger::scopes(TenantQuota& q, std::size_t model, Scope* out[2]) {
  int n = 0;
  out[n++] = &q.all;
  if (model < q.per_model.size() && q.per_model[model]) out[n++] = &*q.per_model[model];
  return n;
}

RateLimitStatus QuotaLedger::status_locked(Scope* const* scopes, int n, core::TimePoint now) {
  RateLimitStatus s;
  // Keeps the bucket with the least left (the tightest scope).
  const auto tighter = [now](std::optional<TokenBucket>& bucket, std::optional<std::int64_t>& limit,
                             std::int64_t& remaining, core::Duration& reset) {
    if (!bucket) return;
    const std::int64_t left = floor_nonneg(bucket->available(now));
    if (limit && left >= remaining) return;
    limit = bucket->limit();
    remaining = left;
    reset = bucket->time_until_full(now);
  };
  // kLeased: what this replica holds plus what the shared bucket had at the last grant.
  const auto tighter_shared = [](std::int64_t rpm_or_tpm, double held, double left,
                                 std::optional<std::int64_t>& limit, std::int64_t& remaining, core::Duration& reset) {
    if (rpm_or_tpm <= 0) return;
    const std::int64_t now_left = std::min(rpm_or_tpm, floor_nonneg(held + left));
    if (limit && now_left >= remaining) return;
    limit = rpm_or_tpm;
    remaining = now_left;
    reset = std::chrono::duration_cast<core::Duration>(std::chrono::duration<double>(
        60.0 * static_cast<double>(rpm_or_tpm - now_left) / static_cast<double>(rpm_or_tpm)));
  };
  const bool leased = mode() == QuotaMode::kLeased;
  for (int i = 0; i < n; ++i) {
    Scope& sc = *scopes[i];
    if (leased) {
      tighter_shared(sc.rpm, sc.lease.requests, sc.lease.left_requests, s.limit_requests, s.remaining_requests,
                     s.reset_requests);
      tighter_shared(sc.tpm, sc.lease.tokens, sc.lease.left_tokens, s.limit_tokens, s.remaining_tokens,
                     s.reset_tokens);
      continue;
    }
    tighter(sc.requests, s.limit_requests, s.remaining_requests, s.reset_requests);
    tighter(sc.tokens, s.limit_tokens, s.remaining_tokens, s.reset_tokens);
  }
  return s;
}

void QuotaLedger::divide_limits(Scope* const* scopes, int n, core::TimePoint now) {
  const int replicas = sharing_ ? std::max(1, sharing_->replicas.load(std::memory_order_relaxed)) : 1;
  const std::uint64_t fallbacks = sharing_ ? sharing_->fallbacks.load(std::memory_order_relaxed) : 0;
  // A bucket refilled to `keep` at most (what the replica still held of its lease).
  const auto restart = [now](std::optional<TokenBucket>& b, double keep) {
    if (b) b->take_anyway(b->available(now) - std::max(0.0, keep), now);
  };
  for (int i = 0; i < n; ++i) {
    Scope& s = *scopes[i];
    if (s.divided_by == replicas && s.fallbacks_seen == fallbacks) continue;
    if (s.requests) s.requests->set_limit(std::max<std::int64_t>(1, s.rpm / replicas), now);
    if (s.tokens) s.tokens->set_limit(std::max<std::int64_t>(1, s.tpm / replicas), now);
    if (s.fallbacks_seen != fallbacks) {  // just fell back: start from the lease, not from full buckets
      restart(s.requests, s.lease.requests);
      restart(s.tokens, s.lease.tokens);
      // What the buckets took is spent; a debt stays: the shortfalls of
      // admissions still waiting for Redis, settled when their answer comes.
      s.lease.requests = std::min(0.0, s.lease.requests);
      s.lease.tokens = std::min(0.0, s.lease.tokens);
      s.fallbacks_seen = fallbacks;
    }
    s.divided_by = replicas;
  }
}

void QuotaLedger::admit_leased(Scope* const* scopes, int n, std::int64_t tokens, core::TimePoint now,
                               AdmitDecision& d) {
  const double fraction = sharing_->lease_fraction;
  const double need_tokens = static_cast<double>(tokens);
  // The request is counted at once and its share taken from the leases,
  // below zero where they fall short. What is short beyond what pending
  // admissions already asked for (and any debt of overruns) is this
  // request's to ask: so a grant is never taken by another request, and
  // each ask is exactly one request's shortfall.
  LeaseNeed need;
  for (int i = 0; i < n; ++i) {
    Scope& s = *scopes[i];
    Lease& l = s.lease;
    const auto ask = [&](LeaseItem::Kind kind, const char* suffix, std::int64_t limit, double shortfall,
                         double ahead) {
      if (shortfall <= 0) return;
      need.items.push_back(LeaseItem{kind, i, s.key + suffix, limit, shortfall, std::max(shortfall, ahead)});
    };
    if (s.requests) {
      l.requests -= 1.0;
      const double shortfall = -l.requests - l.pending_requests;
      ask(LeaseItem::Kind::kRequests, ":rpm", s.rpm, shortfall, lease_size(s.rpm, fraction));
      l.pending_requests += std::max(0.0, shortfall);
    }
    if (s.tokens) {
      l.tokens -= need_tokens;
      const double shortfall = -l.tokens - l.pending_tokens;
      ask(LeaseItem::Kind::kTokens, ":tpm", s.tpm, shortfall, lease_size(s.tpm, fraction));
      l.pending_tokens += std::max(0.0, shortfall);
    }
    ++s.in_flight;
    if (s.max_concurrency) {
      const std::int64_t shortfall = s.in_flight - l.slots - l.pending_slots;
      ask(LeaseItem::Kind::kSlots, ":conc", *s.max_concurrency, static_cast<double>(shortfall),
          lease_size(*s.max_concurrency, fraction));
      l.pending_slots += std::max<std::int64_t>(0, shortfall);
    }
    l.last_used = now;
  }
  if (!need.items.empty()) {
    refuse_for(need.items.front().kind, d);
    d.lease = std::move(need);
    return;
  }
  d.reserved_tokens = tokens;
}

AdmitDecision QuotaLedger::admit_granted(std::size_t tenant, std::size_t model, std::int64_t tokens,
                                         const LeaseNeed& need, const LeaseGrant& grant, core::TimePoint now) {
  if (!grant.granted) {
    release(tenant, model, tokens, need);
    AdmitDecision d;
    refuse_for(need.items.empty() ? LeaseItem::Kind::kRequests : need.items.front().kind, d);
    d.retry_after = std::max<core::Duration>(std::chrono::milliseconds(grant.retry_after_ms),
                                             std::chrono::milliseconds(1));
    d.status = status(tenant, model, now);
    return d;
  }
  if (tenant >= tenants_.size()) return {};
  TenantQuota& q = *tenants_[tenant];
  std::lock_guard lock(q.mutex);
  Scope* sc[2];
  const int n = scopes(q, model, sc);
  settle(sc, n, need, &grant, now);
  AdmitDecision d;
  d.reserved_tokens = tokens;
  d.status = status_locked(sc, n, now);
  return d;
}

void QuotaLedger::release(std::size_t tenant, std::size_t model, std::int64_t tokens, const LeaseNeed& need) {
  if (tenant >= tenants_.size()) return;
  TenantQuota& q = *tenants_[tenant];
  std::lock_guard lock(q.mutex);
  Scope* sc[2];
  const int n = scopes(q, model, sc);
  settle(sc, n, need, nullptr, core::TimePoint{});
  // What it took from the leases goes back, whatever the mode: a fall-back
  // meanwhile kept the leases' debt, which this share is part of.
  for (int i = 0; i < n; ++i) {
    if (sc[i]->requests) sc[i]->lease.requests += 1.0;
    if (sc[i]->tokens) sc[i]->lease.tokens += static_cast<double>(tokens);
    if (sc[i]->in_flight > 0) --sc[i]->in_flight;
  }
}

void QuotaLedger::settle(Scope* const* sc, int n, const LeaseNeed& need, const LeaseGrant* grant,
                         core::TimePoint now) {
  for (std::size_t i = 0; i < need.items.size(); ++i) {
    const LeaseItem& item = need.items[i];
    if (item.scope >= n) continue;
    Lease& lease = sc[item.scope]->lease;
    const bool got = grant && i < grant->amounts.size();
    const double amount = got ? grant->amounts[i] : 0.0;
    const double left = got && i < grant->left.size() ? grant->left[i] : 0.0;
    // A rate's ask is no longer pending; what was granted joins the lease.
    const auto settle_rate = [&](double& held, double& pending, double& shared_left) {
      pending = std::max(0.0, pending - item.need);
      if (!got) return;
      held += amount;
      shared_left = left;
    };
    switch (item.kind) {
      case LeaseItem::Kind::kRequests:
        settle_rate(lease.requests, lease.pending_requests, lease.left_requests);
        break;
      case LeaseItem::Kind::kTokens:
        settle_rate(lease.tokens, lease.pending_tokens, lease.left_tokens);
        break;
      case LeaseItem::Kind::kSlots:
        lease.pending_slots = std::max<std::int64_t>(0, lease.pending_slots - static_cast<std::int64_t>(item.need));
        if (got) lease.slots += static_cast<std::int64_t>(amount);
        break;
    }
    if (got) lease.last_used = now;
  }
}

std::vector<LeaseReturn> QuotaLedger::collect_returns(core::TimePoint now, core::Duration idle) {
  std::vector<LeaseReturn> out;
  if (mode() != QuotaMode::kLeased) return out;
  const double fraction = sharing_->lease_fraction;
  const auto collect = [&](Scope& s) {
    Lease& lease = s.lease;
    const bool is_idle = now - lease.last_used >= idle;
    if (is_idle) {
      if (s.rpm > 0 && lease.requests != 0) out.push_back({LeaseItem::Kind::kRequests, s.key + ":rpm", s.rpm, lease.requests});
      if (s.tpm > 0 && lease.tokens != 0) out.push_back({LeaseItem::Kind::kTokens, s.key + ":tpm", s.tpm, lease.tokens});
      lease.requests = lease.tokens = 0;
    }
    // Spare slots beyond one lease go back at once (others may need them), the rest when idle.
    const auto keep = is_idle || !s.max_concurrency
                          ? std::int64_t{0}
                          : static_cast<std::int64_t>(lease_size(*s.max_concurrency, fraction));
    if (const std::int64_t spare = lease.slots - s.in_flight - keep; spare > 0) {
      out.push_back({LeaseItem::Kind::kSlots, s.key + ":conc", s.max_concurrency.value_or(0),
                     static_cast<double>(spare)});
      lease.slots -= spare;
    }
  };
  for (const auto& q : tenants_) {
    std::lock_guard lock(q->mutex);
    collect(q->all);
    for (auto& m : q->per_model) {
      if (m) collect(*m);
    }
  }
  return out;
}

AdmitDecision QuotaLedger::admit(std::size_t tenant, std::size_t model, std::int64_t tokens, core::TimePoint now) {
  if (tenant >= tenants_.size()) return {};
  TenantQuota& q = *tenants_[tenant];
  std::lock_guard lock(q.mutex);
  return admit_locked(q, model, tokens, now);
}

AdmitDecision QuotaLedger::admit_locked(TenantQuota& q, std::size_t model, std::int64_t tokens, core::TimePoint now) {
  AdmitDecision d;
  Scope* sc[2];
  const int n = scopes(q, model, sc);
  const double need = static_cast<double>(tokens);
  // First what can never pass, whatever the buckets hold: waiting cannot help it.
  for (int i = 0; i < n && d.admitted(); ++i) {
    if (auto& b = sc[i]->tokens; b && tokens > b->limit()) {
      d.refusal = Refusal::kTooLarge;
      d.message = fmt::format("Request too large: it needs about {} tokens (prompt + max_tokens) but the limit is {} "
                              "tokens per minute{}. Lower max_tokens or shorten the prompt.",
                              tokens, b->limit(), i == 0 ? "" : " for this model");
    }
  }
  const QuotaMode mode = this->mode();
  if (d.admitted() && mode == QuotaMode::kClosed) {
    for (int i = 0; i < n && d.admitted(); ++i) {
      if (sc[i]->requests || sc[i]->tokens || sc[i]->max_concurrency) {
        d.refusal = Refusal::kUnavailable;
        d.retry_after = std::chrono::seconds(1);
        d.message = "Rate limits are shared between gateway replicas and their shared state is unreachable; "
                    "please try again shortly.";
      }
    }
  }
  if (d.admitted() && mode == QuotaMode::kLeased) {
    admit_leased(sc, n, tokens, now, d);
    d.status = status_locked(sc, n, now);
    return d;
  }
  if (mode == QuotaMode::kLocal) divide_limits(sc, n, now);
  const int replicas = mode == QuotaMode::kLocal && sharing_ ? std::max(1, sharing_->replicas.load()) : 1;
  for (int i = 0; i < n && d.admitted(); ++i) {
    const Scope& s = *sc[i];
    if (s.max_concurrency && s.in_flight >= std::max<std::int64_t>(1, *s.max_concurrency / replicas)) {
      d.refusal = Refusal::kConcurrency;
      d.retry_after = std::chrono::seconds(1);
      d.message = fmt::format("Too many concurrent requests: the limit is {} in flight{}.", *s.max_concurrency,
                              i == 0 ? "" : " for this model");
    }
  }
  if (d.admitted()) {
    core::Duration wait_requests{}, wait_tokens{};
    for (int i = 0; i < n; ++i) {
      if (auto& b = sc[i]->requests) wait_requests = std::max(wait_requests, b->time_until(1.0, now));
      if (auto& b = sc[i]->tokens) wait_tokens = std::max(wait_tokens, b->time_until(need, now));
    }
    if (wait_requests > core::Duration::zero() || wait_tokens > core::Duration::zero()) {
      const bool requests = wait_requests >= wait_tokens;
      d.refusal = requests ? Refusal::kRequests : Refusal::kTokens;
      d.retry_after = std::max(wait_requests, wait_tokens);
      d.message = requests ? std::string("Rate limit reached for requests per minute. Please try again later.")
                           : std::string("Rate limit reached for tokens per minute. Please try again later.");
    }
  }
  if (d.admitted()) {
    for (int i = 0; i < n; ++i) {
      if (auto& b = sc[i]->requests) b->take_anyway(1.0, now);
      if (auto& b = sc[i]->tokens) b->take_anyway(need, now);
      ++sc[i]->in_flight;
    }
    d.reserved_tokens = tokens;
  }
  d.status = status_locked(sc, n, now);
  return d;
}

void QuotaLedger::finish(std::size_t tenant, std::size_t model, std::int64_t reserved_tokens, std::int64_t used_tokens,
                         core::TimePoint now) {
  if (tenant >= tenants_.size()) return;
  TenantQuota& q = *tenants_[tenant];
  std::lock_guard lock(q.mutex);
  Scope* sc[2];
  const int n = scopes(q, model, sc);
  const double delta = static_cast<double>(used_tokens - reserved_tokens);
  const bool leased = mode() == QuotaMode::kLeased;
  for (int i = 0; i < n; ++i) {
    if (leased) sc[i]->lease.last_used = now;
    if (leased && sc[i]->tokens) {
      sc[i]->lease.tokens -= delta;  // unused tokens stay in the lease; an overrun is owed
    } else if (auto& b = sc[i]->tokens) {
      if (delta < 0) b->give_back(-delta, now);
      else if (delta > 0) b->take_anyway(delta, now);
    }
    if (sc[i]->in_flight > 0) --sc[i]->in_flight;
  }
}

RateLimitStatus QuotaLedger::status(std::size_t tenant, std::size_t model, core::TimePoint now) {
  if (tenant >= tenants_.size()) return {};
  TenantQuota& q = *tenants_[tenant];
  std::lock_guard lock(q.mutex);
  Scope* sc[2];
  const int n = scopes(q, model, sc);
  return status_locked(sc, n, now);
}

std::int64_t QuotaLedger::in_flight(std::size_t tenant) const {
  if (tenant >= tenants_.size()) return 0;
  std::lock_guard lock(tenants_[tenant]->mutex);
  return tenants_[tenant]->all.in_flight;
}

std::string format_reset(core::Duration d) {
  using namespace std::chrono;
  if (d <= core::Duration::zero()) return "0s";
  // Buckets add a nanosecond to every wait so it is never early; round it
  // away here (a full minute reads "1m0s", not "1m1s").
  const auto ms = (d.count() + 999'999 - 1) / 1'000'000;  // ms, rounded up, ignoring the last ns
  if (ms < 1000) return fmt::format("{}ms", std::max<std::int64_t>(1, ms));
  if (ms < 60'000) {
    const std::string text = fmt::format("{:.3f}", static_cast<double>(ms) / 1000.0);
    std::string trimmed = text.substr(0, text.find_last_not_of('0') + 1);
    if (trimmed.ends_with('.')) trimmed.pop_back();
    return trimmed + "s";
  }
  const auto whole = (ms + 999) / 1000;
  return fmt::format("{}m{}s", whole / 60, whole % 60);
}

}  // namespace sluice::tenancy
