// `sluice serve`: wires config, tenants, the simulated fleet, the gateway and
// the admin listener together, and runs until SIGINT/SIGTERM. SIGHUP and
// POST /admin/reload reload the config file (proxy/reload.h).
#include <signal.h>
#include <unistd.h>

#include <condition_variable>
#include <fmt/format.h>
#include <mutex>
#include <random>
#include <nlohmann/json.hpp>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include "commands.h"
#include "sluice/admin/admin_server.h"
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
#include "sluice/proxy/model_pool.h"
#include "sluice/proxy/reload.h"
#include "sluice/proxy/scheduler_metrics.h"

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
  const std::string base = fmt::format("http://{}:{}", cfg.listen.api.host, api_port);
  std::string models;
  for (const auto& m : cfg.models) models += fmt::format("{}{}", models.empty() ? "" : ", ", m.name);
  // examples/quickstart.yaml's demo key; any other config's keys are its own
  // and are never printed.
  const bool demo = accepts_key(cfg, "sk-demo-acme");
  const std::string key = demo ? "sk-demo-acme" : "$OPENAI_API_KEY";
  fmt::print(stderr,
             "\nsluice is ready.\n"
             "  OpenAI API : {}/v1   (models: {})\n"
             "  admin      : http://{}:{}/metrics  /healthz  /readyz\n\n"
             "{}"
             "  curl -s {}/v1/chat/completions -H \"Authorization: Bearer {}\" \\\n"
             "       -H 'Content-Type: application/json' \\\n"
             "       -d '{{\"model\":\"{}\",\"messages\":[{{\"role\":\"user\",\"content\":\"Hello\"}}],\"max_tokens\":32}}'\n"
             "  OpenAI SDK: base_url=\"{}/v1\", api_key={}\n"
             "Stop with Ctrl-C.\n\n",
             base, models, cfg.listen.admin.host, admin_port,
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

  const std::string secret = cfg.server.cache_salt_secret.empty() ? random_secret() : cfg.server.cache_salt_secret;
  proxy::GatewayContext ctx(nullptr, std::make_shared<balance::RoutingTable>(), cfg.server.access_log);
  ctx.config.publish(std::make_shared<proxy::ConfigSnapshot>(cfg, secret, ctx.metrics));
  ctx.build_schedulers(*ctx.config.load());
  ctx.reloads.last_success_unix.store(
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
  // The fleet: engine instances of `sim` and `process` models, started and healed by the
  // controller on the control thread once the server runs.
  provider::ProcessProvider processes([exe = self_exe()](const provider::LaunchSpec& spec, std::uint16_t port) {
    return provider::command_for(exe, spec, port);
  });
  std::unique_ptr<provider::FleetController> fleet;
  const provider::ServingLookup serving = [&fleet](std::string_view model) {
    return fleet ? fleet->serving(model) : std::vector<std::shared_ptr<balance::Instance>>{};
  };
  ctx.publish_routes(provider::build_routing_table(cfg, serving));  // static models now; sim ones once they serve
  // SIGHUP and POST /admin/reload, both on the control thread.
  const auto reload = [&ctx, &serving, &secret, path = options.config_path] {
    if (!ctx.ready.load()) {  // the engine simulators are still starting: their table is not final yet
      proxy::ReloadOutcome refused;
      refused.errors.push_back("the gateway is still starting; reload once /readyz answers 200");
      refused.reason = "starting";
      ctx.reloads.failed.fetch_add(1, std::memory_order_relaxed);
      spdlog::error("config reload refused: {}", refused.errors.front());
      return refused;
    }
    return proxy::reload_config_file(ctx, path, secret,
                                     [&serving](const config::Config& next, const balance::RoutingTable& previous) {
                                       return provider::build_routing_table(next, serving, &previous);
                                     });
  };

  proxy::GatewayServer server(ctx, cfg.server.threads);
  fleet = std::make_unique<provider::FleetController>(
      server.control_io(), cfg, processes,
      provider::FleetController::Hooks{
          .republish =
              [&ctx, &serving] {
                const auto snapshot = ctx.config.load();
                ctx.publish_routes(provider::build_routing_table(snapshot->config, serving, ctx.routes.load().get()));
              },
          .queued = [&ctx](std::size_t model) -> std::int64_t {
            if (model >= ctx.pools.size()) return 0;
            const auto view = ctx.pools[model]->view();
            std::int64_t n = 0;
            for (std::size_t queued : view.queued_by_band) n += static_cast<std::int64_t>(queued);
            return n;
          }});
  if (auto r = server.listen(cfg.listen.api); !r) {
    fmt::print(stderr, "sluice serve: cannot listen for the API on {}\n", r.error());
    return 1;
  }
  admin::AdminServer admin_server(server.control_io(), admin::AdminHandlers{
      .render_metrics = [&ctx, &fleet] {
        std::string out;
        ctx.metrics.render(out);
        proxy::render_scheduler_metrics(ctx, out);
        proxy::render_instance_metrics(*ctx.routes.load(), out);
        fleet->render_metrics(out);
        proxy::render_reload_metrics(ctx, out);
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
      .fleet = [&fleet](admin::http_verb method, std::string_view path, std::string_view body) {
        return fleet->handle_admin(method, path, body);
      }});
  if (auto r = admin_server.listen(cfg.listen.admin); !r) {
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

  fleet->start();
  if (auto r = fleet->wait_until_serving(cfg.fleet.start_timeout); !r) {
    spdlog::error("sluice serve: {}", r.error());
    fleet->stop(std::chrono::seconds(1));
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
  server.shutdown(ctx.config.load()->config.server.shutdown_grace);  // as reloaded
  admin_server.stop();
  fleet->stop(std::chrono::seconds(5));
  fleet.reset();  // its timer must go before the io_contexts it was made on
  spdlog::info("stopped");
  return 0;
}

}  // namespace sluice::app
