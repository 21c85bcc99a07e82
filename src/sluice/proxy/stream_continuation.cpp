#include "sluice/proxy/stream_continuation.h"

#include <simdjson.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "sluice/proxy/json_check.h"
#include "sluice/proxy/sse_parser.h"

namespace sluice::proxy {

namespace {

using Json = nlohmann::ordered_json;  // keeps the engine's key order in rewritten chunks

/// Choice indexes beyond this are not tracked (a continuable stream has one).
constexpr std::int64_t kMaxChoices = 16;

constexpr std::string_view kDone = "[DONE]";

bool is_null(simdjson::simdjson_result<simdjson::ondemand::value> value) {
  bool null = false;
  return !value.is_null().get(null) && null;
}

/// A value that says something: not null, not an empty array.
bool present(simdjson::simdjson_result<simdjson::ondemand::value> value) {
  if (is_null(value)) return false;
  simdjson::ondemand::array array;
  if (value.get_array().get(array)) return true;
  std::size_t n = 0;
  return array.count_elements().get(n) || n > 0;
}

/// What one choice of a stream chunk carries. `piece` points into the
/// parser's buffer: use it before the next parse.
struct ChunkChoice {
  std::int64_t index = 0;
  std::string_view piece;  // delta.content (chat) or text (completions)
  bool finished = false;
  bool tool_calls = false;
  bool logprobs = false;
};

ChunkChoice read_choice(simdjson::ondemand::object& choice) {
  ChunkChoice out;
  for (auto field : choice) {
    std::string_view key;
    if (field.unescaped_key().get(key)) break;
    if (key == "index") {
      if (field.value().get_int64().get(out.index)) out.index = 0;
    } else if (key == "text") {
      if (field.value().get_string().get(out.piece)) out.piece = {};
    } else if (key == "finish_reason") {
      out.finished = !is_null(field.value());
    } else if (key == "logprobs") {
      out.logprobs = !is_null(field.value());
    } else if (key == "delta") {
      simdjson::ondemand::object delta;
      if (field.value().get_object().get(delta)) continue;
      for (auto d : delta) {
        std::string_view dk;
        if (d.unescaped_key().get(dk)) break;
        if (dk == "content") {
          if (d.value().get_string().get(out.piece)) out.piece = {};
        } else if (dk == "tool_calls" || dk == "function_call") {
          out.tool_calls = out.tool_calls || present(d.value());
        }
      }
    }
  }
  return out;
}

void append_event(std::string& out, std::string_view data) {
  out += "data: ";
  out += data;
  out += "\n\n";
}

/// A JSON value that is there and says something: not null, not false, not "".
bool set(const Json& j, std::string_view key) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return false;
  if (it->is_boolean()) return it->get<bool>();
  if (it->is_string()) return !it->get_ref<const std::string&>().empty();
  return true;
}

/// An integer of a JSON value as int64, saturating (an unsigned number
/// above INT64_MAX is INT64_MAX); nullopt when it is not an integer.
std::optional<std::int64_t> as_int64(const Json& v) {
  if (v.is_number_unsigned()) {
    const auto u = v.get<std::uint64_t>();
    return u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())
               ? std::numeric_limits<std::int64_t>::max()
               : static_cast<std::int64_t>(u);
  }
  if (v.is_number_integer()) return v.get<std::int64_t>();
  return std::nullopt;
}

/// The integer at `key`, if it is one.
std::optional<std::int64_t> integer(const Json& j, std::string_view key) {
  const auto it = j.find(key);
  if (it == j.end()) return std::nullopt;
  return as_int64(*it);
}

/// An engine's token count, clamped like extract_usage's.
std::int64_t usage_tokens(std::int64_t n) { return std::clamp<std::int64_t>(n, 0, kMaxUsageTokens); }

/// a - b without overflow (b >= 0).
std::int64_t minus(std::int64_t a, std::int64_t b) {
  return a < std::numeric_limits<std::int64_t>::min() + b ? std::numeric_limits<std::int64_t>::min() : a - b;
}

bool has_role(const Json& message, std::string_view role) {
  if (!message.is_object()) return false;
  const auto it = message.find("role");
  return it != message.end() && it->is_string() && it->get_ref<const std::string&>() == role;
}

/// Serializes without ever throwing (invalid UTF-8 would be replaced; the
/// parsers let none in).
std::string dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

