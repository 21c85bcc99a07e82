#pragma once
/// What one I/O thread owns: its upstream pool and random source, plus a
/// reference to the shared gateway context. Thread-safety: a Worker is used
/// only by coroutines running on its own io_context.
#include <cstdint>
#include <random>
#include <string>

#include "sluice/core/clock.h"
#include "sluice/proxy/gateway_context.h"
#include "sluice/proxy/grace_cancel.h"
#include "sluice/proxy/upstream_pool.h"

namespace sluice::proxy {

struct Worker {
  Worker(GatewayContext& context, std::uint64_t seed) : ctx(context), rng(seed) {}

  GatewayContext& ctx;
  UpstreamPool pool;
  std::mt19937_64 rng;
  core::SteadyClock clock;
  /// Running requests, cancelled when the shutdown grace period ends.
  GraceCancel grace;

  /// 32 hex digits.
  std::string new_request_id();
};

/// Whether a client-supplied x-request-id may be reused: 1–128 characters of
/// [A-Za-z0-9._:-].
bool is_valid_request_id(std::string_view id);

}  // namespace sluice::proxy
