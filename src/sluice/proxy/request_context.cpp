#include "sluice/proxy/request_context.h"

namespace sluice::proxy {

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