bool single_choice(const Json& body) {
  const auto n = body.find("n");
  return n == body.end() || n->is_null() || as_int64(*n) == 1;
}

/// Lowers max_tokens and max_completion_tokens by `tokens`; false when one
/// of them has nothing left. min_tokens drops too, to no less than zero.
/// Saturating: summarize_request refuses negative values, but the body's
/// numbers are still the client's.
bool reduce_max_tokens(Json& body, std::int64_t tokens) {
  tokens = std::max<std::int64_t>(0, tokens);
  for (const char* key : {"max_tokens", "max_completion_tokens"}) {
    const auto it = body.find(key);
    if (it == body.end()) continue;
    const auto value = as_int64(*it);
    if (!value) continue;
    const std::int64_t left = minus(*value, tokens);
    if (left < 1) return false;
    *it = left;
  }
  if (const auto it = body.find("min_tokens"); it != body.end()) {
    if (const auto value = as_int64(*it)) *it = std::max<std::int64_t>(0, minus(*value, tokens));
  }
  return true;
}

/// Appends `text` to a message's content: a string, null, or text parts.
bool append_content(Json& message, std::string_view text) {
  Json& content = message["content"];
  if (content.is_null()) content = std::string(text);
  else if (content.is_string()) content.get_ref<std::string&>().append(text);
  else if (content.is_array()) content.push_back(Json{{"type", "text"}, {"text", std::string(text)}});
  else return false;
  return true;
}

/// Chat: the text so far as the final assistant message, to be continued.
bool continue_chat(Json& body, std::string_view text) {
  const auto messages = body.find("messages");
  if (messages == body.end() || !messages->is_array() || messages->empty()) return false;
  Json& last = messages->back();
  const bool already_continuing = set(body, "continue_final_message") && has_role(last, "assistant");
  if (already_continuing) {
    // The client was itself continuing an assistant message (a prefill):
    // the text so far extends that message.
    if (!append_content(last, text)) return false;
  } else {
    messages->push_back(Json{{"role", "assistant"}, {"content", std::string(text)}});
  }
  body["continue_final_message"] = true;
  body["add_generation_prompt"] = false;
  return true;
}

/// Completions: the text so far appended to the prompt.
bool continue_prompt(Json& body, std::string_view text) {
  const auto prompt = body.find("prompt");
  if (prompt == body.end()) return false;
  Json* target = &*prompt;
  if (prompt->is_array()) {
    if (prompt->size() != 1) return false;
    target = &(*prompt)[0];
  }
  if (!target->is_string()) return false;
  target->get_ref<std::string&>().append(text);
  return true;
}

/// Whether a continuation choice still says something once its role is gone.
bool carries_something(const Json& choice) {
  if (!choice.is_object()) return true;
  if (set(choice, "finish_reason") || set(choice, "text") || set(choice, "logprobs")) return true;
  const auto delta = choice.find("delta");
  if (delta == choice.end() || !delta->is_object()) return false;
  return std::any_of(delta->begin(), delta->end(), [](const Json& v) {
    return !v.is_null() && !(v.is_string() && v.get_ref<const std::string&>().empty());
  });
}

Json chunk_head(const StreamTranscript& t, ApiKind kind) {
  return Json{{"id", t.id()},
              {"object", kind == ApiKind::kChat ? "chat.completion.chunk" : "text_completion"},
              {"created", t.created()},
              {"model", t.model()}};
}

/// The finish chunk of every choice that has not finished ("length").
std::string finish_chunk(const StreamTranscript& t, ApiKind kind) {
  Json chunk = chunk_head(t, kind);
  Json choices = Json::array();
  const std::size_t count = std::max<std::size_t>(1, t.choices().size());
  for (std::size_t i = 0; i < count; ++i) {
    if (i < t.choices().size() && t.choices()[i].finished) continue;
    Json choice{{"index", i}};
    if (kind == ApiKind::kChat) choice["delta"] = Json::object();
    else choice["text"] = "";
    choice["logprobs"] = nullptr;
    choice["finish_reason"] = "length";
    choices.push_back(std::move(choice));
  }
  chunk["choices"] = std::move(choices);
  return dump(chunk);
}

