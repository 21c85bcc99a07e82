#include "sluice/proxy/upstream_body.h"

#include <nlohmann/json.hpp>

#include "sluice/core/json_escape.h"
#include "sluice/proxy/json_check.h"

namespace sluice::proxy {
namespace {

core::Error not_an_object() {
  return core::Error{core::ErrorCode::kInvalidJson, "request body must be a JSON object", ""};
}

std::expected<std::string, core::Error> rebuild(std::string_view body, const RequestSummary& summary,
                                                const UpstreamBodyEdits& edits) {
  // summarize_request checked the body already; checked again here because
  // nlohmann's serializer recurses once per level.
  if (!check_json(body, kMaxJsonDepth)) {
    return std::unexpected(core::Error{core::ErrorCode::kInvalidJson, "request body is not valid JSON", ""});
  }
  auto json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    return std::unexpected(core::Error{core::ErrorCode::kInvalidJson, "request body is not valid JSON", ""});
  }
  if (!json.is_object()) return std::unexpected(not_an_object());
  json.erase("cache_salt");
  if (!edits.upstream_model.empty()) json["model"] = edits.upstream_model;
  if (!edits.cache_salt.empty()) json["cache_salt"] = edits.cache_salt;
  if (summary.stream) {
    if (!json["stream_options"].is_object()) json["stream_options"] = nlohmann::json::object();
    json["stream_options"]["include_usage"] = true;
  }
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::expected<std::string, core::Error> build_upstream_body(std::string_view body, const RequestSummary& summary,
                                                            const UpstreamBodyEdits& edits) {
  if (summary.has_cache_salt || (summary.stream && summary.has_stream_options && !summary.include_usage)) {
    return rebuild(body, summary, edits);
  }
  std::size_t close = body.find_last_of('}');
  if (close == std::string_view::npos) return std::unexpected(not_an_object());
  std::string out;
  out.reserve(body.size() + 96);
  std::string_view head = body.substr(0, close);
  if (summary.model_value_offset + summary.model_value_length > head.size()) return std::unexpected(not_an_object());
  if (!edits.upstream_model.empty() && summary.model_value_length > 0) {
    out.append(head.substr(0, summary.model_value_offset));
    core::append_json_string(out, edits.upstream_model);
    out.append(head.substr(summary.model_value_offset + summary.model_value_length));
  } else {
    out.append(head);
  }
  while (!out.empty() && (out.back() == ' ' || out.back() == '\n' || out.back() == '\r' || out.back() == '\t')) out.pop_back();
  const bool empty_object = !out.empty() && out.back() == '{';
  auto comma = [&] { if (!empty_object || out.back() != '{') out.push_back(','); };
  if (!edits.cache_salt.empty()) {
    comma();
    out.append("\"cache_salt\":");
    core::append_json_string(out, edits.cache_salt);
  }
  if (summary.stream && !summary.has_stream_options) {
    comma();
    out.append("\"stream_options\":{\"include_usage\":true}");
  }
  out.push_back('}');
  return out;
}

}  // namespace sluice::proxy
