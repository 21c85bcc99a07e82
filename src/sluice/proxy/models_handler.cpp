#include <chrono>

#include <nlohmann/json.hpp>

#include "sluice/proxy/client_writer.h"
#include "sluice/proxy/handlers.h"

namespace sluice::proxy {

using namespace sluice::net;

namespace {

nlohmann::json model_object(std::string_view name, std::int64_t created) {
  return {{"id", name}, {"object", "model"}, {"created", created}, {"owned_by", "sluice"}};
}

}  // namespace

asio::awaitable<bool> handle_models(Worker& worker, Stream& client, RequestContext& rc,
                                    const ClientRequest& req, std::string_view model_id) {
  const ConfigSnapshot& cfg = *rc.config;
  const bool keep = req.keep_alive() && !worker.ctx.draining.load(std::memory_order_relaxed);
  core::Error error;
  if (!authenticate(cfg, req, rc, error)) co_return co_await write_error(client, rc, error, keep);
  rc.series = cfg.series(rc.tenant->index, cfg.config.models.size());
  // A fixed creation time per process: the models are this config's.
  static const std::int64_t created =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();

  if (!model_id.empty()) {
    if (!cfg.config.find_model(model_id) || !cfg.tenants.may_use(*rc.tenant, model_id)) {
      const core::Error not_found{core::ErrorCode::kModelNotFound,
                                  "The model `" + std::string(model_id) + "` does not exist or you do not have access to it.",
                                  "model"};
      co_return co_await write_error(client, rc, not_found, keep);
    }
    rc.model = std::string(model_id);
    co_return co_await write_response(client, rc, 200, "application/json", model_object(model_id, created).dump(), keep);
  }
  nlohmann::json list{{"object", "list"}, {"data", nlohmann::json::array()}};
  for (const auto& m : cfg.config.models) {
    if (cfg.tenants.may_use(*rc.tenant, m.name)) list["data"].push_back(model_object(m.name, created));
  }
  co_return co_await write_response(client, rc, 200, "application/json", list.dump(), keep);
}

}  // namespace sluice::proxy
