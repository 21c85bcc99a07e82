#include "sluice/simulate/simulation.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <memory>
#include <queue>
#include <random>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "sluice/balance/room.h"
#include "sluice/engine/profile.h"
#include "sluice/engine/timing_model.h"
#include "sluice/provider/routing_builder.h"
#include "sluice/sched/dispatch_loop.h"
#include "sluice/tenancy/quota_ledger.h"
#include "sluice/tenancy/tenant_directory.h"

namespace sluice::simulate {
namespace {

using core::Duration;
using core::TimePoint;

TimePoint at_seconds(double s) { return TimePoint{} + core::from_seconds(s); }
double seconds_of(TimePoint t) { return core::to_seconds(t.time_since_epoch()); }

std::optional<std::size_t> tenant_index(const config::Config& cfg, std::string_view id) {
  for (std::size_t i = 0; i < cfg.tenants.size(); ++i) if (cfg.tenants[i].id == id) return i;
  return std::nullopt;
}
std::optional<std::size_t> model_index(const config::Config& cfg, std::string_view name) {
  for (std::size_t i = 0; i < cfg.models.size(); ++i) if (cfg.models[i].name == name) return i;
  return std::nullopt;
}

std::optional<config::Priority> parse_band(std::string_view text) {
  if (text == "critical") return config::Priority::kCritical;
  if (text == "standard") return config::Priority::kStandard;
  if (text == "batch") return config::Priority::kBatch;
  return std::nullopt;
}

enum class EventKind { kArrival, kStepEnd, kQueueTimeout, kSample, kReplicaSync };

struct Event {
  TimePoint at;
  std::uint64_t order;  // ties: first scheduled first
  EventKind kind;
  std::size_t a = 0;    // model (step end)
  std::size_t b = 0;    // instance (step end) / request id (timeout)
  bool operator>(const Event& o) const { return at != o.at ? at > o.at : order > o.order; }
};

struct Request {
  std::uint32_t load;          // workload tenant index (the report's row)
  std::size_t tenant;          // config tenant index
  std::size_t model;
  TimePoint sent;
  std::int64_t input = 0;
  std::int64_t output = 0;     // max_tokens
  std::int64_t reserved = 0;   // quota tokens
  std::int64_t produced = 0;
  TimePoint first_token{};
  bool has_first = false;
  std::size_t instance = 0;
  std::size_t replica = 0;     // whose queue it waits in
};

/// One model's instances, shared by every replica (their room counts the
/// requests of all replicas, as the engine's own limits would), and one
/// queue per replica.
struct Pool {
  std::vector<sched::FairQueue> queues;  // by replica
  balance::RoomLimits room;
  std::vector<std::shared_ptr<balance::Instance>> instances;
  std::vector<std::unique_ptr<engine::TimingModel>> engines;
  std::vector<tenancy::PoolQuota> quotas;  // by config tenant
};

class Simulator {
 public:
  Simulator(const config::Config& cfg, const workload::Workload& w, const SimulationOptions& o,
            workload::RunRecorder& recorder)
      : cfg_(cfg), workload_(w), options_(o), recorder_(recorder), ledger_(cfg, TimePoint{}), arrivals_(w),
        rng_(w.seed), split_rng_(w.seed ^ 0x7e91ca5u), replicas_(static_cast<std::size_t>(std::max(1, w.replicas))),
        totals_(cfg.models.size()) {
    for (const auto& t : w.tenants) {
      std::vector<double> split = t.replica_split;
      if (split.size() != replicas_) split.assign(replicas_, 1.0);
      load_split_.emplace_back(split.begin(), split.end());
      load_tenant_.push_back(*tenant_index(cfg, t.tenant));
      load_model_.push_back(*model_index(cfg, t.model));
      const auto band = parse_band(t.priority);
      load_band_.push_back(band ? *band : cfg.tenants[load_tenant_.back()].priority);
    }
    for (std::size_t m = 0; m < cfg.models.size(); ++m) {
      const config::Model& model = cfg.models[m];
      const config::SchedulerConfig& s = model.scheduler;
      const sched::FairQueue queue({.policy = o.policy.value_or(s.policy), .w_input = s.w_input,
                                    .w_output = s.w_output, .batch_promote_after = s.batch_promote_after});
      auto pool = std::make_unique<Pool>(Pool{std::vector<sched::FairQueue>(replicas_, queue),
                                              provider::room_limits(model), {}, {}, {}});
      for (std::size_t t = 0; t < cfg.tenants.size(); ++t) {
        pool->quotas.push_back(tenancy::pool_quota(cfg, cfg.tenants[t], model.name));
        for (auto& q : pool->queues) {
          q.set_tenant(static_cast<std::uint32_t>(t),
                       sched::TenantShare{.weight = cfg.tenants[t].weight, .reserved = pool->quotas.back().reserved,
                                          .cap = pool->quotas.back().cap});
        }
      }
      const engine::EngineProfile* profile =
          model.source == config::ModelSource::kSim ? engine::find_profile(model.sim.profile) : nullptr;
      const int n = profile ? o.instances.value_or(model.sim.instances) : 0;
      for (int i = 0; i < n; ++i) {
        auto inst = std::make_shared<balance::Instance>();
        inst->id = core::InstanceId(fmt::format("{}/{}", model.name, i));
        pool->instances.push_back(std::move(inst));
        pool->engines.push_back(std::make_unique<engine::TimingModel>(*profile, model.sim.seed + static_cast<std::uint64_t>(i)));
      }
      pools_.push_back(std::move(pool));
    }
  }

