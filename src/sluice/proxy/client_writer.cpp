#include "sluice/proxy/client_writer.h"

namespace sluice::proxy {

using namespace sluice::net;

asio::awaitable<bool> write_response(beast::tcp_stream& client, RequestContext& rc, unsigned status,
                                     std::string_view content_type, std::string body, bool keep_alive) {
  http::response<http::string_body> res{static_cast<http::status>(status), 11};
  res.set(http::field::server, "sluice");
  res.set(http::field::content_type, content_type);
  res.set("x-request-id", rc.request_id);
  res.keep_alive(keep_alive);
  res.body() = std::move(body);
  res.prepare_payload();
  rc.status = static_cast<int>(status);
  auto [ec, n] = co_await http::async_write(client, res, use_nothrow);
  co_return !ec;
}

asio::awaitable<bool> write_error(beast::tcp_stream& client, RequestContext& rc, const core::Error& error,
                                  bool keep_alive) {
  rc.error_code = std::string(core::error_code_name(error.code));
  co_return co_await write_response(client, rc, static_cast<unsigned>(core::http_status(error.code)),
                                    "application/json", core::to_openai_json(error), keep_alive);
}

}  // namespace sluice::proxy
