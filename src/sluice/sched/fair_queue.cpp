#include "sluice/sched/fair_queue.h"

#include <algorithm>
#include <limits>

namespace sluice::sched {

FairQueue::FairQueue(FairQueueConfig config) : config_(config) {}

FairQueue::TenantState& FairQueue::state(std::uint32_t tenant) {
  if (tenant >= tenants_.size()) tenants_.resize(static_cast<std::size_t>(tenant) + 1);
  return tenants_[tenant];
}

void FairQueue::set_tenant(std::uint32_t tenant, const TenantShare& share) {
  TenantState& t = state(tenant);
  total_reserved_ -= t.share.reserved;
  if (share.weight > 0) t.share.weight = share.weight;
  t.share.reserved = std::max<std::int64_t>(0, share.reserved);
  t.share.cap = std::max<std::int64_t>(0, share.cap);
  total_reserved_ += t.share.reserved;
  std::erase(reserving_, tenant);
  if (t.share.reserved > 0) reserving_.push_back(tenant);
  rekey_all(tenant);
}

double FairQueue::cost(std::int64_t input, std::int64_t output) const {
  return config_.w_input * static_cast<double>(input) + config_.w_output * static_cast<double>(output);
}

FairQueue::Key FairQueue::key_for(const TenantState& t, std::uint32_t tenant, int band) const {
  const std::uint64_t head = t.queue[band].front().seq;
  switch (config_.policy) {
    case Policy::kFcfs: return Key{0.0, head, tenant};
    case Policy::kRoundRobin: return Key{0.0, t.turn, tenant};
    case Policy::kVtc: break;
  }
  return Key{t.counter, head, tenant};
}

void FairQueue::rekey(std::uint32_t tenant, int band) {
  TenantState& t = tenants_[tenant];
  const bool wanted = !t.queue[band].empty() && eligible(t);
  if (!wanted) {
    if (t.key[band]) active_[band].erase(*t.key[band]);
    t.key[band].reset();
    return;
  }
  const Key key = key_for(t, tenant, band);
  if (t.key[band]) {
    if (!(*t.key[band] < key) && !(key < *t.key[band])) return;  // unchanged
    // Reuse the node: no allocation on the hot path.
    auto node = active_[band].extract(*t.key[band]);
    node.value() = key;
    active_[band].insert(std::move(node));
  } else {
    active_[band].insert(key);
  }
  t.key[band] = key;
}

void FairQueue::rekey_all(std::uint32_t tenant) {
  for (int b = 0; b < kBands; ++b) rekey(tenant, b);
}

void FairQueue::touch(std::uint32_t tenant) {
  TenantState& t = tenants_[tenant];
  if (!t.touched) {
    t.touched = true;
    touched_.push_back(tenant);
  }
}

bool FairQueue::waiting(const TenantState& t) const {
  for (const auto& key : t.key) {
    if (key) return true;
  }
  return false;
}

void FairQueue::charge(std::uint32_t tenant, double weighted_tokens) {
  TenantState& t = tenants_[tenant];
  t.counter += weighted_tokens / t.share.weight;
  t.unsynced += weighted_tokens / t.share.weight;
  touch(tenant);
  if (config_.policy == Policy::kVtc && t.queued > 0) rekey_all(tenant);
}

void FairQueue::enqueue(const QueuedRequest& request) {
  TenantState& t = state(request.tenant);
  const int band = static_cast<int>(request.band);
  if (t.queued == 0) {
    // Coming back from idle: no credit banked while away. Lift the counter
    // to the smallest counter among the tenants still waiting (the first
    // key of each band's ordered set under vtc: O(1)).
    if (config_.policy == Policy::kVtc) {
      double lowest = std::numeric_limits<double>::infinity();
      for (const auto& active : active_) {
        if (!active.empty()) lowest = std::min(lowest, active.begin()->counter);
      }
      // Tenants waiting on other replicas count too (fleet-wide fairness).
      if (remote_floor_) lowest = std::min(lowest, *remote_floor_);
      // Nobody waiting: lift to the counter of the last tenant that left
      // the queue, so credit cannot be banked across an idle pool either.
      if (lowest == std::numeric_limits<double>::infinity()) lowest = last_left_counter_;
      t.counter = std::max(t.counter, lowest);
    }
    t.turn = ++seq_;
  }
  t.seen = true;
  touch(request.tenant);
  t.queue[band].push_back(Entry{++seq_, request});
  ++t.queued;
  ++band_size_[band];
  by_id_[request.id] = {request.tenant, band};
  if (band == static_cast<int>(Band::kBatch) && config_.batch_promote_after.count() > 0) {
    batch_arrivals_.emplace_back(request.enqueued, request.id);
  }
  if (t.queue[band].size() == 1) rekey(request.tenant, band);
}

bool FairQueue::remove(std::uint64_t id) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return false;
  const auto [tenant, band] = it->second;
  by_id_.erase(it);
  TenantState& t = tenants_[tenant];
  auto& q = t.queue[band];
  const bool was_head = !q.empty() && q.front().request.id == id;
  if (was_head) {
    q.pop_front();  // the common case: time-outs leave from the head
  } else if (auto pos = std::find_if(q.begin(), q.end(), [id](const Entry& e) { return e.request.id == id; });
             pos != q.end()) {
    q.erase(pos);
  }
  --t.queued;
  --band_size_[band];
  if (q.empty() || was_head) rekey(tenant, band);
  touch(tenant);
  if (by_id_.empty()) last_left_counter_ = std::max(last_left_counter_, t.counter);
  return true;
}

