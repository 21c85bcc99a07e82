#pragma once
/// Request mirroring: a copy of a request sent to another model pool,
/// fire-and-forget. The copy takes a slot on an instance with room (never
/// queueing: with no room it is dropped), its response is read and
/// discarded, it is never charged to the tenant, and the original never
/// waits for it.
#include <string>

#include "sluice/core/clock.h"
#include "sluice/obs/route_metrics.h"
#include "sluice/proxy/model_pool.h"

namespace sluice::proxy {

/// Starts the copy on `executor` and returns at once. `pool` must outlive
/// the gateway's I/O (model pools live as long as the process).
void start_mirror(const net::asio::any_io_executor& executor, ModelPool& pool, std::string path, std::string body,
                  core::Duration timeout, obs::RouteCounters* counters);

}  // namespace sluice::proxy
