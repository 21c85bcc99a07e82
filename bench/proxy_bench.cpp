// Micro-benchmarks of the gateway's per-request work outside the network:
// key lookup, body summary, upstream body rewrite, SSE relay parsing, and
// stream continuation (the transcript every stream keeps, the splice that
// runs only after a failure).
#include <benchmark/benchmark.h>

#include "sluice/config/api_key_hash.h"
#include "sluice/proxy/request_summary.h"
#include "sluice/proxy/sse_parser.h"
#include "sluice/proxy/stream_continuation.h"
#include "sluice/proxy/upstream_body.h"
#include "sluice/tenancy/tenant_directory.h"

namespace {

using namespace sluice;

std::string chat_body(std::size_t content_bytes) {
  return R"({"model":"llama-3.1-8b-instruct","stream":true,"max_tokens":256,"messages":[)"
         R"({"role":"system","content":"You are a helpful assistant."},{"role":"user","content":")" +
         std::string(content_bytes, 'x') + R"("}]})";
}

void BM_Tenancy_Authenticate(benchmark::State& state) {
  config::Config cfg;
  for (int t = 0; t < state.range(0); ++t) {
    config::Tenant tenant;
    tenant.id = "tenant" + std::to_string(t);
    tenant.api_keys.push_back({config::sha256_hex("sk-" + std::to_string(t)), "sha256"});
    tenant.models = {"*"};
    cfg.tenants.push_back(tenant);
  }
  const tenancy::TenantDirectory dir(cfg, "secret");
  const std::string key = "sk-" + std::to_string(state.range(0) / 2);
  for (auto _ : state) benchmark::DoNotOptimize(dir.authenticate(key, /*now_unix_ms=*/0));
  state.counters["tenants"] = static_cast<double>(state.range(0));
}
BENCHMARK(BM_Tenancy_Authenticate)->Arg(10)->Arg(1000)->Arg(100000);

void BM_Proxy_SummarizeRequest(benchmark::State& state) {
  const std::string body = chat_body(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(proxy::summarize_request(body, proxy::ApiKind::kChat));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_Proxy_SummarizeRequest)->Arg(100)->Arg(4000)->Arg(100000);

void BM_Proxy_BuildUpstreamBody(benchmark::State& state) {
  const std::string body = chat_body(static_cast<std::size_t>(state.range(0)));
  const auto summary = *proxy::summarize_request(body, proxy::ApiKind::kChat);
  for (auto _ : state)
    benchmark::DoNotOptimize(proxy::build_upstream_body(body, summary, {"meta-llama/Llama-3.1-8B-Instruct", "0123456789abcdef0123456789abcdef"}));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_Proxy_BuildUpstreamBody)->Arg(100)->Arg(4000)->Arg(100000);

void BM_Proxy_SseRelayParse(benchmark::State& state) {
  // One read's worth of stream chunks, as the relay sees them.
  std::string bytes;
  for (int i = 0; i < state.range(0); ++i)
    bytes += R"(data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":" token"},"finish_reason":null}]})"
             "\n\n";
  proxy::SseParser parser;
  std::int64_t events = 0;
  for (auto _ : state) {
    for (const auto& e : parser.feed(bytes)) {
      benchmark::DoNotOptimize(proxy::extract_usage(e.data));
      ++events;
    }
  }
  state.counters["events/s"] = benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Proxy_SseRelayParse)->Arg(1)->Arg(16);

constexpr std::string_view kTokenChunk =
    R"({"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":" token"},"logprobs":null,"finish_reason":null}]})";

/// What every relayed stream event costs to keep continuation possible.
void BM_Proxy_StreamTranscriptRecord(benchmark::State& state) {
  std::int64_t events = 0;
  for (auto _ : state) {
    proxy::StreamTranscript transcript;  // one stream of range(0) tokens
    for (std::int64_t i = 0; i < state.range(0); ++i) transcript.record(kTokenChunk);
    benchmark::DoNotOptimize(transcript.tokens());
    events += state.range(0);
  }
  state.counters["events/s"] = benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Proxy_StreamTranscriptRecord)->Arg(256);

/// One continuation chunk rewritten as the original stream's (failures only).
void BM_Proxy_StreamSplice(benchmark::State& state) {
  proxy::StreamTranscript original;
  original.record(kTokenChunk);
  const proxy::StreamSplicer splicer(original, 1, 100);
  for (auto _ : state) benchmark::DoNotOptimize(splicer.splice(kTokenChunk));
}
BENCHMARK(BM_Proxy_StreamSplice);

}  // namespace