void FairQueue::promote_aged(core::TimePoint now) {
  constexpr int kBatch = static_cast<int>(Band::kBatch);
  constexpr int kStandard = static_cast<int>(Band::kStandard);
  while (!batch_arrivals_.empty() && now - batch_arrivals_.front().first >= config_.batch_promote_after) {
    const std::uint64_t id = batch_arrivals_.front().second;
    batch_arrivals_.pop_front();
    auto it = by_id_.find(id);
    if (it == by_id_.end() || it->second.second != kBatch) continue;  // gone already
    const std::uint32_t tenant = it->second.first;
    TenantState& t = tenants_[tenant];
    // Arrival order is global, so the oldest batch request is its tenant's head.
    Entry entry = t.queue[kBatch].front();
    t.queue[kBatch].pop_front();
    entry.request.band = Band::kStandard;
    auto& standard = t.queue[kStandard];
    auto pos = std::upper_bound(standard.begin(), standard.end(), entry.seq,
                                [](std::uint64_t seq, const Entry& e) { return seq < e.seq; });
    standard.insert(pos, entry);
    it->second.second = kStandard;
    --band_size_[kBatch];
    ++band_size_[kStandard];
    rekey(tenant, kBatch);
    rekey(tenant, kStandard);
  }
}

std::optional<std::pair<int, std::uint32_t>> FairQueue::reserved_candidate() const {
  std::optional<std::pair<int, std::uint32_t>> best;
  std::optional<Key> best_key;
  for (const std::uint32_t tenant : reserving_) {
    const TenantState& t = tenants_[tenant];
    if (t.queued == 0 || t.running >= t.share.reserved) continue;
    for (int b = 0; b < kBands; ++b) {
      if (!t.key[b]) continue;
      if (!best || b < best->first || (b == best->first && *t.key[b] < *best_key)) {
        best = std::pair{b, tenant};
        best_key = t.key[b];
      }
      break;  // its best band only
    }
  }
  return best;
}

QueuedRequest FairQueue::take(std::uint32_t tenant, int band) {
  TenantState& t = tenants_[tenant];
  QueuedRequest request = t.queue[band].front().request;
  t.queue[band].pop_front();
  --t.queued;
  --band_size_[band];
  ++t.running;
  by_id_.erase(request.id);
  if (config_.policy == Policy::kRoundRobin) t.turn = ++seq_;
  const double estimate = cost(request.input_tokens, request.output_tokens);
  running_.emplace(request.id, Running{tenant, estimate, request.input_tokens});
  t.counter += estimate / t.share.weight;
  t.unsynced += estimate / t.share.weight;
  touch(tenant);
  rekey_all(tenant);  // new head, new counter, maybe at its cap now
  if (by_id_.empty()) last_left_counter_ = t.counter;
  return request;
}

std::optional<QueuedRequest> FairQueue::dispatch(core::TimePoint now) {
  if (by_id_.empty()) return std::nullopt;
  if (!batch_arrivals_.empty()) promote_aged(now);
  if (!reserving_.empty()) {
    if (auto pick = reserved_candidate()) return take(pick->second, pick->first);
  }
  for (int band = 0; band < kBands; ++band) {
    if (active_[band].empty()) continue;
    const Key& best = *active_[band].begin();
    if (tenants_[best.tenant].held) {
      ++held_;  // a tenant waiting on another replica is further behind: leave it the room
      return std::nullopt;
    }
    return take(best.tenant, band);
  }
  return std::nullopt;
}