std::string usage_chunk(const StreamTranscript& t, ApiKind kind, std::int64_t prompt_tokens) {
  prompt_tokens = usage_tokens(prompt_tokens);
  std::int64_t completion = 0;
  for (const auto& c : t.choices()) completion = usage_tokens(completion + c.tokens);
  Json chunk = chunk_head(t, kind);
  chunk["choices"] = Json::array();
  chunk["usage"] = Json{{"prompt_tokens", prompt_tokens},
                        {"completion_tokens", completion},
                        {"total_tokens", prompt_tokens + completion}};
  return dump(chunk);
}

}  // namespace

std::string_view to_string(ContinuationRefusal refusal) {
  switch (refusal) {
    case ContinuationRefusal::kSeveralChoices: return "several_choices";
    case ContinuationRefusal::kToolCalls: return "tool_calls";
    case ContinuationRefusal::kLogprobs: return "logprobs";
    case ContinuationRefusal::kEngineError: return "engine_error";
    case ContinuationRefusal::kUnsupportedRequest: return "unsupported_request";
  }
  return "unsupported_request";
}

// ------------------------------------------------------------ transcript ----

StreamTranscript::Choice& StreamTranscript::choice(std::int64_t index) {
  if (index != 0) refuse(ContinuationRefusal::kSeveralChoices);
  const auto i = static_cast<std::size_t>(std::clamp<std::int64_t>(index, 0, kMaxChoices - 1));
  if (choices_.size() <= i) choices_.resize(i + 1);
  return choices_[i];
}

std::string_view StreamTranscript::text() const { return choices_.empty() ? std::string_view() : choices_[0].text; }

std::int64_t StreamTranscript::tokens() const { return choices_.empty() ? 0 : choices_[0].tokens; }

bool StreamTranscript::finished() const {
  return !choices_.empty() && std::all_of(choices_.begin(), choices_.end(), [](const Choice& c) { return c.finished; });
}

void StreamTranscript::record(std::string_view data) {
  if (data == kDone) {
    done_ = true;
    return;
  }
  if (data.empty() || data.front() != '{') return;
  buffer_.resize(std::max(buffer_.size(), data.size() + simdjson::SIMDJSON_PADDING));
  std::memcpy(buffer_.data(), data.data(), data.size());
  thread_local simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  if (parser.iterate(simdjson::padded_string_view(buffer_.data(), data.size(), buffer_.size())).get(doc)) return;
  simdjson::ondemand::object root;
  if (doc.get_object().get(root)) return;
  for (auto field : root) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return;
    std::string_view text;
    if (key == "id" && id_.empty()) {
      if (!field.value().get_string().get(text)) id_.assign(text);
    } else if (key == "created" && created_ == 0) {
      std::int64_t created = 0;
      if (!field.value().get_int64().get(created)) created_ = created;
    } else if (key == "model" && model_.empty()) {
      if (!field.value().get_string().get(text)) model_.assign(text);
    } else if (key == "usage") {
      if (!is_null(field.value())) usage_relayed_ = true;
    } else if (key == "error") {
      if (!is_null(field.value())) refuse(ContinuationRefusal::kEngineError);
    } else if (key == "choices") {
      simdjson::ondemand::array choices;
      if (field.value().get_array().get(choices)) continue;
      for (auto element : choices) {
        simdjson::ondemand::object c;
        if (element.get_object().get(c)) continue;
        const ChunkChoice seen = read_choice(c);
        if (seen.tool_calls) refuse(ContinuationRefusal::kToolCalls);
        if (seen.logprobs) refuse(ContinuationRefusal::kLogprobs);
        Choice& slot = choice(seen.index);
        if (!seen.piece.empty()) {
          slot.text.append(seen.piece);
          ++slot.tokens;
        }
        if (seen.finished) slot.finished = true;
      }
    }
  }
}

// ------------------------------------------------------------------ body ----

