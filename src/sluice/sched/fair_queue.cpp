#include "sluice/sched/fair_queue.h"

#include <algorithm>
#include <limits>

namespace sluice::sched {

namespace {
int band_index(Band band) { return static_cast<int>(band); }
}  // namespace

FairQueue::FairQueue(FairQueueConfig config) : config_(config) {}

void FairQueue::set_weight(std::uint32_t tenant, double weight) {
  if (weight <= 0) return;
  tenants_[tenant].weight = weight;
}

double FairQueue::cost(std::int64_t input, std::int64_t output) const {
  return config_.w_input * static_cast<double>(input) + config_.w_output * static_cast<double>(output);
}

FairQueue::Key FairQueue::key_for(std::uint32_t tenant, int band) const {
  const TenantState& t = tenants_.at(tenant);
  const std::uint64_t head = t.queue[band].front().seq;
  switch (config_.policy) {
    case Policy::kFcfs: return Key{0.0, head, tenant};
    case Policy::kRoundRobin: return Key{0.0, t.turn, tenant};
    case Policy::kVtc: break;
  }
  return Key{t.counter, head, tenant};
}

void FairQueue::activate(std::uint32_t tenant, int band) {
  auto it = active_key_[band].find(tenant);
  if (it != active_key_[band].end()) active_[band].erase(it->second);
  const Key key = key_for(tenant, band);
  active_[band].insert(key);
  active_key_[band][tenant] = key;
}

void FairQueue::deactivate(std::uint32_t tenant, int band) {
  auto it = active_key_[band].find(tenant);
  if (it == active_key_[band].end()) return;
  active_[band].erase(it->second);
  active_key_[band].erase(it);
}

void FairQueue::charge(std::uint32_t tenant, double weighted_tokens) {
  TenantState& t = tenants_[tenant];
  t.counter += weighted_tokens / t.weight;
  if (config_.policy != Policy::kVtc) return;
  for (int b = 0; b < 3; ++b) {
    if (!t.queue[b].empty()) activate(tenant, b);  // re-key with the new counter
  }
}

void FairQueue::enqueue(const QueuedRequest& request) {
  TenantState& t = tenants_[request.tenant];
  const int band = band_index(request.band);
  if (t.queued == 0) {
    // Coming back from idle: no credit banked while away. Lift the counter
    // to the smallest counter among the tenants still waiting (the first
    // key of each band's ordered set under vtc: O(1)).
    if (config_.policy == Policy::kVtc) {
      double lowest = std::numeric_limits<double>::infinity();
      for (int b = 0; b < 3; ++b) {
        if (!active_[b].empty()) lowest = std::min(lowest, active_[b].begin()->counter);
      }
      if (lowest != std::numeric_limits<double>::infinity()) t.counter = std::max(t.counter, lowest);
    }
    t.turn = ++seq_;
  }
  t.queue[band].push_back(Entry{++seq_, request});
  ++t.queued;
  by_id_[request.id] = {request.tenant, band};
  if (t.queue[band].size() == 1) activate(request.tenant, band);
}

bool FairQueue::remove(std::uint64_t id) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return false;
  const auto [tenant, band] = it->second;
  by_id_.erase(it);
  TenantState& t = tenants_.at(tenant);
  auto& q = t.queue[band];
  const bool was_head = !q.empty() && q.front().request.id == id;
  std::erase_if(q, [id](const Entry& e) { return e.request.id == id; });
  --t.queued;
  if (q.empty()) deactivate(tenant, band);
  else if (was_head) activate(tenant, band);
  return true;
}

std::optional<QueuedRequest> FairQueue::dispatch() {
  for (int band = 0; band < 3; ++band) {
    if (active_[band].empty()) continue;
    const std::uint32_t tenant = active_[band].begin()->tenant;
    TenantState& t = tenants_.at(tenant);
    QueuedRequest request = t.queue[band].front().request;
    t.queue[band].pop_front();
    --t.queued;
    by_id_.erase(request.id);
    if (config_.policy == Policy::kRoundRobin) t.turn = ++seq_;
    if (t.queue[band].empty()) deactivate(tenant, band);
    else activate(tenant, band);
    const double estimate = cost(request.input_tokens, request.output_tokens);
    running_[request.id] = Running{tenant, estimate, request.input_tokens, request.output_tokens};
    charge(tenant, estimate);
    return request;
  }
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
  const double actual = cost(input_tokens, output_tokens);
  charge(it->second.tenant, actual - it->second.charged);
  running_.erase(it);
}

std::size_t FairQueue::size(Band band) const {
  std::size_t n = 0;
  for (const auto& [id, where] : by_id_) n += where.second == band_index(band) ? 1 : 0;
  return n;
}

double FairQueue::counter(std::uint32_t tenant) const {
  auto it = tenants_.find(tenant);
  return it == tenants_.end() ? 0.0 : it->second.counter;
}

}  // namespace sluice::sched
