#include "sluice/engine/openai_codec.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "sluice/core/token_estimate.h"
#include "sluice/engine/synthetic_text.h"

namespace sluice::engine {
namespace {

using nlohmann::json;

core::Error invalid(std::string message, std::string param) {
  return core::Error{core::ErrorCode::kInvalidRequest, std::move(message), std::move(param)};
}

/// Text of a message `content`: a string, an array of parts (text parts are
/// concatenated, other parts ignored) or null.
std::expected<std::string, core::Error> content_text(const json& content) {
  if (content.is_null()) return std::string();
  if (content.is_string()) return content.get<std::string>();
  if (!content.is_array()) return std::unexpected(invalid("'content' must be a string or an array of parts", "messages"));
  std::string text;
  for (const json& part : content) {
    if (!part.is_object()) return std::unexpected(invalid("each content part must be an object", "messages"));
    const auto type = part.find("type");
    if (type == part.end() || !type->is_string()) {
      return std::unexpected(invalid("each content part needs a string 'type'", "messages"));
    }
    if (*type != "text") continue;
    const auto t = part.find("text");
    if (t == part.end() || !t->is_string()) return std::unexpected(invalid("text parts need a string 'text'", "messages"));
    text += t->get_ref<const std::string&>();
  }
  return text;
}

void append_message(std::string& out, std::string_view role, std::string_view content) {
  out += "<|";
  out += role;
  out += "|>";
  out += content;
  out += '\n';
}

std::expected<void, core::Error> parse_chat(const json& body, std::uint64_t seed, CompletionRequest& req) {
  const auto messages = body.find("messages");
  if (messages == body.end()) return std::unexpected(invalid("'messages' is a required property", "messages"));
  if (!messages->is_array()) return std::unexpected(invalid("'messages' must be an array", "messages"));
  if (messages->empty()) {
    // vLLM's words, from its chat-template step (hence no param).
    return std::unexpected(invalid("Cannot apply chat template to an empty conversation. Provide at least one message.", ""));
  }
  bool continue_final = false;
  bool add_generation_prompt = true;
  if (const auto it = body.find("continue_final_message"); it != body.end() && !it->is_null()) {
    if (!it->is_boolean()) return std::unexpected(invalid("'continue_final_message' must be a boolean", "continue_final_message"));
    continue_final = it->get<bool>();
  }
  if (const auto it = body.find("add_generation_prompt"); it != body.end() && !it->is_null()) {
    if (!it->is_boolean()) return std::unexpected(invalid("'add_generation_prompt' must be a boolean", "add_generation_prompt"));
    add_generation_prompt = it->get<bool>();
  }
  if (continue_final && add_generation_prompt && body.contains("add_generation_prompt")) {
    return std::unexpected(invalid("Cannot set both `continue_final_message` and `add_generation_prompt` to True.",
                                   "continue_final_message"));
  }
  core::ChatTokenEstimate estimate;
  std::string identity;
  std::string last_role;
  std::string last_text;
  for (const json& m : *messages) {
    if (!m.is_object()) return std::unexpected(invalid("each message must be an object", "messages"));
    const auto role = m.find("role");
    if (role == m.end() || !role->is_string()) return std::unexpected(invalid("each message needs a string 'role'", "messages"));
    std::string text;
    if (const auto c = m.find("content"); c != m.end()) {
      auto parsed = content_text(*c);
      if (!parsed) return std::unexpected(parsed.error());
      text = std::move(*parsed);
    }
    const auto& role_text = role->get_ref<const std::string&>();
    estimate.add_message(role_text, text);
    if (!last_role.empty()) append_message(identity, last_role, last_text);
    last_role = role_text;
    last_text = std::move(text);
  }
  if (continue_final && last_role != "assistant") {
    return std::unexpected(invalid("continue_final_message requires the last message to be from the assistant", "messages"));
  }
  req.prompt_tokens = estimate.total();
  if (continue_final) {
    // The text continues the final assistant message: key it on the
    // conversation before that message and start after its words.
    req.text_key = synthetic_text_key(seed, identity);
    req.first_token_index = count_words(last_text);
    req.prompt_text = identity;
    append_message(req.prompt_text, last_role, last_text);
  } else {
    append_message(identity, last_role, last_text);
    req.text_key = synthetic_text_key(seed, identity);
    req.prompt_text = std::move(identity);
  }
  return {};
}

std::expected<void, core::Error> parse_completion(const json& body, std::uint64_t seed, CompletionRequest& req) {
  const auto prompt = body.find("prompt");
  if (prompt == body.end()) return std::unexpected(invalid("'prompt' is a required property", "prompt"));
  const json* text = &*prompt;
  if (prompt->is_array()) {
    if (prompt->size() != 1 || !(*prompt)[0].is_string()) {
      return std::unexpected(invalid("'prompt' must be a string or an array of one string", "prompt"));
    }
    text = &(*prompt)[0];
  }
  if (!text->is_string()) return std::unexpected(invalid("'prompt' must be a string", "prompt"));
  const auto& s = text->get_ref<const std::string&>();
  req.prompt_tokens = core::estimate_text_tokens(s);
  if (req.prompt_tokens == 0) return std::unexpected(invalid("'prompt' must not be empty", "prompt"));
  req.prompt_text = s;
  req.text_key = synthetic_text_key(seed, s);
  return {};
}

std::expected<std::optional<std::int64_t>, core::Error> parse_max_tokens(const json& body, const char* name) {
  const auto it = body.find(name);
  if (it == body.end() || it->is_null()) return std::optional<std::int64_t>{};
  if (!it->is_number_integer()) return std::unexpected(invalid(fmt::format("'{}' must be an integer", name), name));
  const auto value = it->get<std::int64_t>();
  if (value < 1) {
    return std::unexpected(invalid(vllm_validation_message(fmt::format("{} must be at least 1, got {}.", name, value), name,
                                                           std::to_string(value)),
                                   name));
  }
  return std::optional<std::int64_t>{value};
}

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (const char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          fmt::format_to(std::back_inserter(out), "\\u{:04x}", static_cast<unsigned>(c));
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

std::string_view object_name(ApiKind kind, bool chunk) {
  if (kind == ApiKind::kCompletion) return "text_completion";
  return chunk ? "chat.completion.chunk" : "chat.completion";
}

void append_meta(std::string& out, ApiKind kind, const ResponseMeta& meta, bool chunk) {
  out += "{\"id\":";
  append_json_string(out, meta.id);
  fmt::format_to(std::back_inserter(out), ",\"object\":\"{}\",\"created\":{},\"model\":", object_name(kind, chunk), meta.created);
  append_json_string(out, meta.model);
}

}  // namespace

std::expected<CompletionRequest, core::Error> parse_completion_request(ApiKind kind, std::string_view body,
                                                                       std::uint64_t seed) {
  const json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return std::unexpected(core::Error{core::ErrorCode::kInvalidJson, "Request body is not valid JSON.", ""});
  if (!doc.is_object()) return std::unexpected(invalid("Request body must be a JSON object.", ""));
  CompletionRequest req;
  req.kind = kind;
  if (const auto it = doc.find("model"); it != doc.end() && !it->is_null()) {
    if (!it->is_string()) return std::unexpected(invalid("'model' must be a string", "model"));
    req.model = it->get<std::string>();
  }
  auto max_tokens = parse_max_tokens(doc, "max_tokens");
  if (!max_tokens) return std::unexpected(max_tokens.error());
  req.max_tokens = *max_tokens;
  if (kind == ApiKind::kChat) {
    auto max_completion = parse_max_tokens(doc, "max_completion_tokens");
    if (!max_completion) return std::unexpected(max_completion.error());
    if (*max_completion) req.max_tokens = *max_completion;
  }
  if (const auto it = doc.find("stream"); it != doc.end() && !it->is_null()) {
    if (!it->is_boolean()) return std::unexpected(invalid("'stream' must be a boolean", "stream"));
    req.stream = it->get<bool>();
  }
  if (const auto it = doc.find("ignore_eos"); it != doc.end() && !it->is_null()) {
    if (!it->is_boolean()) return std::unexpected(invalid("'ignore_eos' must be a boolean", "ignore_eos"));
    req.ignore_eos = it->get<bool>();
  }
  if (const auto it = doc.find("stream_options"); it != doc.end() && !it->is_null()) {
    if (!it->is_object()) return std::unexpected(invalid("'stream_options' must be an object", "stream_options"));
    if (const auto u = it->find("include_usage"); u != it->end() && !u->is_null()) {
      if (!u->is_boolean()) return std::unexpected(invalid("'include_usage' must be a boolean", "stream_options"));
      req.include_usage = u->get<bool>();
    }
  }
  if (const auto it = doc.find("cache_salt"); it != doc.end() && !it->is_null()) {
    if (!it->is_string()) return std::unexpected(invalid("'cache_salt' must be a string", "cache_salt"));
    req.cache_salt = it->get<std::string>();
  }
  for (const char* name : {"temperature", "top_p"}) {
    const auto it = doc.find(name);
    if (it == doc.end() || it->is_null()) continue;
    if (!it->is_number()) return std::unexpected(invalid(fmt::format("'{}' must be a number", name), name));
    const double value = it->get<double>();
    const bool temperature = name == std::string_view("temperature");
    // Python's repr of a float, as vLLM's messages print it: -1.0, 0.25.
    const std::string shown = value == static_cast<double>(static_cast<std::int64_t>(value)) ? fmt::format("{:.1f}", value)
                                                                                              : fmt::format("{}", value);
    if (temperature && value < 0) {
      return std::unexpected(invalid(vllm_validation_message(fmt::format("temperature must be non-negative, got {}.", shown),
                                                             name, shown),
                                     name));
    }
    if (temperature && value > 2) {
      return std::unexpected(invalid(vllm_validation_message(fmt::format("temperature must be in [0, 2], got {}.", shown),
                                                             name, shown),
                                     name));
    }
    if (!temperature && !(value > 0 && value <= 1)) {
      return std::unexpected(invalid(vllm_validation_message(fmt::format("top_p must be in (0, 1], got {}.", shown),
                                                             name, shown),
                                     name));
    }
  }
  if (const auto it = doc.find("n"); it != doc.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<std::int64_t>() != 1) return std::unexpected(invalid("only n=1 is supported", "n"));
  }
  auto parsed = kind == ApiKind::kChat ? parse_chat(doc, seed, req) : parse_completion(doc, seed, req);
  if (!parsed) return std::unexpected(parsed.error());
  return req;
}

void append_usage_json(std::string& out, const Usage& usage, bool completion_details) {
  fmt::format_to(std::back_inserter(out),
                 "{{\"prompt_tokens\":{},\"completion_tokens\":{},\"total_tokens\":{},"
                 "\"prompt_tokens_details\":{{\"cached_tokens\":{}}}{}}}",
                 usage.prompt_tokens, usage.completion_tokens, usage.prompt_tokens + usage.completion_tokens,
                 usage.cached_tokens, completion_details ? ",\"completion_tokens_details\":null" : "");
}

std::string render_completion(ApiKind kind, const ResponseMeta& meta, std::string_view text, FinishReason reason,
                              const Usage& usage) {
  std::string out;
  out.reserve(256 + text.size());
  append_meta(out, kind, meta, false);
  if (kind == ApiKind::kChat) {
    out += ",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":";
    append_json_string(out, text);
    // refusal is required (nullable) by OpenAI's schema; the other nulls are
    // what vLLM's ChatMessage adds.
    out += ",\"refusal\":null,\"annotations\":null,\"audio\":null,\"function_call\":null,\"reasoning\":null},";
  } else {
    out += ",\"choices\":[{\"index\":0,\"text\":";
    append_json_string(out, text);
    out += ',';
  }
  fmt::format_to(std::back_inserter(out),
                 "\"logprobs\":null,\"finish_reason\":\"{}\",\"stop_reason\":null}}],\"service_tier\":null,"
                 "\"system_fingerprint\":\"{}\",\"usage\":",
                 to_string(reason), kSystemFingerprint);
  append_usage_json(out, usage, /*completion_details=*/true);
  out += '}';
  return out;
}

ChunkRenderer::ChunkRenderer(ApiKind kind, const ResponseMeta& meta) : kind_(kind) {
  prefix_ = "data: ";
  append_meta(prefix_, kind, meta, true);
  prefix_ += ",\"choices\":";
}

void ChunkRenderer::append_token(std::string& out, std::string_view token, bool first) const {
  out += prefix_;
  if (kind_ == ApiKind::kChat) {
    out += first ? "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":" : "[{\"index\":0,\"delta\":{\"content\":";
    append_json_string(out, token);
    out += "},\"logprobs\":null,\"finish_reason\":null}]}\n\n";
  } else {
    out += "[{\"index\":0,\"text\":";
    append_json_string(out, token);
    out += ",\"logprobs\":null,\"finish_reason\":null,\"stop_reason\":null}]}\n\n";
  }
}

void ChunkRenderer::append_finish(std::string& out, FinishReason reason) const {
  out += prefix_;
  out += kind_ == ApiKind::kChat ? "[{\"index\":0,\"delta\":{}," : "[{\"index\":0,\"text\":\"\",";
  fmt::format_to(std::back_inserter(out), "\"logprobs\":null,\"finish_reason\":\"{}\",\"stop_reason\":null}}]}}\n\n",
                 to_string(reason));
}

void ChunkRenderer::append_usage(std::string& out, const Usage& usage) const {
  out += prefix_;
  out += "[],\"usage\":";
  append_usage_json(out, usage, /*completion_details=*/false);
  fmt::format_to(std::back_inserter(out), ",\"system_fingerprint\":\"{}\"}}\n\n", kSystemFingerprint);
}

void ChunkRenderer::append_error(std::string& out, const core::Error& error, int status) {
  out += "data: ";
  out += vllm_error_json(error, status);
  out += "\n\n";
}

std::string_view vllm_error_type(int status) {
  switch (status) {
    case 400: return "BadRequestError";
    case 404: return "NotFoundError";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Request Entity Too Large";
    case 422: return "UnprocessableEntityError";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "InternalServerError";
    case 501: return "NotImplementedError";
    case 502: return "Bad Gateway";
    case 503: return "ServiceUnavailableError";
    case 504: return "Gateway Timeout";
    default: return status >= 500 ? "InternalServerError" : "BadRequestError";
  }
}

std::string vllm_error_json(const core::Error& error, int status) {
  json body;
  body["error"]["message"] = error.message;
  body["error"]["type"] = vllm_error_type(status);
  body["error"]["param"] = error.param.empty() ? json(nullptr) : json(error.param);
  body["error"]["code"] = status;
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string vllm_validation_message(std::string_view message, std::string_view param, std::string_view value) {
  return fmt::format("{} (parameter={}, value={})", message, param, value);
}

void ChunkRenderer::append_done(std::string& out) { out += "data: [DONE]\n\n"; }

}  // namespace sluice::engine
