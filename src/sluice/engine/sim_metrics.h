#pragma once
/// Prometheus text of the engine simulator, with vLLM's metric names and a
/// `model_name` label so dashboards and the gateway's scrapers work unchanged.
#include <cstdint>
#include <string>
#include <string_view>

#include "sluice/engine/timing_model.h"

namespace sluice::engine {

/// Renders every metric of `model`, plus
/// `sluice_sim_requests_cancelled_total` (client disconnects).
std::string render_metrics(const TimingModel& model, std::int64_t client_cancels, std::string_view model_name);

}  // namespace sluice::engine
