#include "sluice/proxy/reload.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "sluice/config/diff.h"
#include "sluice/config/loader.h"
#include "sluice/obs/histogram.h"
#include "sluice/proxy/model_pool.h"

namespace sluice::proxy {

ReloadOutcome apply_config(GatewayContext& ctx, config::Config next, std::string_view salt_secret,
                           const RoutesBuilder& build_routes) {
  std::lock_guard lock(ctx.reloads.mu);
  ReloadOutcome outcome;
  const std::shared_ptr<const ConfigSnapshot> old = ctx.config.load();
  outcome.errors = config::needs_restart(old->config, next);
  if (!outcome.errors.empty()) {
    outcome.reason = "needs_restart";
    return outcome;
  }
  const config::ConfigDiff diff = config::diff_configs(old->config, next);
  outcome.reloaded = true;
  outcome.changes = diff.lines;
  if (diff.empty()) return outcome;

  // From here on nothing can fail. The new snapshot takes over the quota
  // state of the tenants that stay (their limits change in place).
  auto snapshot = std::make_shared<const ConfigSnapshot>(std::move(next), salt_secret, ctx.metrics, old.get());
  // Queues learn the new shares before the first request of a new tenant
  // can reach them.
  ctx.set_tenant_shares(*snapshot);
  for (std::size_t m = 0; m < snapshot->config.models.size(); ++m) {
    if (std::find(diff.models_changed.begin(), diff.models_changed.end(), snapshot->config.models[m].name) !=
        diff.models_changed.end()) {
      // Same model list (or needs_restart refused it): pool m is model m.
      ctx.pools[m]->set_outlier_detection(snapshot->config.models[m].outlier_detection);
      ctx.pools[m]->set_balance(snapshot->config.models[m].balance);
    }
  }
  ctx.config.publish(snapshot);
  if (!diff.models_changed.empty()) ctx.publish_routes(build_routes(snapshot->config, *ctx.routes.load()));
  return outcome;
}

ReloadOutcome reload_config_file(GatewayContext& ctx, const std::string& path, std::string_view salt_secret,
                                 const RoutesBuilder& build_routes, const ConfigCompleter& complete) {
  ReloadOutcome outcome;
  auto loaded = config::load_config_file(path);
  std::expected<void, std::string> completed;
  if (loaded && complete) completed = complete(*loaded);
  if (loaded && !completed) {
    outcome.errors.push_back(completed.error());
    outcome.reason = "invalid_config";
  } else if (loaded) {
    outcome = apply_config(ctx, std::move(*loaded), salt_secret, build_routes);
  } else {
    for (const auto& e : loaded.error()) outcome.errors.push_back(e.to_string());
    outcome.reason = "invalid_config";
  }
  if (outcome.reloaded) {
    ctx.reloads.ok.fetch_add(1, std::memory_order_relaxed);
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    ctx.reloads.last_success_unix.store(std::chrono::duration<double>(now).count(), std::memory_order_relaxed);
    if (outcome.changes.empty()) {
      spdlog::info("config reloaded from {}: no changes", path);
    } else {
      spdlog::info("config reloaded from {}: {} change{}", path, outcome.changes.size(),
                   outcome.changes.size() == 1 ? "" : "s");
      for (const auto& change : outcome.changes) spdlog::info("  {}", change);
    }
  } else {
    ctx.reloads.failed.fetch_add(1, std::memory_order_relaxed);
    spdlog::error("config reload from {} refused ({}); the running config stays", path,
                  outcome.reason == "needs_restart" ? "changes that need a restart"
                                        : fmt::format("{} config error{}", outcome.errors.size(),
                                                      outcome.errors.size() == 1 ? "" : "s"));
    for (const auto& error : outcome.errors) spdlog::error("  {}", error);
  }
  return outcome;
}

void render_reload_metrics(const GatewayContext& ctx, std::string& out) {
  obs::render_header(out, "sluice_config_reloads_total", "counter",
                     "Config reloads (SIGHUP, POST /admin/reload), by result.");
  out += fmt::format("sluice_config_reloads_total{{result=\"ok\"}} {}\n", ctx.reloads.ok.load());
  out += fmt::format("sluice_config_reloads_total{{result=\"failed\"}} {}\n", ctx.reloads.failed.load());
  obs::render_header(out, "sluice_config_last_reload_success_timestamp_seconds", "gauge",
                     "When the running config was loaded (start or the last successful reload), Unix seconds.");
  out += fmt::format("sluice_config_last_reload_success_timestamp_seconds {:.3f}\n",
                     ctx.reloads.last_success_unix.load());
}

}  // namespace sluice::proxy
