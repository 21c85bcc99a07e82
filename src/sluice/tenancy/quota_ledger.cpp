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

/// Sets a scope's limits; its in-flight count stays.
void fill_scope(auto& scope, const config::TenantLimits& limits, core::TimePoint now) {
  set_bucket(scope.requests, limits.rpm, now);
  set_bucket(scope.tokens, limits.tpm, now);
  scope.max_concurrency = limits.max_concurrency;
}

std::int64_t floor_nonneg(double v) { return v <= 0 ? 0 : static_cast<std::int64_t>(std::floor(v)); }

}  // namespace

std::string_view to_string(Refusal refusal) {
  switch (refusal) {
    case Refusal::kNone: return "none";
    case Refusal::kRequests: return "requests";
    case Refusal::kTokens: return "tokens";
    case Refusal::kTooLarge: return "too_large";
    case Refusal::kConcurrency: return "concurrency";
  }
  return "none";
}

QuotaLedger::QuotaLedger(const config::Config& config, core::TimePoint now, const QuotaLedger* previous) {
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
  for (int i = 0; i < n; ++i) {
    tighter(scopes[i]->requests, s.limit_requests, s.remaining_requests, s.reset_requests);
    tighter(scopes[i]->tokens, s.limit_tokens, s.remaining_tokens, s.reset_tokens);
  }
  return s;
}

AdmitDecision QuotaLedger::admit(std::size_t tenant, std::size_t model, std::int64_t tokens, core::TimePoint now) {
  AdmitDecision d;
  if (tenant >= tenants_.size()) return d;
  TenantQuota& q = *tenants_[tenant];
  std::lock_guard lock(q.mutex);
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
  for (int i = 0; i < n && d.admitted(); ++i) {
    const Scope& s = *sc[i];
    if (s.max_concurrency && s.in_flight >= *s.max_concurrency) {
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
  for (int i = 0; i < n; ++i) {
    if (auto& b = sc[i]->tokens) {
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
