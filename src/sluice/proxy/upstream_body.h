#pragma once
/// The body sent upstream: the client's body with the upstream model name,
/// the tenant's `cache_salt` (any client salt dropped) and, for streams,
/// `stream_options.include_usage: true` so usage is exact.
#include <expected>
#include <string>
#include <string_view>

#include "sluice/core/error.h"
#include "sluice/proxy/request_summary.h"

namespace sluice::proxy {

struct UpstreamBodyEdits {
  std::string_view upstream_model;  // empty = keep the client's name
  std::string_view cache_salt;      // empty = send none
};

/// Fast path: splices and appends in place when the client sent neither
/// `cache_salt` nor `stream_options`; otherwise re-serializes the object.
/// `body` is one summarize_request accepted. Never throws: a body that is
/// not a JSON object of bounded depth (json_check.h) is a 400 (kInvalidJson).
std::expected<std::string, core::Error> build_upstream_body(std::string_view body, const RequestSummary& summary, const UpstreamBodyEdits& edits);

}  // namespace sluice::proxy
