#include "sluice/proxy/client_writer.h"

#include "sluice/net/http_wire.h"

namespace sluice::proxy {

using namespace sluice::net;

asio::awaitable<bool> write_response(Stream& client, RequestContext& rc, unsigned status,
                                     std::string_view content_type, std::string body, bool keep_alive) {
  std::string head;
  head.reserve(192);
  append_response_head(head, status, content_type, static_cast<long long>(body.size()), keep_alive,
                       {{"x-request-id", rc.request_id}}, rc.extra_head);
  rc.status = static_cast<int>(status);
  const std::array<asio::const_buffer, 2> buffers{asio::buffer(head), asio::buffer(body)};
  auto [ec, n] = co_await asio::async_write(client, buffers, use_nothrow);
  co_return !ec;
}

asio::awaitable<bool> write_error(Stream& client, RequestContext& rc, const core::Error& error,
                                  bool keep_alive) {
  rc.error_code = std::string(core::error_code_name(error.code));
  co_return co_await write_response(client, rc, static_cast<unsigned>(core::http_status(error)),
                                    "application/json", core::to_openai_json(error), keep_alive);
}

}  // namespace sluice::proxy
