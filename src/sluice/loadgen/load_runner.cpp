/// run_load: the open loop (one timer per arrival, each request its own
/// coroutine), the backlog sampler, the progress line and the drain at the end.
#include "sluice/loadgen/load_runner.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <random>

#include "sluice/config/value_text.h"
#include "sluice/loadgen/run_state.h"

namespace sluice::loadgen {

using namespace sluice::net;

namespace {

constexpr double kBacklogSampleS = 0.1;
constexpr double kProgressS = 1.0;

std::vector<std::string> tenant_names(const workload::Workload& w) {
  std::vector<std::string> names;
  for (const auto& t : w.tenants) names.push_back(t.tenant);
  return names;
}

std::vector<double> tenant_weights(const workload::Workload& w, const LoadOptions& options) {
  std::vector<double> weights;
  for (const auto& t : w.tenants) {
    auto it = options.weights.find(t.tenant);
    weights.push_back(it == options.weights.end() ? 1.0 : it->second);
  }
  return weights;
}

/// Rethrows what a detached coroutine threw (a bug, or out of memory), so
/// that it ends the run instead of vanishing.
void rethrow(const std::exception_ptr& e) {
  if (e) std::rethrow_exception(e);
}

asio::awaitable<void> wait_until(RunState::SteadyClock::time_point when) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_at(when);
  co_await timer.async_wait(use_nothrow);
}

/// The open loop: every arrival at its time, never waiting for answers.
asio::awaitable<void> dispatch(RunState& run, workload::Workload workload) {
  workload::ArrivalGenerator arrivals(workload);
  asio::steady_timer timer(run.io);
  while (auto arrival = arrivals.next()) {
    const auto when = run.at(arrival->at_s);
    if (when > RunState::SteadyClock::now()) {
      timer.expires_at(when);
      co_await timer.async_wait(use_nothrow);
    }
    run.stats.max_send_lag_s = std::max(run.stats.max_send_lag_s, run.now_s() - arrival->at_s);
    if (static_cast<std::size_t>(run.stats.in_flight) >= run.options.max_in_flight) {
      ++run.stats.dropped[arrival->tenant];
      continue;
    }
    asio::co_spawn(run.io, send_request(run, *arrival), rethrow);
  }
  // Let the time series run to the end even when the last arrival is early.
  co_await wait_until(run.at(workload.duration_s));
  run.arrivals_done = true;
  run.wake_if_finished();
}

/// Every 100 ms: is each tenant waiting for a first token?
asio::awaitable<void> sample_backlog(RunState& run) {
  asio::steady_timer timer(run.io);
  for (std::int64_t k = 0; !run.arrivals_done; ++k) {
    const double at = static_cast<double>(k) * kBacklogSampleS + kBacklogSampleS / 2;
    if (at > run.recorder.duration_s()) break;
    timer.expires_at(run.at(at));
    co_await timer.async_wait(use_nothrow);
    const double now = run.now_s();
    for (std::uint32_t t = 0; t < run.waiting_first_token.size(); ++t) {
      run.recorder.sample_backlog(t, now, run.waiting_first_token[t] > 0);
    }
  }
}

std::int64_t total(const std::vector<std::int64_t>& v) {
  std::int64_t n = 0;
  for (auto x : v) n += x;
  return n;
}

/// "sent 12  ok 10  429 1  errors 0  in flight 1", plus drops when there are any.
std::string progress_counts(const RunState& run) {
  const LoadStats& s = run.stats;
  std::string counts = fmt::format("sent {}  ok {}  429 {}  errors {}  in flight {}", s.sent, s.ok, s.refused,
                                   s.errors, s.in_flight);
  if (const auto dropped = total(s.dropped); dropped > 0) counts += fmt::format("  dropped {}", dropped);
  return counts;
}

/// Once a second on stderr; on a terminal the line is rewritten in place.
asio::awaitable<void> show_progress(RunState& run, bool tty) {
  asio::steady_timer timer(run.io);
  run.progress_timer = &timer;
  std::string last_counts;
  for (int k = 1; !run.finished(); ++k) {
    timer.expires_at(run.at(k * kProgressS));
    co_await timer.async_wait(use_nothrow);
    // Woken at the end right after a tick: the same counts again say nothing new.
    std::string counts = progress_counts(run);
    if (run.finished() && counts == last_counts) continue;
    const std::string line = fmt::format("t={:>4.0f}s  {}", run.now_s(), counts);
    last_counts = std::move(counts);
    if (tty) std::fprintf(stderr, "\r%s\033[K", line.c_str());
    else std::fprintf(stderr, "%s\n", line.c_str());
  }
  if (tty) std::fprintf(stderr, "\n");
  run.progress_timer = nullptr;
}

}  // namespace

