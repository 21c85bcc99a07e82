// `sluice serve`: wires config, tenants, the simulated fleet, the gateway and
// the admin listener together, and runs until SIGINT/SIGTERM. SIGHUP and
// POST /admin/reload reload the config file (proxy/reload.h).
#include <signal.h>
#include <unistd.h>

#include <condition_variable>
#include <fmt/format.h>
#include <filesystem>
#include <mutex>
#include <random>
#include <nlohmann/json.hpp>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include "commands.h"
#include "fleet_role.h"
#include "sluice/admin/admin_server.h"
#include "sluice/admin/state_api.h"
#include "sluice/cluster/shared_limits.h"
#include "sluice/config/api_key_hash.h"
#include "sluice/config/loader.h"
#include "sluice/config/warnings.h"
#include "sluice/health/health_prober.h"
#include "sluice/health/load_scraper.h"
#include "sluice/provider/routing_builder.h"
#include "sluice/provider/fleet_controller.h"
#include "sluice/provider/process_provider.h"
#include "sluice/proxy/gateway_server.h"
#include "sluice/proxy/instance_metrics.h"
#include "sluice/proxy/listener_tls.h"
#include "sluice/proxy/model_pool.h"
#include "sluice/proxy/reload.h"
#include "sluice/proxy/scheduler_metrics.h"
#include "sluice/proxy/remaining.h"
#include "sluice/proxy/store_sync.h"
#include "sluice/store/store.h"
#include "sluice/store/tenant_loader.h"
#include "sluice/store/usage_writer.h"
#include "sluice/tenancy/budget_ledger.h"

namespace sluice::app {

namespace asio = boost::asio;

namespace {

std::string random_secret() {
  unsigned char bytes[32];
  RAND_bytes(bytes, sizeof bytes);
  std::string hex;
  for (unsigned char b : bytes) hex += fmt::format("{:02x}", b);
  return hex;
}

std::int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// The directory of the config file: a relative SQLite path is relative to it.
std::string config_directory(const std::string& config_path) {
  const auto dir = std::filesystem::absolute(config_path).parent_path();
  return dir.string();
}

std::string self_exe() {
  char buf[4096];
  const auto n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string("sluice");
}

/// The shortest engine_metrics_interval of any model (one scrape loop serves all).
std::chrono::milliseconds scrape_interval(const config::Config& cfg) {
  auto interval = std::chrono::milliseconds(500);
  bool first = true;
  for (const auto& m : cfg.models) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(m.scheduler.engine_metrics_interval);
    if (first || ms < interval) interval = std::max(ms, std::chrono::milliseconds(10));
    first = false;
  }
  return interval;
}

/// Whether a tenant of `cfg` accepts `key` (the quickstart's demo keys are
/// printed only when the loaded config really accepts them).
bool accepts_key(const config::Config& cfg, std::string_view key) {
  const std::string hash = config::sha256_hex(key);
  for (const auto& t : cfg.tenants)
    for (const auto& k : t.api_keys)
      if (k.sha256_hex == hash) return true;
  return false;
}

/// What /readyz and sluice_ready say (admin::Readiness).
admin::Readiness readiness(const proxy::GatewayContext& ctx) {
  admin::Readiness r;
  r.started = ctx.ready.load() && !ctx.draining.load();
  if (r.started) {
    const auto cfg = ctx.config.load();
    r.models_not_serving = balance::models_without_instance(
        *ctx.routes.load(), core::steady_now().time_since_epoch().count(), cfg->config.server.ready_models);
  }
  return r;
}

void print_banner(const config::Config& cfg, std::uint16_t api_port, std::uint16_t admin_port) {
  const std::string base =
      fmt::format("{}://{}:{}", cfg.listen.api_tls.enabled() ? "https" : "http", cfg.listen.api.host, api_port);
  std::string models;
  for (const auto& m : cfg.models) models += fmt::format("{}{}", models.empty() ? "" : ", ", m.name);
  // examples/quickstart.yaml's demo key; any other config's keys are its own
  // and are never printed.
  const bool demo = accepts_key(cfg, "sk-demo-acme");
  const std::string key = demo ? "sk-demo-acme" : "$OPENAI_API_KEY";
  fmt::print(stderr,
             "\nsluice is ready.\n"
             "  OpenAI API : {}/v1   (models: {})\n"
             "  admin      : {}://{}:{}/metrics  /healthz  /readyz  /admin/… (token: {})\n\n"
             "{}"
             "  curl -s {}/v1/chat/completions -H \"Authorization: Bearer {}\" \\\n"
             "       -H 'Content-Type: application/json' \\\n"
             "       -d '{{\"model\":\"{}\",\"messages\":[{{\"role\":\"user\",\"content\":\"Hello\"}}],\"max_tokens\":32}}'\n"
             "  OpenAI SDK: base_url=\"{}/v1\", api_key={}\n"
             "Stop with Ctrl-C.\n\n",
             base, models, cfg.listen.admin_tls.enabled() ? "https" : "http", cfg.listen.admin.host, admin_port,
             cfg.admin.bootstrap_token_sha256 == config::sha256_hex("sla-demo-admin") ? "sla-demo-admin"
             : cfg.admin.bootstrap_token_sha256.empty()                              ? "none configured: set admin.bootstrap_token"
                                                                                     : "the bootstrap token",
             demo ? "Try it (demo keys of examples/quickstart.yaml: sk-demo-acme, sk-demo-globex):\n"
                  : "Try it with an API key of one of your tenants:\n",
             base, key, cfg.models.empty() ? "" : cfg.models.front().name, base,
             demo ? "\"sk-demo-acme\"" : "<your key>");
}

}  // namespace