std::expected<ContinuationBody, ContinuationRefusal> build_continuation_body(std::string_view upstream_body,
                                                                           ApiKind kind, std::string_view text_so_far,
                                                                           std::int64_t tokens_so_far) {
  // build_upstream_body made it from a checked body; checked again because
  // nlohmann's serializer recurses per level.
  if (!check_json(upstream_body, kMaxJsonDepth)) return std::unexpected(ContinuationRefusal::kUnsupportedRequest);
  Json body = Json::parse(upstream_body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) return std::unexpected(ContinuationRefusal::kUnsupportedRequest);
  if (!single_choice(body)) return std::unexpected(ContinuationRefusal::kSeveralChoices);
  if (set(body, "logprobs")) return std::unexpected(ContinuationRefusal::kLogprobs);
  if (set(body, "echo")) return std::unexpected(ContinuationRefusal::kUnsupportedRequest);
  ContinuationBody out;
  if (!reduce_max_tokens(body, tokens_so_far)) {
    out.max_tokens_reached = true;
    return out;
  }
  const bool extended = kind == ApiKind::kChat ? continue_chat(body, text_so_far) : continue_prompt(body, text_so_far);
  if (!extended) return std::unexpected(ContinuationRefusal::kUnsupportedRequest);
  out.body = dump(body);
  return out;
}

// --------------------------------------------------------------- splicer ----

StreamSplicer::StreamSplicer(const StreamTranscript& original, std::int64_t tokens_before, std::int64_t prompt_tokens)
    : id_(original.id()), created_(original.created()), model_(original.model()),
      tokens_before_(usage_tokens(tokens_before)), prompt_tokens_(usage_tokens(prompt_tokens)) {}

std::optional<std::string> StreamSplicer::splice(std::string_view data) const {
  if (data.empty() || data.front() != '{') return std::string(data);  // [DONE]
  // An engine's chunk is checked before nlohmann (which recurses per level
  // when it serializes) sees it; one that is not JSON passes as it is.
  if (!check_json(data, kMaxJsonDepth)) return std::string(data);
  Json chunk = Json::parse(data, nullptr, /*allow_exceptions=*/false);
  if (chunk.is_discarded() || !chunk.is_object() || chunk.contains("error")) return std::string(data);
  if (chunk.contains("id")) chunk["id"] = id_;
  if (chunk.contains("created")) chunk["created"] = created_;
  if (chunk.contains("model")) chunk["model"] = model_;
  bool had_role = false;
  bool carries = false;
  if (const auto choices = chunk.find("choices"); choices != chunk.end() && choices->is_array()) {
    for (Json& choice : *choices) {
      if (const auto delta = choice.find("delta"); choice.is_object() && delta != choice.end() && delta->is_object()) {
        had_role = delta->erase("role") > 0 || had_role;
      }
      carries = carries || carries_something(choice);
    }
  }
  const auto usage = chunk.find("usage");
  const bool has_usage = usage != chunk.end() && usage->is_object();
  if (has_usage) {
    // Both terms are within [0, kMaxUsageTokens]: the sums cannot overflow.
    const std::int64_t completion = tokens_before_ + usage_tokens(integer(*usage, "completion_tokens").value_or(0));
    (*usage)["prompt_tokens"] = prompt_tokens_;
    (*usage)["completion_tokens"] = completion;
    (*usage)["total_tokens"] = prompt_tokens_ + completion;
    usage->erase("prompt_tokens_details");  // it described the continuation's prompt
  }
  if (had_role && !carries && !has_usage) return std::nullopt;
  return dump(chunk);
}

// ----------------------------------------------------------------- seams ----

std::string closing_events(const StreamTranscript& transcript, ApiKind kind, bool include_usage,
                           std::int64_t prompt_tokens) {
  std::string out;
  if (transcript.done()) return out;
  if (!transcript.finished()) append_event(out, finish_chunk(transcript, kind));
  if (include_usage && !transcript.usage_relayed()) append_event(out, usage_chunk(transcript, kind, prompt_tokens));
  append_event(out, kDone);
  return out;
}

SeamStep next_seam_step(const StreamTranscript& transcript, std::string_view upstream_body, ApiKind kind,
                        const SeamLimits& limits) {
  SeamStep step;
  if (transcript.done() || transcript.finished()) {
    step.kind = SeamStep::Kind::kClose;
    return step;
  }
  if (transcript.refusal()) {
    step.refusal = transcript.refusal();
    return step;
  }
  auto built = build_continuation_body(upstream_body, kind, transcript.text(), transcript.tokens());
  if (!built) {
    step.refusal = built.error();
    return step;
  }
  if (built->max_tokens_reached) {
    step.kind = SeamStep::Kind::kClose;
    return step;
  }
  if (limits.continuations_done >= limits.max_continuations || limits.deadline_passed) return step;
  step.kind = SeamStep::Kind::kContinue;
  step.body = std::move(built->body);
  return step;
}

}  // namespace sluice::proxy
