#include "sluice/engine/sim_metrics.h"

#include <fmt/format.h>

#include "sluice/obs/histogram.h"

namespace sluice::engine {
namespace {

std::string escape_label(std::string_view value) {
  std::string out;
  for (const char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

template <typename T>
void sample(std::string& out, std::string_view name, std::string_view type, std::string_view help,
            std::string_view labels, T value) {
  obs::render_header(out, name, type, help);
  fmt::format_to(std::back_inserter(out), "{}{{{}}} {}\n", name, labels, value);
}

}  // namespace

std::string render_metrics(const TimingModel& model, std::int64_t client_cancels, std::string_view model_name) {
  std::string out;
  out.reserve(8192);
  const std::string labels = fmt::format("model_name=\"{}\"", escape_label(model_name));
  const ModelCounters& c = model.counters();
  sample(out, "vllm:num_requests_running", "gauge", "Number of requests in model execution batches.", labels,
         model.num_running());
  sample(out, "vllm:num_requests_waiting", "gauge", "Number of requests waiting to be processed.", labels,
         model.num_waiting());
  sample(out, "vllm:kv_cache_usage_perc", "gauge", "KV-cache usage. 1 means 100 percent usage.", labels,
         model.kv_usage());
  sample(out, "vllm:prompt_tokens_total", "counter", "Number of prefill tokens processed.", labels, c.prompt_tokens);
  sample(out, "vllm:generation_tokens_total", "counter", "Number of generation tokens processed.", labels,
         c.generation_tokens);
  sample(out, "vllm:prefix_cache_queries_total", "counter",
         "Prefix cache queries, in terms of number of queried tokens.", labels, c.prefix_queries);
  sample(out, "vllm:prefix_cache_hits_total", "counter", "Prefix cache hits, in terms of number of cached tokens.",
         labels, c.prefix_hits);
  obs::render_header(out, "vllm:request_success_total", "counter", "Count of successfully processed requests.");
  fmt::format_to(std::back_inserter(out), "vllm:request_success_total{{finished_reason=\"stop\",{}}} {}\n", labels,
                 c.success_stop);
  fmt::format_to(std::back_inserter(out), "vllm:request_success_total{{finished_reason=\"length\",{}}} {}\n", labels,
                 c.success_length);
  obs::render_header(out, "vllm:time_to_first_token_seconds", "histogram", "Histogram of time to first token in seconds.");
  model.ttft_seconds().render(out, "vllm:time_to_first_token_seconds", labels);
  obs::render_header(out, "vllm:inter_token_latency_seconds", "histogram", "Histogram of inter-token latency in seconds.");
  model.inter_token_seconds().render(out, "vllm:inter_token_latency_seconds", labels);
  sample(out, "sluice_sim_requests_cancelled_total", "counter",
         "Requests cancelled in the engine because their client disconnected.", labels, client_cancels);
  sample(out, "sluice_sim_requests_aborted_total", "counter",
         "Requests failed because the engine was put to sleep or its engine core died (unhealthy fault).",
         labels, c.aborted);
  sample(out, "sluice_sim_steps_total", "counter", "Engine iterations (steps) run.", labels, c.steps);
  return out;
}

}  // namespace sluice::engine