int run_serve(const ServeOptions& options) {
  auto loaded = config::load_config_file(options.config_path);
  if (!loaded) {
    for (const auto& e : loaded.error()) fmt::print(stderr, "{}\n", e.to_string());
    fmt::print(stderr, "sluice serve: refusing to start: {} config error{}\n", loaded.error().size(),
               loaded.error().size() == 1 ? "" : "s");
    return 2;
  }
  const config::Config cfg = std::move(*loaded);
  for (const auto& warning : config::config_warnings(cfg)) spdlog::warn("config: {}", warning);
  ::signal(SIGPIPE, SIG_IGN);

  // Durable state: one connection for the admin API and the snapshot, one
  // for the usage ledger's writer, so neither waits on the other.
  const std::string config_dir = config_directory(options.config_path);
  auto state = store::Store::open(cfg.store, config_dir);
  if (!state) {
    fmt::print(stderr, "sluice serve: cannot open the store ({}): {}\n", cfg.store.url, state.error().message);
    return 2;
  }
  auto ledger_store = store::Store::open(cfg.store, config_dir);
  if (!ledger_store) {
    fmt::print(stderr, "sluice serve: cannot open the store ({}): {}\n", cfg.store.url, ledger_store.error().message);
    return 2;
  }
  config::Config effective = cfg;
  if (auto r = store::add_store_tenants(**state, effective, unix_ms()); !r) {
    fmt::print(stderr, "sluice serve: refusing to start: {}\n", r.error().message);
    return 2;
  }
  spdlog::info("store: {} ({} tenant(s) from the store)", (*state)->describe(), effective.tenants.size() - cfg.tenants.size());
  store::UsageWriter usage(
      [&ledger = **ledger_store](std::span<const store::UsageRecord> rows) { return ledger.append_usage(rows); },
      std::chrono::duration_cast<std::chrono::milliseconds>(cfg.store.commit_interval),
      static_cast<std::size_t>(cfg.store.usage_buffer));

  const std::string secret = cfg.server.cache_salt_secret.empty() ? random_secret() : cfg.server.cache_salt_secret;
  proxy::GatewayContext ctx(nullptr, std::make_shared<balance::RoutingTable>(), cfg.server.access_log);
  ctx.config.publish(std::make_shared<proxy::ConfigSnapshot>(effective, secret, ctx.metrics));
  if (cfg.store.usage_ledger) {
    ctx.usage = &usage;
    usage.start();
  } else {
    spdlog::warn("store: usage_ledger is off: finished requests are not recorded (no usage reports, budgets "
                 "start from zero at each start)");
  }
  ctx.build_schedulers(*ctx.config.load());
  // Several replicas: rate, token and concurrency limits shared through Redis.
  std::unique_ptr<cluster::SharedLimits> shared_limits;
  if (cfg.cluster.enabled()) {
    auto sharing = std::make_shared<tenancy::QuotaSharing>();
    ctx.config.load()->quotas->share(sharing);
    shared_limits = std::make_unique<cluster::SharedLimits>(cfg.cluster, cfg.cluster.replica_id, sharing,
                                                            [&ctx] { return ctx.config.load()->quotas; });
    shared_limits->start();
    ctx.take_lease = [&shared = *shared_limits](tenancy::LeaseNeed need, proxy::LeaseDone done) {
      shared.take(std::move(need), std::move(done));
    };
    spdlog::info("cluster: replica {} shares limits through {}", shared_limits->replica_id(), cfg.cluster.redis);
  }
  ctx.reloads.last_success_unix.store(
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
  // The fleet: engine instances of `sim` and `process` models, started and healed by the
  // controller on the control thread once the server runs.
  provider::ProcessProvider processes([exe = self_exe()](const provider::LaunchSpec& spec, std::uint16_t port) {
    return provider::command_for(exe, spec, port);
  });
  // Alone, this gateway drives its fleet; with cluster.redis, the replica
  // holding the fleet lease does and the others route to what it publishes.
  // Declared first, so destroyed after the fleet, which drives its provider.
  std::unique_ptr<FleetRole> role;
  std::unique_ptr<provider::FleetController> fleet;
  const provider::ServingLookup serving = [&role](std::string_view model) {
    return role ? role->serving(model) : std::vector<std::shared_ptr<balance::Instance>>{};
  };
  ctx.publish_routes(provider::build_routing_table(cfg, serving));  // static models now; sim ones once they serve
  const proxy::RoutesBuilder routes_builder = [&serving](const config::Config& next,
                                                         const balance::RoutingTable& previous) {
    return provider::build_routing_table(next, serving, &previous);
  };
  proxy::GatewayServer server(ctx, cfg.server.threads);
  proxy::StoreSync store_sync(ctx, **state, cfg, secret, routes_builder, server.control_io());
  // Admin tokens: the config's bootstrap token and those issued through the API.
  std::atomic<std::shared_ptr<const admin::AdminTokens>> admin_tokens;
  const auto refresh_tokens = [&] {
    auto issued = (*state)->admin_tokens();
    if (!issued) {
      spdlog::error("store: admin tokens not reloaded: {}", issued.error().message);
      if (admin_tokens.load()) return;
    }
    admin_tokens.store(std::make_shared<const admin::AdminTokens>(
        cfg.admin.bootstrap_token_sha256, issued ? *issued : std::vector<store::AdminTokenRecord>{}));
  };
  refresh_tokens();
  admin::StateApi state_api(**state, admin::StateApi::Hooks{
      .changed = [&store_sync] { store_sync.publish(); },
      .tokens_changed = refresh_tokens,
      .config_tenants = [&ctx] {
        std::vector<config::Tenant> out;
        for (const auto& t : ctx.config.load()->config.tenants)
          if (t.origin != "store") out.push_back(t);
        return out;
      },
      .remaining = [&ctx](const std::string& tenant) { return proxy::remaining_json(*ctx.config.load(), tenant); },
      .now_ms = unix_ms});
  // A tenant's own usage and remaining quota, read off the I/O threads.
  asio::thread_pool blocking(1);
  ctx.blocking = &blocking;
  ctx.tenant_state = [&state_api](std::string_view path, std::string_view query, const std::string& tenant) {
    const admin::AdminReply r = path == "/v1/sluice/usage" ? state_api.usage(query, tenant) : state_api.remaining(tenant);
    return proxy::GatewayContext::TenantStateReply{r.status, r.content_type, r.body};
  };
  // SIGHUP and POST /admin/reload, both on the control thread.
  // The listeners' certificates, re-read on every reload (renewals).
  auto listener_tls = proxy::ListenerTls::load(cfg.listen);
  if (!listener_tls) {
    fmt::print(stderr, "sluice serve: {}\n", listener_tls.error());
    return 2;
  }
  const auto reload = [&ctx, &routes_builder, &secret, &store_sync, &listener_tls, path = options.config_path] {
    if (!ctx.ready.load()) {  // the engine simulators are still starting: their table is not final yet
      proxy::ReloadOutcome refused;
      refused.errors.push_back("the gateway is still starting; reload once /readyz answers 200");
      refused.reason = "starting";
      ctx.reloads.failed.fetch_add(1, std::memory_order_relaxed);
      spdlog::error("config reload refused: {}", refused.errors.front());
      return refused;
    }
    auto outcome = proxy::reload_config_file(ctx, path, secret, routes_builder,
                                             [&store_sync](config::Config& next) { return store_sync.complete(next); });
    listener_tls->reload(ctx.config.load()->config.listen);  // as reloaded, or as it was
    if (outcome.reloaded) {
      // The YAML part of what is now running, for the store's republishes.
      config::Config yaml = ctx.config.load()->config;
      std::erase_if(yaml.tenants, [](const config::Tenant& t) { return t.origin == "store"; });
      store_sync.set_yaml(std::move(yaml));
    }
    return outcome;
  };

  role = std::make_unique<FleetRole>(cfg, server.control_io(), processes);
  const auto republish_routes = [&ctx, &serving] {
    const auto snapshot = ctx.config.load();
    ctx.publish_routes(provider::build_routing_table(snapshot->config, serving, ctx.routes.load().get()));
  };
  fleet = std::make_unique<provider::FleetController>(
      server.control_io(), cfg, role->provider(),
      provider::FleetController::Hooks{
          .republish =
              [&republish_routes, &role] {
                republish_routes();
                role->changed();
              },
          .queued = [&ctx](std::size_t model) -> std::int64_t {
            if (model >= ctx.pools.size()) return 0;
            const auto view = ctx.pools[model]->view();
            std::int64_t n = 0;
            for (std::size_t queued : view.queued_by_band) n += static_cast<std::int64_t>(queued);
            return n;
          },
          .failover_changed =
              [&blocking, &state](std::string id, std::string model, std::int64_t detected_ms, std::string json) {
                // The failover log outlives the process: written off the control thread.
                asio::post(blocking, [&state, id = std::move(id), model = std::move(model), detected_ms,
                                      json = std::move(json)] {
                  if (auto r = (*state)->append_failover(id, model, detected_ms, json); !r)
                    spdlog::error("store: failover {} not written: {}", id, r.error().message);
                });
              }});
  role->attach(*fleet, republish_routes);
  if (auto r = server.listen(cfg.listen.api, listener_tls->api); !r) {
    fmt::print(stderr, "sluice serve: cannot listen for the API on {}\n", r.error());
    return 1;
  }
  admin::AdminServer admin_server(server.control_io(), admin::AdminHandlers{
      .tokens = [&admin_tokens] { return admin_tokens.load(); },
      .protect_metrics = cfg.admin.protect_metrics,
      .state_api = [&state_api](const admin::AdminRequest& r) { return state_api.handle(r); },
      .render_metrics = [&ctx, &role, &usage, &shared_limits] {
        std::string out;
        ctx.metrics.render(out);
        proxy::render_scheduler_metrics(ctx, out);
        proxy::render_instance_metrics(*ctx.routes.load(), out);
        role->render_metrics(out);
        proxy::render_reload_metrics(ctx, out);
        usage.render_metrics(out);
        if (shared_limits) shared_limits->render_metrics(out);
        obs::render_header(out, "sluice_ready", "gauge",
                           "1 when the gateway is ready to serve: started, not draining, and every model has an "
                           "instance that can take a request (GET /readyz says which cannot).");
        out += fmt::format("sluice_ready {}\n", readiness(ctx).ready() ? 1 : 0);
        return out;
      },
      .ready = [&ctx] { return readiness(ctx); },
      .draining = [&ctx] { return ctx.draining.load(); },
      .instances_json = [&ctx] { return proxy::instances_json(*ctx.routes.load()); },
      .reload = [&reload] {
        const proxy::ReloadOutcome r = reload();
        return admin::ReloadResult{.reloaded = r.reloaded, .changes = r.changes, .errors = r.errors,
                                   .reason = r.reason};
      },
      .fleet = [&role](admin::http_verb method, std::string_view path, std::string_view body) {
        return role->handle_admin(method, path, body);
      }});
  if (auto r = admin_server.listen(cfg.listen.admin, listener_tls->admin); !r) {
    fmt::print(stderr, "sluice serve: cannot listen for admin on {}\n", r.error());
    return 1;
  }

  std::mutex mu;
  std::condition_variable cv;
  bool stop_requested = false;
  asio::signal_set signals(server.control_io(), SIGINT, SIGTERM, SIGCHLD);
  signals.add(SIGHUP);
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& ec, int signo) {
        if (ec) return;
        if (signo == SIGCHLD) {
          fleet->on_child_exit();
        } else if (signo == SIGHUP) {
          spdlog::info("received SIGHUP, reloading {}", options.config_path);
          reload();
        } else {
          spdlog::info("received {}, shutting down", signo == SIGINT ? "SIGINT" : "SIGTERM");
          // From now on an engine that exits (a Ctrl-C or a systemd stop signals
          // the engines too) is stopped, not failed: no restart, no failover.
          fleet->begin_stop();
          std::lock_guard lock(mu);
          stop_requested = true;
          cv.notify_all();
        }
        signals.async_wait(on_signal);
      };
  signals.async_wait(on_signal);

  server.start();
  admin_server.start();
  // Every scrape round also runs the outlier sweeps that are due.
  health::LoadScraper scraper(server.control_io(), ctx.routes, scrape_interval(cfg), [&ctx] {
    const auto now = core::steady_now();
    for (auto& pool : ctx.pools) {
      pool->sweep_if_due(now);
      pool->pump();
    }
  });
  scraper.start();
  health::HealthProber prober(
      server.control_io(), ctx.routes,
      [&ctx](std::size_t model) -> std::optional<health::ActiveCheckConfig> {
        const auto snapshot = ctx.config.load();
        if (model >= snapshot->config.models.size()) return std::nullopt;
        const config::HealthCheckConfig& checks = snapshot->config.models[model].health_check;
        if (!checks.enabled) return std::nullopt;
        return checks;
      },
      [&ctx] {
        for (auto& pool : ctx.pools) pool->pump();
      },
      std::random_device{}());
  prober.start();

  store_sync.seed_budgets();
  if (cfg.cluster.enabled()) store_sync.seed_budgets_on_every_poll();
  store_sync.start_polling(refresh_tokens);
  role->start();
  if (auto r = role->wait_ready(cfg.fleet.start_timeout); !r) {
    spdlog::error("sluice serve: {}", r.error());
    role->stop(std::chrono::seconds(1));
    server.shutdown(std::chrono::seconds(0));
    return 1;
  }
  ctx.ready.store(true);
  if (!options.quiet) print_banner(cfg, server.api_port(), admin_server.port());
  spdlog::info("listening: api {}:{} admin {}:{}", cfg.listen.api.host, server.api_port(), cfg.listen.admin.host,
               admin_server.port());

  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return stop_requested; });
  }
  scraper.stop();
  prober.stop();
  // The admin listener (on the gateway's thread 0) answers through the grace
  // period: /readyz says 503 draining, /metrics shows the drain.
  asio::post(server.control_io(), [&store_sync] { store_sync.stop(); });
  server.shutdown(ctx.config.load()->config.server.shutdown_grace);  // as reloaded
  admin_server.stop();
  if (shared_limits) shared_limits->stop();  // unused leases go back to the shared buckets
  // Every finished request's usage reaches the ledger before the process ends.
  blocking.join();
  usage.stop();
  spdlog::info("usage ledger: {} row(s) written", usage.written());
  role->stop(std::chrono::seconds(5));  // a leader among live replicas hands its engines over
  fleet.reset();  // its timer must go before the io_contexts it was made on; it drives the role's provider
  role.reset();
  spdlog::info("stopped");
  return 0;
}

}  // namespace sluice::app