std::optional<QueuedRequest> FairQueue::dispatch_reserved(core::TimePoint now) {
  if (by_id_.empty() || reserving_.empty()) return std::nullopt;
  if (!batch_arrivals_.empty()) promote_aged(now);
  if (auto pick = reserved_candidate()) return take(pick->second, pick->first);
  return std::nullopt;
}

void FairQueue::on_progress(std::uint64_t id, std::int64_t output_tokens_so_far) {
  auto it = running_.find(id);
  if (it == running_.end()) return;
  const double actual = cost(it->second.input_tokens, output_tokens_so_far);
  if (actual > it->second.charged) {
    charge(it->second.tenant, actual - it->second.charged);
    it->second.charged = actual;
  }
}

void FairQueue::on_complete(std::uint64_t id, std::int64_t input_tokens, std::int64_t output_tokens) {
  auto it = running_.find(id);
  if (it == running_.end()) return;
  const std::uint32_t tenant = it->second.tenant;
  const double correction = cost(input_tokens, output_tokens) - it->second.charged;
  running_.erase(it);
  TenantState& t = tenants_[tenant];
  const bool was_capped = !eligible(t);
  --t.running;
  t.counter += correction / t.share.weight;
  t.unsynced += correction / t.share.weight;
  touch(tenant);
  if (t.queued > 0 && (was_capped || config_.policy == Policy::kVtc)) rekey_all(tenant);
}

std::vector<CounterSync> FairQueue::take_sync(bool all) {
  std::vector<CounterSync> out;
  const auto add = [&](std::uint32_t tenant) {
    TenantState& t = tenants_[tenant];
    out.push_back(CounterSync{.tenant = tenant, .delta = t.unsynced, .counter = t.counter, .waiting = waiting(t)});
    t.unsynced = 0;
    t.touched = false;
  };
  if (all) {
    for (std::uint32_t tenant = 0; tenant < tenants_.size(); ++tenant) {
      if (tenants_[tenant].seen || tenants_[tenant].touched) add(tenant);
    }
  } else {
    for (const std::uint32_t tenant : touched_) add(tenant);
  }
  for (const std::uint32_t tenant : touched_) tenants_[tenant].touched = false;
  touched_.clear();
  return out;
}

void FairQueue::merge_global(const GlobalCounters& global) {
  for (const auto& [tenant, total] : global.counters) {
    TenantState& t = state(tenant);
    // The total already holds every delta sent; what was charged here since
    // is added on top. Never lowered: a lift made during the round trip stays.
    const double merged = std::max(t.counter, total + t.unsynced);
    if (merged == t.counter) continue;
    t.counter = merged;
    if (t.queued > 0) rekey_all(tenant);
  }
  remote_floor_.reset();
  for (const std::uint32_t tenant : global.waiting_elsewhere) {
    const double c = counter(tenant);
    remote_floor_ = remote_floor_ ? std::min(*remote_floor_, c) : c;
  }
  if (remote_floor_) {
    // Virtual time moves on while other replicas serve: nobody returning
    // from idle here may start below it.
    last_left_counter_ = std::max(last_left_counter_, *remote_floor_);
    ceiling_ = *remote_floor_ + std::max(0.0, global.slack);
  } else {
    ceiling_.reset();
  }
  for (auto& t : tenants_) t.held = ceiling_ && config_.policy == Policy::kVtc && t.counter > *ceiling_;
}

void FairQueue::clear_global() {
  ceiling_.reset();
  remote_floor_.reset();
  for (auto& t : tenants_) t.held = false;
}

double FairQueue::counter(std::uint32_t tenant) const {
  return tenant < tenants_.size() ? tenants_[tenant].counter : 0.0;
}

std::size_t FairQueue::queued(std::uint32_t tenant) const {
  return tenant < tenants_.size() ? tenants_[tenant].queued : 0;
}

std::int64_t FairQueue::running(std::uint32_t tenant) const {
  return tenant < tenants_.size() ? tenants_[tenant].running : 0;
}

}  // namespace sluice::sched