  SimulationStats run() {
    schedule_next_arrival();
    push(TimePoint{}, EventKind::kSample);
    if (replicas_ > 1 && workload_.replica_sync_s > 0) push(at_seconds(workload_.replica_sync_s), EventKind::kReplicaSync);
    const TimePoint end = at_seconds(workload_.duration_s + options_.drain_s);
    while (!events_.empty()) {
      const Event e = events_.top();
      events_.pop();
      if (e.at > end) break;
      now_ = e.at;
      ++stats_.events;
      switch (e.kind) {
        case EventKind::kArrival: on_arrival(); break;
        case EventKind::kStepEnd: on_step_end(e.a, e.b); break;
        case EventKind::kQueueTimeout: on_queue_timeout(e.b); break;
        case EventKind::kSample: on_sample(); break;
        case EventKind::kReplicaSync: on_replica_sync(); break;
      }
    }
    stats_.simulated_s = seconds_of(now_);
    return stats_;
  }

 private:
  void push(TimePoint at, EventKind kind, std::size_t a = 0, std::size_t b = 0) {
    events_.push(Event{at, ++order_, kind, a, b});
  }

  void schedule_next_arrival() {
    next_arrival_ = arrivals_.next();
    if (next_arrival_) push(at_seconds(next_arrival_->at_s), EventKind::kArrival);
  }

  void refuse(const Request& r, workload::Outcome outcome) {
    recorder_.add_request(workload::RequestRecord{.tenant = r.load, .sent_s = seconds_of(r.sent), .outcome = outcome,
                                                  .input_tokens = r.input, .output_tokens = 0});
  }