std::expected<GatewayTarget, std::string> parse_gateway_url(std::string_view url) {
  auto parsed = config::parse_http_url(url);
  if (!parsed) return std::unexpected(fmt::format("expected http://host:port, got \"{}\"", url));
  GatewayTarget target{parsed->endpoint.host, parsed->endpoint.port, parsed->prefix};
  if (target.prefix.ends_with("/v1")) target.prefix.resize(target.prefix.size() - 3);
  return target;
}

RunState::RunState(const workload::Workload& workload, const LoadOptions& opts, std::vector<tcp::endpoint> endpoints)
    : options(opts),
      host_header(opts.target.host.find(':') != std::string::npos
                      ? fmt::format("[{}]:{}", opts.target.host, opts.target.port)
                      : fmt::format("{}:{}", opts.target.host, opts.target.port)),
      target(opts.target.prefix + "/v1/chat/completions"),
      pool(std::move(endpoints), opts.max_idle_connections),
      recorder(tenant_names(workload), tenant_weights(workload, opts), workload::ServiceWeights{},
               workload.duration_s, workload.warmup_s),
      waiting_first_token(workload.tenants.size(), 0) {
  stats.dropped.assign(workload.tenants.size(), 0);
  for (const auto& t : workload.tenants) {
    plans.push_back(TenantPlan{.model = t.model,
                               .authorization = t.api_key.empty() ? std::string() : "Bearer " + t.api_key,
                               .priority = t.priority,
                               .stream = t.stream});
  }
  nonce = std::random_device{}();
}

/// Resolves the gateway's address and opens one connection: the reason
/// when that fails.
asio::awaitable<std::optional<std::string>> probe(GatewayTarget target, double timeout_s,
                                                  std::vector<tcp::endpoint>& endpoints) {
  auto resolved = co_await resolve_endpoints(target.host, target.port);
  if (!resolved) co_return resolved.error();
  endpoints = *resolved;
  ConnectionPool pool(endpoints, 1);
  const auto timeout = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(timeout_s));
  auto conn = co_await pool.connect(timeout);
  if (!conn) co_return conn.error().message();
  co_return std::nullopt;
}

std::expected<LoadResult, std::string> run_load(const workload::Workload& workload, const LoadOptions& options) {
  // Reach the gateway once before the clock starts: an unreachable URL is a
  // setup error, not a run full of transport errors.
  std::vector<tcp::endpoint> endpoints;
  std::optional<std::string> unreachable;
  {
    asio::io_context setup;
    asio::co_spawn(setup, probe(options.target, options.connect_timeout_s, endpoints),
                   [&unreachable](std::exception_ptr e, std::optional<std::string> why) {
                     rethrow(e);
                     unreachable = std::move(why);
                   });
    setup.run();
  }
  if (unreachable) {
    return std::unexpected(fmt::format("cannot reach {}:{}: {}", options.target.host, options.target.port,
                                       *unreachable));
  }

  RunState run(workload, options, std::move(endpoints));
  run.start = RunState::SteadyClock::now();
  run.hard_deadline = run.at(workload.duration_s + options.drain_s);
  asio::co_spawn(run.io, dispatch(run, workload), rethrow);
  asio::co_spawn(run.io, sample_backlog(run), rethrow);
  if (options.progress) asio::co_spawn(run.io, show_progress(run, ::isatty(STDERR_FILENO) == 1), rethrow);
  // Every request ends by the hard deadline (its socket's expiry), so the
  // io_context runs out of work on its own.
  run.io.run();
  run.pool.clear();
  run.stats.connections_opened = run.pool.opened();
  return LoadResult{std::move(run.recorder), std::move(run.stats)};
}

}  // namespace sluice::loadgen
