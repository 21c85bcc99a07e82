#include "sluice/proxy/gateway_context.h"

namespace sluice::proxy {

ConfigSnapshot::ConfigSnapshot(config::Config cfg, std::string_view salt_secret, obs::GatewayMetrics& metrics)
    : config(std::move(cfg)), tenants(config, salt_secret) {
  const std::size_t models = config.models.size();
  series_.reserve(config.tenants.size() * (models + 1));
  for (const auto& t : config.tenants) {
    for (const auto& m : config.models) series_.push_back(metrics.series(t.id, m.name));
    series_.push_back(metrics.series(t.id, obs::GatewayMetrics::kNone));
  }
  anonymous_ = metrics.series(obs::GatewayMetrics::kNone, obs::GatewayMetrics::kNone);
}

}  // namespace sluice::proxy
