// The request path's view of a client body: summarize_request, then the
// body rewrite and a stream continuation of the rewritten body.
// Invariant: every body the summary accepts rewrites, without throwing, to
// a JSON object with bounded nesting that carries the upstream model name
// and the tenant's cache_salt (and nothing after it).
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string_view>

#include "sluice/proxy/json_check.h"
#include "sluice/proxy/request_summary.h"
#include "sluice/proxy/stream_continuation.h"
#include "sluice/proxy/upstream_body.h"

namespace {

using namespace sluice::proxy;

void fail(const char* what, std::string_view body) {
  std::fprintf(stderr, "invariant broken: %s\nbody: %.*s\n", what, static_cast<int>(body.size()), body.data());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const ApiKind kind = (data[0] & 1) ? ApiKind::kCompletion : ApiKind::kChat;
  const bool salted = (data[0] & 2) != 0;
  const bool renamed = (data[0] & 4) != 0;
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);

  const auto summary = summarize_request(body, kind);
  if (!summary) return 0;
  if (!check_json(body)) fail("the summary accepted a body that is not JSON", body);

  const UpstreamBodyEdits edits{renamed ? std::string_view("up/Model-\"8B\"") : std::string_view(),
                                salted ? std::string_view("tenant-salt") : std::string_view()};
  const auto upstream = build_upstream_body(body, *summary, edits);
  if (!upstream) fail("the rewrite refused a body the summary accepted", body);
  if (!check_json(*upstream, kMaxJsonDepth + 1)) fail("the rewrite made a body that is not JSON", *upstream);
  const auto j = nlohmann::json::parse(*upstream, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) fail("the rewrite made a body that is not an object", *upstream);
  if (salted && j.value("cache_salt", std::string()) != "tenant-salt") fail("the tenant's cache_salt is missing", *upstream);
  if (!salted && j.contains("cache_salt")) fail("the client's cache_salt reached upstream", *upstream);
  if (renamed && j.value("model", std::string()) != "up/Model-\"8B\"") fail("the upstream model name is missing", *upstream);
  if (summary->stream) {
    const auto so = j.find("stream_options");
    if (so == j.end() || !so->is_object() || so->value("include_usage", false) != true) {
      fail("a stream without include_usage", *upstream);
    }
  }

  // What a stream continuation would send after a break.
  const auto continued = build_continuation_body(*upstream, kind, " so far", 3);
  if (continued && !continued->max_tokens_reached && !check_json(continued->body, kMaxJsonDepth + 2)) {
    fail("a continuation body that is not JSON", continued->body);
  }
  return 0;
}
