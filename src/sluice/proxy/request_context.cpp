#include "sluice/proxy/request_context.h"

#include "sluice/store/usage_writer.h"
#include "sluice/tenancy/pricing.h"

namespace sluice::proxy {

void RequestContext::record_usage(store::UsageWriter& ledger) const {
  // What the client was served: the engine's usage, or what was streamed
  // before the usage could arrive.
  const std::int64_t completion = completion_tokens > 0 ? completion_tokens : streamed_tokens;
  const std::int64_t prompt = status == 200 || completion > 0 ? prompt_tokens : 0;
  const config::Model* m = config ? config->config.find_model(model) : nullptr;
  ledger.record(store::UsageRecord{
      .at = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
                .count(),
      .request_id = request_id,
      .tenant_id = tenant->id.str(),
      .key_id = key ? key->id : std::string(),
      .model = model,
      .instance = instance,
      .prompt_tokens = prompt,
      .completion_tokens = completion,
      .status = status,
      .cost_usd = m ? tenancy::cost_usd(*m, prompt, completion) : 0.0,
  });
}

void RequestContext::finish(GatewayContext& ctx, core::TimePoint now) {
  const double total_s = core::to_seconds(now - started);
  obs::RequestSeries* s = series;
  if (!s && config) s = config->anonymous_series();
  if (s) {
    s->count_status(status);
    if (status == 200) {
      s->prompt_tokens.fetch_add(static_cast<std::uint64_t>(prompt_tokens), std::memory_order_relaxed);
      s->completion_tokens.fetch_add(static_cast<std::uint64_t>(completion_tokens), std::memory_order_relaxed);
      if (ttfb_s >= 0) s->time_to_first_token.observe(ttfb_s);
      s->duration.observe(total_s);
    }
  }
  if (ctx.usage && tenant && !model.empty()) record_usage(*ctx.usage);
  if (ctx.access_log.enabled()) {
    ctx.access_log.write(obs::AccessRecord{
        .request_id = request_id,
        .tenant = tenant ? std::string_view(tenant->id.str()) : std::string_view(),
        .model = model,
        .instance = instance,
        .method = method,
        .path = path,
        .status = status,
        .stream = stream,
        .prompt_tokens = prompt_tokens,
        .completion_tokens = completion_tokens,
        .ttfb_ms = ttfb_s < 0 ? 0 : ttfb_s * 1000,
        .total_ms = total_s * 1000,
        .error_code = error_code,
    });
  }
}

}  // namespace sluice::proxy
