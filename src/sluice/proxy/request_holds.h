#pragma once
/// What a completion request holds while it runs, each given back however
/// the request ends: its place in the in-flight gauge, its quota
/// reservation, its budget hold, its slot on an instance, its retry-budget
/// share, and (for a stream) the seams of its continuations. Used by
/// handle_completion only.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "sluice/core/clock.h"
#include "sluice/obs/gateway_metrics.h"
#include "sluice/proxy/budgets.h"
#include "sluice/proxy/model_pool.h"
#include "sluice/proxy/request_context.h"
#include "sluice/proxy/stream_continuation.h"
#include "sluice/proxy/upstream_exchange.h"
#include "sluice/route/retry_budget.h"
#include "sluice/tenancy/budget_ledger.h"
#include "sluice/tenancy/quota_ledger.h"

namespace sluice::proxy {

/// Counts a request in the gateway's in-flight gauge while it runs.
class InFlight {
 public:
  explicit InFlight(obs::GatewayMetrics& metrics) : metrics_(metrics) {
    metrics_.requests_in_flight.fetch_add(1, std::memory_order_relaxed);
  }
  ~InFlight() { metrics_.requests_in_flight.fetch_sub(1, std::memory_order_relaxed); }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;

 private:
  obs::GatewayMetrics& metrics_;
};

/// Tokens the request used so far: the engine's usage, or what was streamed
/// when the usage never came (the client or the engine went away).
inline std::int64_t used_output(const RequestContext& rc) { return std::max(rc.completion_tokens, rc.streamed_tokens); }

/// An admitted request's quota reservation, reconciled with its real usage
/// when the request ends, however it ends.
class QuotaHold {
 public:
  QuotaHold(tenancy::QuotaLedger& ledger, const RequestContext& rc, std::size_t model, std::int64_t reserved)
      : ledger_(ledger), rc_(rc), model_(model), reserved_(reserved) {}
  ~QuotaHold() {
    const std::int64_t used = rc_.status == 200 || rc_.streamed_tokens > 0 ? rc_.prompt_tokens + used_output(rc_) : 0;
    ledger_.finish(rc_.tenant->index, model_, reserved_, used,
                   core::steady_now());
  }
  QuotaHold(const QuotaHold&) = delete;
  QuotaHold& operator=(const QuotaHold&) = delete;

 private:
  tenancy::QuotaLedger& ledger_;
  const RequestContext& rc_;
  std::size_t model_;
  std::int64_t reserved_;
};

/// An admitted request's budget hold (its worst case), settled with what it
/// is charged when the request ends, however it ends (success, error,
/// client gone, after retries).
class SpendHold {
 public:
  SpendHold(tenancy::BudgetLedger& ledger, const tenancy::BudgetTicket& ticket, const RequestContext& rc,
            const config::Model& model, const GatewayContext& ctx)
      : ledger_(ledger), ticket_(ticket), rc_(rc), model_(model), ctx_(ctx) {}
  ~SpendHold() {
    const tenancy::Spend used =
        charged(model_, rc_.status, rc_.prompt_tokens, rc_.completion_tokens, rc_.streamed_tokens);
    const auto crossed = ledger_.settle(ticket_, used, unix_now_ms());
    if (!crossed.empty()) report_soft_crossings(ctx_, crossed);
  }
  SpendHold(const SpendHold&) = delete;
  SpendHold& operator=(const SpendHold&) = delete;

 private:
  tenancy::BudgetLedger& ledger_;
  tenancy::BudgetTicket ticket_;
  const RequestContext& rc_;
  const config::Model& model_;
  const GatewayContext& ctx_;
};

/// A granted slot on an instance, given back to the model's scheduler with
/// the real usage when the request ends.
class SlotHold {
 public:
  SlotHold(ModelPool& pool, std::uint64_t id, std::shared_ptr<balance::Instance> instance, const RequestContext& rc)
      : pool_(pool), id_(id), instance_(std::move(instance)), rc_(rc) {}
  ~SlotHold() { pool_.release(id_, *instance_, rc_.prompt_tokens, used_output(rc_)); }
  balance::Instance& instance() { return *instance_; }
  /// Moves the slot to another instance (see ModelPool::move_to_another).
  bool move_to_another(std::span<const std::uint64_t> tried) {
    auto next = pool_.move_to_another(id_, *instance_, tried);
    if (!next) return false;
    instance_ = std::move(next);
    return true;
  }
  SlotHold(const SlotHold&) = delete;
  SlotHold& operator=(const SlotHold&) = delete;

 private:
  ModelPool& pool_;
  std::uint64_t id_;
  std::shared_ptr<balance::Instance> instance_;
  const RequestContext& rc_;
};

/// A request counted in its model's retry budget, and the retry it has in
/// flight, if any.
class BudgetHold {
 public:
  explicit BudgetHold(route::RetryBudget& budget) : budget_(budget) { budget_.request_started(); }
  ~BudgetHold() {
    end_retry();
    budget_.request_finished();
  }
  bool start_retry(const config::RetryPolicy& policy) {
    retrying_ = budget_.try_start_retry(policy);
    return retrying_;
  }
  void end_retry() {
    if (retrying_) budget_.retry_finished();
    retrying_ = false;
  }
  BudgetHold(const BudgetHold&) = delete;
  BudgetHold& operator=(const BudgetHold&) = delete;

 private:
  route::RetryBudget& budget_;
  bool retrying_ = false;
};

/// A streamed request across its continuations: the transcript of what the
/// client received, the first tries' body, and the splicer of the
/// continuation in flight, which `plan` points at.
class StreamSeams {
 public:
  /// Keeps a transcript of `plan`'s stream only when a continuation may
  /// follow: it costs a parse per event.
  StreamSeams(ExchangePlan& plan, bool may_continue) : plan_(plan) {
    if (plan.stream && may_continue) plan.transcript = &transcript_;
  }
  /// What to do with the stream that just broke.
  SeamStep next(ApiKind kind, const SeamLimits& limits) const {
    return next_seam_step(transcript_, plan_.splicer ? original_body_ : plan_.body, kind, limits);
  }
  /// Points the plan at a continuation sending `body`, spliced after what
  /// was relayed so far.
  void begin_continuation(std::string body, std::int64_t prompt_tokens) {
    if (!plan_.splicer) original_body_ = std::move(plan_.body);
    plan_.body = std::move(body);
    splicer_.emplace(transcript_, transcript_.tokens(), prompt_tokens);
    plan_.splicer = &*splicer_;
    ++continuations_;
  }
  const StreamTranscript& transcript() const { return transcript_; }
  std::uint32_t continuations() const { return continuations_; }
  StreamSeams(const StreamSeams&) = delete;
  StreamSeams& operator=(const StreamSeams&) = delete;

 private:
  ExchangePlan& plan_;
  StreamTranscript transcript_;
  std::optional<StreamSplicer> splicer_;
  std::string original_body_;  // set once a continuation's body replaced it
  std::uint32_t continuations_ = 0;
};

}  // namespace sluice::proxy
