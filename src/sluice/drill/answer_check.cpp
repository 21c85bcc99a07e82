#include "sluice/drill/answer_check.h"

#include <nlohmann/json.hpp>

#include "sluice/engine/synthetic_text.h"

namespace sluice::drill {

namespace {

using nlohmann::json;

/// engine-sim's synthetic text: " word word …", lower-case ASCII words each
/// after one space.
bool looks_synthetic(std::string_view text) {
  if (text.empty() || text.front() != ' ' || text.back() == ' ') return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == ' ') {
      if (i > 0 && text[i - 1] == ' ') return false;
    } else if (c < 'a' || c > 'z') {
      return false;
    }
  }
  return true;
}

std::optional<std::int64_t> completion_tokens_of(const json& doc) {
  const auto usage = doc.find("usage");
  if (usage == doc.end() || !usage->is_object()) return std::nullopt;
  const auto n = usage->find("completion_tokens");
  if (n == usage->end() || !n->is_number_integer()) return std::nullopt;
  return n->get<std::int64_t>();
}

}  // namespace

std::int64_t answer_tokens(std::string_view text, std::optional<std::int64_t> usage_completion_tokens) {
  if (!looks_synthetic(text) && usage_completion_tokens) return *usage_completion_tokens;
  return engine::count_words(text);  // the engine's synthetic words are its tokens
}

void count_whole_answer(LoadCounters& counters, std::int64_t tokens, std::int64_t max_tokens) {
  ++counters.answers_checked;
  if (tokens < max_tokens) counters.tokens_lost += max_tokens - tokens;
  if (tokens > max_tokens) counters.tokens_duplicated += tokens - max_tokens;
}

void count_failure(LoadCounters& counters, bool stream, const std::string& reason) {
  ++(stream ? counters.streams_broken : counters.requests_failed);
  ++counters.failure_reasons[(stream ? "stream: " : "request: ") + reason];
}

void StreamReading::on_event(std::string_view data) {
  if (data == "[DONE]") {
    done_ = true;
    return;
  }
  const json doc = json::parse(data, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return;
  if (const auto e = doc.find("error"); e != doc.end()) {
    errored_ = true;
    if (e->is_object()) {
      const auto code = e->find("code");
      if (code != e->end() && code->is_string()) error_code_ = code->get<std::string>();
    }
    return;
  }
  if (auto n = completion_tokens_of(doc)) usage_ = n;
  const auto choices = doc.find("choices");
  if (choices == doc.end() || !choices->is_array() || choices->empty()) return;
  const auto delta = (*choices)[0].find("delta");
  if (delta == (*choices)[0].end() || !delta->is_object()) return;
  const auto content = delta->find("content");
  if (content != delta->end() && content->is_string()) text_ += content->get_ref<const std::string&>();
}

std::optional<WholeAnswer> parse_chat_completion(std::string_view body) {
  const json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return std::nullopt;
  const auto choices = doc.find("choices");
  if (choices == doc.end() || !choices->is_array() || choices->empty()) return std::nullopt;
  const auto message = (*choices)[0].find("message");
  if (message == (*choices)[0].end() || !message->is_object()) return std::nullopt;
  WholeAnswer answer;
  const auto content = message->find("content");
  if (content != message->end() && content->is_string()) answer.text = content->get<std::string>();
  answer.completion_tokens = completion_tokens_of(doc);
  return answer;
}

}  // namespace sluice::drill
