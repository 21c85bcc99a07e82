#include "sluice/proxy/mirror.h"

#include "sluice/net/http_wire.h"
#include "sluice/proxy/upstream_pool.h"

namespace sluice::proxy {

using namespace sluice::net;

namespace {

constexpr std::uint64_t kMaxMirrorBody = 64ull * 1024 * 1024;

asio::awaitable<bool> send_copy(const balance::Instance& instance, const std::string& path, const std::string& body,
                                core::Duration timeout) {
  auto conn = co_await UpstreamPool::connect(instance, timeout);
  if (!conn) co_return false;
  Stream& stream = *conn;
  stream.expires_after(timeout);
  std::string head;
  append_request_head(head, "POST", instance.base_path + path, instance.host + ":" + std::to_string(instance.port),
                      static_cast<long long>(body.size()),
                      {{"Content-Type", "application/json"}, {"x-sluice-mirror", "1"}});
  const std::array<asio::const_buffer, 2> request{asio::buffer(head), asio::buffer(body)};
  auto [wec, wn] = co_await asio::async_write(stream, request, use_nothrow);
  if (wec) co_return false;
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxMirrorBody);
  auto [rec, rn] = co_await http::async_read(stream, buffer, parser, use_nothrow);
  co_return !rec && parser.get().result_int() < 500;
}

asio::awaitable<void> mirror(ModelPool& pool, std::shared_ptr<balance::Instance> instance, std::string path,
                             std::string body, core::Duration timeout, obs::RouteCounters* counters) {
  const bool ok = co_await send_copy(*instance, path, body, timeout);
  pool.give_back(*instance);
  if (counters) (ok ? counters->mirrored : counters->mirror_dropped).fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

void start_mirror(const asio::any_io_executor& executor, ModelPool& pool, std::string path, std::string body,
                  core::Duration timeout, obs::RouteCounters* counters) {
  auto instance = pool.take_spare();
  if (!instance) {
    if (counters) counters->mirror_dropped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  asio::co_spawn(executor, mirror(pool, std::move(instance), std::move(path), std::move(body), timeout, counters),
                 asio::detached);
}

}  // namespace sluice::proxy