  void on_arrival() {
    const workload::Arrival a = *next_arrival_;
    ++stats_.arrivals;
    schedule_next_arrival();
    Request r{.load = a.tenant, .tenant = load_tenant_[a.tenant], .model = load_model_[a.tenant], .sent = now_,
              .input = a.input_tokens, .output = a.output_tokens};
    r.replica = replicas_ > 1 ? load_split_[a.tenant](split_rng_) : 0;
    r.reserved = r.input + r.output;
    const tenancy::AdmitDecision d = ledger_.admit(r.tenant, r.model, r.reserved, now_);
    if (!d.admitted()) {
      refuse(r, d.refusal == tenancy::Refusal::kConcurrency ? workload::Outcome::kConcurrencyLimit
                                                             : workload::Outcome::kRateLimited);
      return;
    }
    Pool& pool = *pools_[r.model];
    if (pool.instances.empty()) {
      ledger_.finish(r.tenant, r.model, r.reserved, 0, now_);
      refuse(r, workload::Outcome::kError);
      return;
    }
    const std::uint64_t id = ++next_id_ * load_tenant_.size() + a.tenant;  // the id carries the workload tenant
    const auto tenant = static_cast<std::uint32_t>(r.tenant);
    sched::FairQueue& queue = pool.queues[r.replica];
    queue.enqueue(sched::QueuedRequest{.id = id, .tenant = tenant, .band = load_band_[a.tenant],
                                       .input_tokens = r.input, .output_tokens = r.output, .enqueued = now_});
    requests_.emplace(id, r);
    pump(r.model, r.replica);
    const tenancy::PoolQuota& q = pool.quotas[r.tenant];
    if (!requests_.contains(id) || running_.contains(id)) return;  // dispatched (or failed) at once
    if (q.max_queue && static_cast<std::int64_t>(queue.queued(tenant)) > *q.max_queue) {
      queue.remove(id);
      end_unserved(id, workload::Outcome::kQueueFull);
      return;
    }
    push(now_ + q.max_queue_wait, EventKind::kQueueTimeout, 0, id);
  }

  void end_unserved(std::uint64_t id, workload::Outcome outcome) {
    auto it = requests_.find(id);
    ledger_.finish(it->second.tenant, it->second.model, it->second.reserved, 0, now_);
    refuse(it->second, outcome);
    requests_.erase(it);
  }

  void on_queue_timeout(std::uint64_t id) {
    auto it = requests_.find(id);
    if (it == requests_.end() || running_.contains(id)) return;
    if (pools_[it->second.model]->queues[it->second.replica].remove(id)) {
      end_unserved(id, workload::Outcome::kQueueTimeout);
    }
  }

  /// Every replica's queue of `model` gets the room, those whose requests
  /// just finished first (they learn of it first), then the others in turn.
  void pump_all(std::size_t model, const std::vector<std::size_t>& first) {
    for (const std::size_t r : first) pump(model, r);
    const std::size_t start = rotation_++ % replicas_;
    for (std::size_t k = 0; k < replicas_; ++k) pump(model, (start + k) % replicas_);
  }

  void pump(std::size_t model, std::size_t replica) {
    Pool& pool = *pools_[model];
    const auto pick = [&](std::int64_t extra_room) {
      balance::RoomLimits room = pool.room;
      room.max_in_flight += extra_room;
      return balance::pick_with_room(pool.instances, room, rng_(), rng_());
    };
    const auto start = [&](const sched::QueuedRequest& next, int pick_index) {
      const auto i = static_cast<std::size_t>(pick_index);
      Request& r = requests_.at(next.id);
      r.instance = i;
      running_.insert(next.id);
      pool.instances[i]->outstanding.fetch_add(1, std::memory_order_relaxed);
      engine::SequenceSpec spec{.id = next.id, .prompt_tokens = r.input, .prefix_text = {}, .cache_salt = {},
                                .max_tokens = r.output};
      if (!pool.engines[i]->submit(std::move(spec), now_)) {
        finish(model, next.id, workload::Outcome::kError);
        return;
      }
      observe(pool, i);
      kick(model, i);
    };
    sched::dispatch_while_room(pool.queues[replica], now_, pick, start);
  }

  /// What the room check reads: the engine's own queue and KV use, exactly.
  void observe(Pool& pool, std::size_t i) {
    balance::Instance& inst = *pool.instances[i];
    inst.engine_limit.store(balance::engine_limit(inst.outstanding.load(std::memory_order_relaxed),
                                                  pool.engines[i]->num_waiting(), pool.engines[i]->kv_usage(),
                                                  pool.room),
                            std::memory_order_relaxed);
  }

  void kick(std::size_t model, std::size_t i) {
    engine::TimingModel& e = *pools_[model]->engines[i];
    if (e.in_step() || !e.has_work(now_)) return;
    if (auto d = e.begin_step(now_)) {
      ++stats_.engine_steps;
      push(now_ + *d, EventKind::kStepEnd, model, i);
    }
  }

