#include "sluice/proxy/model_pool.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "sluice/balance/room.h"
#include "sluice/core/duration_text.h"
#include "sluice/health/circuit_breaker.h"
#include "sluice/net/listener.h"
#include "sluice/sched/dispatch_loop.h"

namespace sluice::proxy {

using namespace sluice::net;

struct ModelPool::Waiter {
  explicit Waiter(const asio::any_io_executor& ex) : executor(ex), timer(ex) {}
  asio::any_io_executor executor;
  asio::steady_timer timer;
  std::shared_ptr<balance::Instance> instance;  // set on the waiter's executor
  std::optional<std::uint64_t> key;             // the request's hash key
  bool client_gone = false;
  bool shutting_down = false;                   // set on the waiter's executor
};

namespace {
/// Every available instance is over its circuit-breaker limits: fail fast
/// rather than queue behind instances that cannot take anything.
bool all_over_breaker_limits(const balance::ModelRoute& route) {
  bool any = false;
  for (const auto& i : route.instances) {
    if (!i->available.load(std::memory_order_relaxed)) continue;
    if (!i->breaker || !i->breaker->over_limit()) return false;
    any = true;
  }
  return any;
}

void take_slot(balance::Instance& instance, std::int64_t tokens) {
  instance.outstanding.fetch_add(1, std::memory_order_relaxed);
  instance.outstanding_tokens.fetch_add(tokens, std::memory_order_relaxed);
  if (instance.breaker) instance.breaker->try_acquire_request();  // room keeps it below the breaker's limit
}

void give_slot(balance::Instance& instance, std::int64_t tokens) {
  instance.outstanding.fetch_sub(1, std::memory_order_relaxed);
  instance.outstanding_tokens.fetch_sub(tokens, std::memory_order_relaxed);
  if (instance.breaker) instance.breaker->release_request();
}

}  // namespace

ModelPool::ModelPool(std::size_t model_index, const sched::FairQueueConfig& config,
                     const core::Snapshot<balance::RoutingTable>& routes, std::uint64_t seed, PoolHealth health,
                     config::BalanceConfig balance)
    : model_index_(model_index), routes_(routes), queue_(config), health_(std::move(health)),
      picker_(std::move(balance)), rng_(seed) {}

void ModelPool::set_tenant(std::uint32_t tenant, const sched::TenantShare& share) {
  std::lock_guard lock(mu_);
  queue_.set_tenant(tenant, share);
}

void ModelPool::set_outlier_detection(const health::OutlierConfig& config) {
  std::lock_guard lock(mu_);
  const auto table = routes_.load();
  health_.reconfigure(config, route(*table));
  next_sweep_ = {};  // the next sweep runs at the new interval
  pump_locked(core::steady_now(), 0, nullptr);
}

void ModelPool::set_balance(const config::BalanceConfig& balance) {
  std::lock_guard lock(mu_);
  picker_ = InstancePicker(balance);
}

const balance::ModelRoute* ModelPool::route(const balance::RoutingTable& table) const {
  for (const auto& m : table.models) {
    if (m.index == model_index_) return &m;
  }
  return nullptr;
}

balance::RoomLimits ModelPool::room_now(const balance::ModelRoute& route, core::TimePoint now) const {
  balance::RoomLimits room = route.room;
  room.now_ns = now.time_since_epoch().count();
  room.panic = health_.panic(route, now);
  return room;
}

void ModelPool::pump_locked(core::TimePoint now, std::uint64_t self_id, std::shared_ptr<balance::Instance>* self) {
  if (queue_.size() == 0) return;
  const auto table = routes_.load();
  const balance::ModelRoute* r = route(*table);
  if (!r) return;
  const balance::RoomLimits room_base = room_now(*r, now);
  const auto pick = [&](std::int64_t extra_room) {
    balance::RoomLimits room = room_base;
    room.max_in_flight += extra_room;
    return picker_.pick(*r, room, std::nullopt, rng_(), rng_());
  };
  const auto start = [&](const sched::QueuedRequest& next, int pick_index) {
    auto it = waiters_.find(next.id);
    if (it == waiters_.end()) return;  // cannot happen: every queued request has a waiter
    std::shared_ptr<Waiter> waiter = std::move(it->second);
    waiters_.erase(it);
    if (waiter->key) {  // a keyed policy: where this request's key goes, when it has room there
      const int keyed = picker_.pick(*r, room_base, waiter->key, rng_(), rng_());
      if (keyed >= 0) pick_index = keyed;
    }
    std::shared_ptr<balance::Instance> instance = r->instances[static_cast<std::size_t>(pick_index)];
    const std::int64_t tokens = next.input_tokens + next.output_tokens;
    take_slot(*instance, tokens);
    slot_tokens_[next.id] = tokens;
    if (next.id == self_id && self) {
      *self = std::move(instance);
      return;
    }
    asio::post(waiter->executor, [waiter, instance = std::move(instance)]() mutable {
      waiter->instance = std::move(instance);
      waiter->timer.cancel();
    });
  };
  sched::dispatch_while_room(queue_, now, pick, start);
}

asio::awaitable<Acquired> ModelPool::acquire(const PoolTicket& ticket, tcp::socket& client) {
  const core::TimePoint start = core::steady_now();
  Acquired result;
  auto waiter = std::make_shared<Waiter>(co_await asio::this_coro::executor);
  {
    std::lock_guard lock(mu_);
    const auto table = routes_.load();
    const balance::ModelRoute* r = route(*table);
    // An instance that could take it: in rotation, passing its checks, not ejected.
    const std::int64_t now_ns = start.time_since_epoch().count();
    const bool any = r && std::any_of(r->instances.begin(), r->instances.end(), [now_ns](const auto& i) {
      return i->available.load(std::memory_order_relaxed) && i->usable(now_ns);
    });
    if (!any) co_return result;  // kNoInstance
    if (all_over_breaker_limits(*r)) {
      result.end = AcquireEnd::kOverLimit;
      co_return result;
    }
    if (draining_) {
      result.end = AcquireEnd::kShuttingDown;
      co_return result;
    }
    if (!std::binary_search(seen_tenants_.begin(), seen_tenants_.end(), ticket.tenant)) {
      seen_tenants_.insert(std::upper_bound(seen_tenants_.begin(), seen_tenants_.end(), ticket.tenant), ticket.tenant);
    }
    queue_.enqueue(sched::QueuedRequest{.id = ticket.id, .tenant = ticket.tenant, .band = ticket.band,
                                        .input_tokens = ticket.input_tokens, .output_tokens = ticket.output_tokens,
                                        .enqueued = start});
    waiter->key = ticket.key;
    waiters_.emplace(ticket.id, waiter);
    pump_locked(start, ticket.id, &result.instance);
    if (result.instance) {
      result.end = AcquireEnd::kGranted;
      co_return result;
    }
    if (ticket.max_queue && static_cast<std::int64_t>(queue_.queued(ticket.tenant)) > *ticket.max_queue) {
      queue_.remove(ticket.id);
      waiters_.erase(ticket.id);
      result.end = AcquireEnd::kQueueFull;
      co_return result;
    }
  }

  // Wait for a grant (posted to this executor), the deadline, or the client.
  waiter->timer.expires_after(ticket.max_wait);
  PeerCloseWatch watch(client, [waiter] {
    waiter->client_gone = true;
    waiter->timer.cancel();
  });
  for (;;) {
    co_await waiter->timer.async_wait(use_nothrow);
    if (waiter->instance) break;
    bool removed = false;
    {
      std::lock_guard lock(mu_);
      removed = queue_.remove(ticket.id);
      if (removed) waiters_.erase(ticket.id);
    }
    if (waiter->shutting_down) {
      result.end = AcquireEnd::kShuttingDown;
      result.waited = core::steady_now() - start;
      co_return result;
    }
    if (removed) {
      result.end = waiter->client_gone ? AcquireEnd::kClientGone : AcquireEnd::kQueueTimeout;
      result.waited = core::steady_now() - start;
      co_return result;
    }
    // Dispatched at the same moment: the grant is already on its way here.
    waiter->timer.expires_at(asio::steady_timer::time_point::max());
  }
  watch.stop();
  result.waited = core::steady_now() - start;
  result.instance = std::move(waiter->instance);
  if (waiter->client_gone) {
    release(ticket.id, *result.instance, 0, 0);
    result.instance.reset();
    result.end = AcquireEnd::kClientGone;
    co_return result;
  }
  result.end = AcquireEnd::kGranted;
  co_return result;
}

std::shared_ptr<balance::Instance> ModelPool::move_to_another(std::uint64_t id, balance::Instance& from,
                                                              std::span<const std::uint64_t> tried) {
  std::lock_guard lock(mu_);
  const auto tokens_it = slot_tokens_.find(id);
  const std::int64_t tokens = tokens_it == slot_tokens_.end() ? 0 : tokens_it->second;
  const auto table = routes_.load();
  const balance::ModelRoute* r = route(*table);
  if (!r) return nullptr;
  std::vector<std::shared_ptr<balance::Instance>> others;
  others.reserve(r->instances.size());
  for (const auto& i : r->instances) {
    if (i->serial != from.serial && std::find(tried.begin(), tried.end(), i->serial) == tried.end()) {
      others.push_back(i);
    }
  }
  const core::TimePoint now = core::steady_now();
  const int pick = balance::pick_with_room(others, room_now(*r, now), rng_(), rng_());
  if (pick < 0) return nullptr;
  std::shared_ptr<balance::Instance> to = others[static_cast<std::size_t>(pick)];
  take_slot(*to, tokens);
  give_slot(from, tokens);
  pump_locked(now, 0, nullptr);  // the slot left on `from` may serve a queued request
  return to;
}

std::shared_ptr<balance::Instance> ModelPool::take_spare() {
  std::lock_guard lock(mu_);
  const auto table = routes_.load();
  const balance::ModelRoute* r = route(*table);
  if (!r) return nullptr;
  const int pick = balance::pick_with_room(r->instances, room_now(*r, core::steady_now()), rng_(), rng_());
  if (pick < 0) return nullptr;
  std::shared_ptr<balance::Instance> instance = r->instances[static_cast<std::size_t>(pick)];
  take_slot(*instance, 0);
  return instance;
}

void ModelPool::give_back(balance::Instance& instance) {
  give_slot(instance, 0);
  std::lock_guard lock(mu_);
  pump_locked(core::steady_now(), 0, nullptr);
}

std::optional<health::Ejection> ModelPool::report(balance::Instance& instance, health::Outcome outcome) {
  if (outcome == health::Outcome::kSuccess) instance.counters.successes.fetch_add(1, std::memory_order_relaxed);
  if (outcome == health::Outcome::kIgnored) return std::nullopt;
  std::lock_guard lock(mu_);
  const auto table = routes_.load();
  const balance::ModelRoute* r = route(*table);
  if (!r) return std::nullopt;
  return health_.record(*r, instance, outcome, core::steady_now());
}

void ModelPool::sweep_if_due(core::TimePoint now) {
  std::lock_guard lock(mu_);
  if (now < next_sweep_) return;
  next_sweep_ = now + health_.config().interval;
  const auto table = routes_.load();
  const balance::ModelRoute* r = route(*table);
  if (!r) return;
  for (const auto& ejected : health_.sweep(*r, now)) {
    spdlog::warn("instance {} ejected for {}: failure percentage over the last {}", ejected->id.str(),
                 core::format_duration(std::chrono::nanoseconds(ejected->ejected_until_ns.load() - now.time_since_epoch().count())),
                 core::format_duration(health_.config().interval));
  }
  pump_locked(now, 0, nullptr);
}

void ModelPool::progress(std::uint64_t id, std::int64_t output_tokens_so_far) {
  std::lock_guard lock(mu_);
  queue_.on_progress(id, output_tokens_so_far);
}

void ModelPool::release(std::uint64_t id, balance::Instance& instance, std::int64_t input_tokens,
                        std::int64_t output_tokens) {
  std::lock_guard lock(mu_);
  const auto tokens_it = slot_tokens_.find(id);
  give_slot(instance, tokens_it == slot_tokens_.end() ? 0 : tokens_it->second);
  if (tokens_it != slot_tokens_.end()) slot_tokens_.erase(tokens_it);
  queue_.on_complete(id, input_tokens, output_tokens);
  pump_locked(core::steady_now(), 0, nullptr);
}

std::vector<sched::CounterSync> ModelPool::take_sync(bool all) {
  std::lock_guard lock(mu_);
  return queue_.take_sync(all);
}

void ModelPool::merge_global(const sched::GlobalCounters& global) {
  std::lock_guard lock(mu_);
  queue_.merge_global(global);
  pump_locked(core::steady_now(), 0, nullptr);
}

void ModelPool::clear_global() {
  std::lock_guard lock(mu_);
  queue_.clear_global();
  pump_locked(core::steady_now(), 0, nullptr);
}

void ModelPool::drain() {
  std::lock_guard lock(mu_);
  draining_ = true;
  for (auto& [id, waiter] : waiters_) {
    queue_.remove(id);
    asio::post(waiter->executor, [waiter] {
      waiter->shutting_down = true;
      waiter->timer.cancel();
    });
  }
  waiters_.clear();
}

void ModelPool::pump() {
  std::lock_guard lock(mu_);
  pump_locked(core::steady_now(), 0, nullptr);
}

ModelPool::View ModelPool::view() const {
  std::lock_guard lock(mu_);
  View v{};
  for (int b = 0; b < sched::kBands; ++b) v.queued_by_band[b] = queue_.size(static_cast<sched::Band>(b));
  for (const std::uint32_t t : seen_tenants_) {
    v.tenants.push_back(TenantView{t, queue_.queued(t), queue_.running(t), queue_.counter(t)});
  }
  return v;
}

}  // namespace sluice::proxy
