#pragma once
/// One request forwarded to one engine instance and its response relayed to
/// the client: non-streamed bodies are read whole (they are small), streams
/// are relayed event by event as they arrive, the usage chunk is read (and
/// stripped when the client did not ask for it).
#include <functional>
#include <optional>
#include <string>

#include "sluice/core/error.h"
#include "sluice/net/asio.h"
#include "sluice/proxy/request_context.h"
#include "sluice/proxy/worker.h"

namespace sluice::proxy {

struct ExchangePlan {
  const balance::Instance* instance = nullptr;
  std::string target;        // upstream path, e.g. "/v1/chat/completions"
  std::string body;          // upstream body
  bool stream = false;
  bool client_wants_usage = false;
  core::Duration connect_timeout{};
  core::Duration timeout{};  // whole exchange
  /// Called as a stream is relayed, with the events (≈ tokens) relayed so far.
  std::function<void(std::int64_t)> on_streamed;
};

struct ExchangeOutcome {
  std::optional<core::Error> error;  // to send when nothing was sent yet
  bool response_started = false;     // some bytes went to the client
  bool client_ok = true;             // the client connection is still usable
  bool client_gone = false;          // the client closed before the end
  /// The instance gave no HTTP response at all (refused, reset, closed
  /// before the header) and nothing reached the client: safe to try another
  /// instance.
  bool retryable = false;
};

/// Forwards and relays; fills `rc` (status, tokens, ttfb). Runs until the
/// response ended or failed. On a failure before any byte reached the
/// client, returns the error to send instead.
net::asio::awaitable<ExchangeOutcome> run_exchange(Worker& worker, net::beast::tcp_stream& client,
                                                   RequestContext& rc, const ExchangePlan& plan,
                                                   std::optional<net::beast::tcp_stream>& upstream);

}  // namespace sluice::proxy