  void finish(std::size_t model, std::uint64_t id, workload::Outcome outcome) {
    Pool& pool = *pools_[model];
    auto it = requests_.find(id);
    Request& r = it->second;
    pool.instances[r.instance]->outstanding.fetch_sub(1, std::memory_order_relaxed);
    const std::int64_t used_input = r.has_first ? r.input : 0;
    pool.queues[r.replica].on_complete(id, used_input, r.produced);
    ledger_.finish(r.tenant, r.model, r.reserved, used_input + r.produced, now_);
    const double sent = seconds_of(r.sent);
    recorder_.add_request(workload::RequestRecord{
        .tenant = r.load, .sent_s = sent, .outcome = outcome,
        .ttft_s = r.has_first ? seconds_of(r.first_token) - sent : -1.0,
        .e2e_s = outcome == workload::Outcome::kOk ? seconds_of(now_) - sent : -1.0,
        .input_tokens = used_input, .output_tokens = r.produced});
    running_.erase(id);
    requests_.erase(it);
  }

  void on_step_end(std::size_t model, std::size_t i) {
    Pool& pool = *pools_[model];
    step_events_.clear();
    finished_replicas_.clear();
    pool.engines[i]->finish_step(now_, step_events_);
    const double t = seconds_of(now_);
    const std::uint64_t loads = load_tenant_.size();
    for (const engine::StepEvent& ev : step_events_) {
      // A token in the middle of a stream needs no lookup: the id carries
      // the workload tenant. (The gateway also charges output beyond the
      // estimate as it streams; here output never exceeds max_tokens.)
      if (ev.token_index > 0 && !ev.finished) {
        recorder_.add_service(static_cast<std::uint32_t>(ev.id % loads), t, 0, 1);
        continue;
      }
      auto it = requests_.find(ev.id);
      if (it == requests_.end()) continue;
      Request& r = it->second;
      r.produced = ev.token_index + 1;
      if (!r.has_first) {
        r.has_first = true;
        r.first_token = now_;
        recorder_.add_service(r.load, t, r.input, 1);
      } else {
        recorder_.add_service(r.load, t, 0, 1);
      }
      if (ev.finished) {
        finished_replicas_.push_back(r.replica);
        finish(model, ev.id, workload::Outcome::kOk);
      }
    }
    observe(pool, i);
    kick(model, i);
    if (replicas_ == 1) {
      pump(model, 0);
    } else {
      pump_all(model, finished_replicas_);
    }
  }

  /// Fleet-wide fairness: each replica in turn sends its counter changes to
  /// the totals and takes the totals back (what cluster::VtcSync does
  /// through Redis, one round trip per replica and model), then every
  /// replica may use room it left to others.
  void on_replica_sync() {
    for (std::size_t m = 0; m < pools_.size(); ++m) {
      Pool& pool = *pools_[m];
      Totals& totals = totals_[m];
      for (std::size_t r = 0; r < replicas_; ++r) {
        for (const sched::CounterSync& c : pool.queues[r].take_sync()) {
          double& total = totals.counters[c.tenant];
          total = std::max(total + c.delta, c.counter);
          auto& waiting = totals.waiting[c.tenant];
          waiting.resize(replicas_, false);
          waiting[r] = c.waiting;
        }
        sched::GlobalCounters global{.slack = options_.replica_slack};
        for (const auto& [tenant, total] : totals.counters) {
          global.counters.emplace_back(tenant, total);
          const auto& waiting = totals.waiting[tenant];
          for (std::size_t other = 0; other < waiting.size(); ++other) {
            if (other != r && waiting[other]) {
              global.waiting_elsewhere.push_back(tenant);
              break;
            }
          }
        }
        pool.queues[r].merge_global(global);
      }
      pump_all(m, {});
    }
    // Keep syncing while anything is left to happen.
    if (next_arrival_ || !requests_.empty()) {
      push(now_ + core::from_seconds(workload_.replica_sync_s), EventKind::kReplicaSync);
    }
  }

