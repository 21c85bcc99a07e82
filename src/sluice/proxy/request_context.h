#pragma once
/// The small per-request state of the gateway: what the access log and the
/// metrics need when the request ends.
#include <string>

#include "sluice/core/clock.h"
#include "sluice/net/lazy_deadline.h"
#include "sluice/obs/gateway_metrics.h"
#include "sluice/proxy/gateway_context.h"

namespace sluice::store {
class UsageWriter;
}

namespace sluice::proxy {

struct RequestContext {
  std::string request_id;
  std::string method;
  std::string path;
  core::TimePoint started{};
  std::shared_ptr<const ConfigSnapshot> config;   // borrowed for the whole request
  net::LazyDeadline* deadline = nullptr;          // the connection's; bounds the upstream exchange
  net::LazyDeadline* watch_delay = nullptr;       // the connection's; starts the client-close watch
  const tenancy::TenantEntry* tenant = nullptr;   // null until authenticated
  const tenancy::KeyEntry* key = nullptr;         // the API key it came with, once authenticated
  std::string model;                              // client-facing model, once known
  std::string instance;                           // instance id, once picked
  obs::RequestSeries* series = nullptr;           // null = anonymous
  bool stream = false;
  int status = 0;
  std::string error_code;
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  std::int64_t streamed_tokens = 0;  // stream events relayed (≈ tokens), before the usage arrives
  double ttfb_s = -1;  // < 0 = no body byte sent
  /// More response header lines ("Name: value\r\n" each): x-ratelimit-*, Retry-After.
  std::string extra_head;

  /// Counts the request in metrics, queues its usage for the ledger and
  /// writes the access-log line.
  void finish(GatewayContext& ctx, core::TimePoint now);

 private:
  void record_usage(store::UsageWriter& ledger) const;
};

}  // namespace sluice::proxy
