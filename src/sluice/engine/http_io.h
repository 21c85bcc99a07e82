#pragma once
/// HTTP plumbing of the engine simulator: building and writing responses,
/// chunked SSE streams, and noticing a client that disconnects while its
/// request waits on the engine.
#include <memory>
#include <string>
#include <string_view>

#include "sluice/core/error.h"
#include "sluice/engine/realtime_driver.h"
#include "sluice/net/asio.h"
#include "sluice/net/stream.h"

namespace sluice::engine {

using HttpRequest = net::http::request<net::http::string_body>;
using HttpResponse = net::http::response<net::http::string_body>;

/// A response that keeps the connection open when the request allows it and
/// echoes `x-request-id`. An empty `content_type` sends none (vLLM's /health).
HttpResponse make_response(const HttpRequest& req, net::http::status status, std::string body,
                           std::string_view content_type = "application/json");
/// vLLM's error body (vllm_error_json in openai_codec.h) with the status of its code.
HttpResponse make_error(const HttpRequest& req, const core::Error& error);
/// vLLM's error body with an explicit status (injected faults, 503 while asleep).
HttpResponse make_error(const HttpRequest& req, int status, const core::Error& error);

/// Writes a response; false when the connection broke.
net::asio::awaitable<bool> write_response(net::SocketStream& socket, HttpResponse res);

/// Writes the header of a chunked `text/event-stream` response.
net::asio::awaitable<bool> write_stream_header(net::SocketStream& socket, const HttpRequest& req);
/// Writes `payload` as one HTTP chunk (none when empty), followed by the last
/// chunk when `last`. One write call.
net::asio::awaitable<bool> write_chunk(net::SocketStream& socket, std::string_view payload, bool last);

/// Watches `socket` while `state`'s request runs: when the peer closes
/// (readable and a MSG_PEEK reads 0 bytes, or an error) it calls
/// driver.client_gone(state). Stop watching with socket.cancel() after
/// driver.release(state). If the peer sends more bytes (pipelining) watching
/// stops. Preconditions: socket and driver outlive the watch until release.
void watch_disconnect(net::tcp::socket& socket, std::shared_ptr<RequestState> state, RealTimeDriver& driver);

}  // namespace sluice::engine