  void on_sample() {
    const double t = seconds_of(now_);
    for (std::uint32_t k = 0; k < load_tenant_.size(); ++k) {
      bool backlogged = false;
      for (const auto& q : pools_[load_model_[k]]->queues) {
        backlogged = backlogged || q.queued(static_cast<std::uint32_t>(load_tenant_[k])) > 0;
      }
      recorder_.sample_backlog(k, t, backlogged);
    }
    if (t < workload_.duration_s) push(now_ + core::from_seconds(options_.backlog_sample_s), EventKind::kSample);
  }

  const config::Config& cfg_;
  const workload::Workload& workload_;
  const SimulationOptions& options_;
  workload::RunRecorder& recorder_;
  tenancy::QuotaLedger ledger_;
  workload::ArrivalGenerator arrivals_;
  std::optional<workload::Arrival> next_arrival_;
  std::mt19937_64 rng_;
  std::vector<std::size_t> load_tenant_, load_model_;
  std::vector<config::Priority> load_band_;
  std::vector<std::discrete_distribution<std::size_t>> load_split_;  // by workload tenant: replica
  std::mt19937_64 split_rng_;
  std::size_t replicas_;
  std::size_t rotation_ = 0;
  std::vector<std::size_t> finished_replicas_;
  /// The fleet-wide totals per model (what Redis holds).
  struct Totals {
    std::map<std::uint32_t, double> counters;
    std::map<std::uint32_t, std::vector<bool>> waiting;  // by replica
  };
  std::vector<Totals> totals_;
  std::vector<std::unique_ptr<Pool>> pools_;
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> events_;
  std::unordered_map<std::uint64_t, Request> requests_;
  std::unordered_set<std::uint64_t> running_;
  std::vector<engine::StepEvent> step_events_;
  TimePoint now_{};
  std::uint64_t order_ = 0;
  std::uint64_t next_id_ = 0;
  SimulationStats stats_;
};

}  // namespace

std::expected<void, std::vector<std::string>> check_compatible(const config::Config& config,
                                                               const workload::Workload& workload) {
  std::vector<std::string> problems;
  for (std::size_t k = 0; k < workload.tenants.size(); ++k) {
    const auto& t = workload.tenants[k];
    if (!tenant_index(config, t.tenant)) {
      problems.push_back(fmt::format("{}: tenants[{}].tenant: no tenant \"{}\" in {}", workload.source_path, k,
                                     t.tenant, config.source_path));
    }
    const auto m = model_index(config, t.model);
    if (!m) {
      problems.push_back(fmt::format("{}: tenants[{}].model: no model \"{}\" in {}", workload.source_path, k,
                                     t.model, config.source_path));
    } else if (config.models[*m].source != config::ModelSource::kSim) {
      problems.push_back(fmt::format("{}: tenants[{}].model: \"{}\" is a static model; simulate needs source: sim "
                                     "(an engine profile to time it with)",
                                     workload.source_path, k, t.model));
    }
    if (!t.priority.empty() && !parse_band(t.priority)) {
      problems.push_back(fmt::format("{}: tenants[{}].priority: expected critical, standard or batch, got \"{}\"",
                                     workload.source_path, k, t.priority));
    }
  }
  if (!problems.empty()) return std::unexpected(std::move(problems));
  return {};
}

workload::RunRecorder run_simulation(const config::Config& config, const workload::Workload& workload,
                                     const SimulationOptions& options, SimulationStats* stats) {
  std::vector<std::string> names;
  std::vector<double> weights;
  for (const auto& t : workload.tenants) {
    names.push_back(t.tenant);
    weights.push_back(config.tenants[*tenant_index(config, t.tenant)].weight);
  }
  const config::Model& first = config.models[*model_index(config, workload.tenants.front().model)];
  workload::RunRecorder recorder(std::move(names), std::move(weights),
                                 workload::ServiceWeights{first.scheduler.w_input, first.scheduler.w_output},
                                 workload.duration_s, workload.warmup_s);
  Simulator sim(config, workload, options, recorder);
  const SimulationStats s = sim.run();
  if (stats) *stats = s;
  return recorder;
}

}  // namespace sluice::simulate
