#include "sluice/proxy/request_summary.h"

#include <simdjson.h>

#include "sluice/core/token_estimate.h"
#include "sluice/proxy/json_check.h"

namespace sluice::proxy {
namespace {

using core::Error;
using core::ErrorCode;
namespace od = simdjson::ondemand;

Error invalid(std::string message, std::string param) {
  return Error{ErrorCode::kInvalidRequest, std::move(message), std::move(param)};
}

/// Text of a chat message's `content`: a string, or an array of parts whose
/// `text` fields are summed. Returns the token estimate.
std::expected<std::int64_t, Error> content_tokens(od::value content) {
  od::json_type type;
  if (content.type().get(type)) return std::unexpected(invalid("'content' is malformed", "messages"));
  if (type == od::json_type::null) return 0;
  if (type == od::json_type::string) {
    std::string_view s;
    if (content.get_string().get(s)) return std::unexpected(invalid("'content' is not a valid string", "messages"));
    return core::estimate_text_tokens(s);
  }
  if (type != od::json_type::array) return std::unexpected(invalid("'content' must be a string or an array of parts", "messages"));
  std::int64_t tokens = 0;
  od::array parts;
  if (content.get_array().get(parts)) return std::unexpected(invalid("'content' is malformed", "messages"));
  for (auto part : parts) {
    od::object obj;
    if (part.get_object().get(obj)) return std::unexpected(invalid("content parts must be objects", "messages"));
    std::string_view text;
    if (!obj["text"].get_string().get(text)) tokens += core::estimate_text_tokens(text);
  }
  return tokens;
}

std::expected<std::int64_t, Error> chat_tokens(od::value messages) {
  od::array arr;
  if (messages.get_array().get(arr)) return std::unexpected(invalid("'messages' must be an array", "messages"));
  core::ChatTokenEstimate estimate;
  std::size_t count = 0;
  for (auto item : arr) {
    od::object msg;
    if (item.get_object().get(msg)) return std::unexpected(invalid("each message must be an object", "messages"));
    std::string_view role;
    std::int64_t content = 0;
    bool has_role = false;
    for (auto field : msg) {
      std::string_view key;
      if (field.unescaped_key().get(key)) return std::unexpected(invalid("message key is malformed", "messages"));
      if (key == "role") {
        if (field.value().get_string().get(role)) return std::unexpected(invalid("'role' must be a string", "messages"));
        has_role = true;
      } else if (key == "content") {
        auto t = content_tokens(field.value());
        if (!t) return std::unexpected(t.error());
        content = *t;
      }
    }
    if (!has_role) return std::unexpected(invalid("each message needs a 'role'", "messages"));
    estimate.add_message_tokens(role, content);
    ++count;
  }
  if (count == 0) return std::unexpected(invalid("'messages' must not be empty", "messages"));
  return estimate.total();
}

std::expected<std::int64_t, Error> prompt_tokens(od::value prompt) {
  od::json_type type;
  if (prompt.type().get(type)) return std::unexpected(invalid("'prompt' is malformed", "prompt"));
  if (type == od::json_type::string) {
    std::string_view s;
    if (prompt.get_string().get(s)) return std::unexpected(invalid("'prompt' is not a valid string", "prompt"));
    return core::estimate_text_tokens(s);
  }
  if (type == od::json_type::array) {
    std::int64_t tokens = 0;
    od::array arr;
    if (prompt.get_array().get(arr)) return std::unexpected(invalid("'prompt' is malformed", "prompt"));
    for (auto item : arr) {
      std::string_view s;
      if (item.get_string().get(s)) return std::unexpected(invalid("'prompt' must be a string or an array of strings", "prompt"));
      tokens += core::estimate_text_tokens(s);
    }
    return tokens;
  }
  return std::unexpected(invalid("'prompt' must be a string or an array of strings", "prompt"));
}

/// The whole body is checked before simdjson's on-demand pass, which skips
/// what it does not read: every byte later parsed by the body rewrite or a
/// continuation is then valid JSON with bounded nesting.
std::optional<Error> whole_body_fault(std::string_view body) {
  const JsonCheck check = check_json(body, kMaxJsonDepth);
  switch (check.fault) {
    case JsonFault::kNone: return std::nullopt;
    case JsonFault::kTooDeep:
      return Error{ErrorCode::kInvalidJson,
                   "request body nests objects and arrays deeper than " + std::to_string(kMaxJsonDepth) + " levels", ""};
    case JsonFault::kTrailing:
      return Error{ErrorCode::kInvalidJson,
                   "request body has content after its JSON value (byte " + std::to_string(check.offset) + ")", ""};
    case JsonFault::kSyntax: break;
  }
  return Error{ErrorCode::kInvalidJson, "request body is not valid JSON (byte " + std::to_string(check.offset) + ")", ""};
}

}  // namespace

std::expected<RequestSummary, core::Error> summarize_request(std::string_view body, ApiKind kind) {
  if (auto fault = whole_body_fault(body)) return std::unexpected(std::move(*fault));
  thread_local od::parser parser;
  const simdjson::padded_string padded(body);
  od::document doc;
  if (parser.iterate(padded).get(doc)) return std::unexpected(Error{ErrorCode::kInvalidJson, "request body is not valid JSON", ""});
  od::object root;
  if (doc.get_object().get(root)) return std::unexpected(Error{ErrorCode::kInvalidJson, "request body must be a JSON object", ""});

  RequestSummary out;
  bool has_model = false, has_input = false;
  for (auto field : root) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return std::unexpected(Error{ErrorCode::kInvalidJson, "request body is not valid JSON", ""});
    od::value value;
    if (field.value().get(value)) return std::unexpected(Error{ErrorCode::kInvalidJson, "request body is not valid JSON", ""});
    if (key == "model") {
      std::string_view raw = value.raw_json_token();
      std::string_view model;
      if (value.get_string().get(model)) return std::unexpected(invalid("'model' must be a string", "model"));
      out.model = std::string(model);
      while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\r' || raw.back() == '\t')) raw.remove_suffix(1);
      out.model_value_offset = static_cast<std::size_t>(raw.data() - padded.data());
      out.model_value_length = raw.size();
      has_model = true;
    } else if (key == "stream") {
      od::json_type t;
      if (!value.type().get(t) && t == od::json_type::null) continue;
      if (value.get_bool().get(out.stream)) return std::unexpected(invalid("'stream' must be a boolean", "stream"));
    } else if (key == "max_tokens" || key == "max_completion_tokens") {
      od::json_type t;
      if (!value.type().get(t) && t == od::json_type::null) continue;
      std::int64_t n = 0;
      if (value.get_int64().get(n) || n < 0)
        return std::unexpected(invalid(std::string("'") + std::string(key) + "' must be a non-negative integer", std::string(key)));
      out.max_tokens = n;
    } else if (key == "min_tokens") {
      // Never read here, but lowered by stream continuations: a number the
      // gateway can do arithmetic on, like max_tokens.
      od::json_type t;
      if (!value.type().get(t) && t == od::json_type::null) continue;
      std::int64_t n = 0;
      if (value.get_int64().get(n) || n < 0) return std::unexpected(invalid("'min_tokens' must be a non-negative integer", "min_tokens"));
    } else if (key == "stream_options") {
      od::json_type t;
      if (!value.type().get(t) && t == od::json_type::null) continue;
      out.has_stream_options = true;
      od::object so;
      if (value.get_object().get(so)) return std::unexpected(invalid("'stream_options' must be an object", "stream_options"));
      bool include = false;
      auto inc = so["include_usage"];
      if (!inc.error()) {
        if (inc.get_bool().get(include)) return std::unexpected(invalid("'stream_options.include_usage' must be a boolean", "stream_options.include_usage"));
      }
      out.include_usage = include;
    } else if (key == "cache_salt") {
      out.has_cache_salt = true;
    } else if (key == "user") {
      std::string_view user;
      if (!value.get_string().get(user)) out.user = std::string(user);
    } else if (key == "messages" && kind == ApiKind::kChat) {
      auto t = chat_tokens(value);
      if (!t) return std::unexpected(t.error());
      out.input_tokens = *t;
      has_input = true;
    } else if (key == "prompt" && kind == ApiKind::kCompletion) {
      auto t = prompt_tokens(value);
      if (!t) return std::unexpected(t.error());
      out.input_tokens = *t;
      has_input = true;
    }
  }
  if (!has_model || out.model.empty()) return std::unexpected(invalid("you must provide a model parameter", "model"));
  if (!has_input) {
    return kind == ApiKind::kChat ? std::unexpected(invalid("'messages' is a required property", "messages"))
                                  : std::unexpected(invalid("'prompt' is a required property", "prompt"));
  }
  if (!out.stream) out.include_usage = false;
  return out;
}

}  // namespace sluice::proxy
