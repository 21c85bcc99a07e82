#include "sluice/proxy/sse_parser.h"

#include <simdjson.h>

#include <algorithm>

namespace sluice::proxy {
namespace {

/// Position just past the blank line ending the event that starts at `from`,
/// or npos. Accepts \n\n, \r\n\r\n and mixed endings.
std::size_t event_end(std::string_view s, std::size_t from) {
  for (std::size_t i = from; i < s.size(); ++i) {
    if (s[i] != '\n') continue;
    std::size_t j = i + 1;
    if (j < s.size() && s[j] == '\r') ++j;
    if (j < s.size() && s[j] == '\n') return j + 1;
  }
  return std::string_view::npos;
}

std::string_view data_of(std::string_view event) {
  std::size_t pos = 0;
  while (pos < event.size()) {
    std::size_t eol = event.find('\n', pos);
    if (eol == std::string_view::npos) eol = event.size();
    std::string_view line = event.substr(pos, eol - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.starts_with("data:")) {
      line.remove_prefix(5);
      if (!line.empty() && line.front() == ' ') line.remove_prefix(1);
      return line;
    }
    pos = eol + 1;
  }
  return {};
}

/// A usage count clamped into [0, kMaxUsageTokens]; nullopt when it is not
/// a number. Numbers beyond int64 or written as floats clamp too.
std::optional<std::int64_t> usage_count(simdjson::simdjson_result<simdjson::ondemand::value> result) {
  simdjson::ondemand::value value;
  if (result.get(value)) return std::nullopt;
  // A failed scalar read does not advance the parser: each try reads the same value.
  std::int64_t i = 0;
  if (!value.get_int64().get(i)) return std::clamp<std::int64_t>(i, 0, kMaxUsageTokens);
  double d = 0;
  if (!value.get_double().get(d)) {
    if (!(d > 0)) return 0;
    return d >= static_cast<double>(kMaxUsageTokens) ? kMaxUsageTokens : static_cast<std::int64_t>(d);
  }
  std::uint64_t u = 0;
  if (!value.get_uint64().get(u)) return kMaxUsageTokens;
  return std::nullopt;
}

}  // namespace

const std::vector<SseEvent>& SseParser::feed(std::string_view bytes) {
  events_.clear();
  if (overflowed_) {
    buffer_ = std::string();
    consumed_ = scanned_ = 0;
    return events_;
  }
  if (consumed_ > 0) {
    buffer_.erase(0, consumed_);
    scanned_ -= std::min(scanned_, consumed_);
    consumed_ = 0;
  }
  buffer_.append(bytes);
  const std::string_view all(buffer_);
  std::size_t start = 0;
  for (;;) {
    // An end ("\n\n" or "\n\r\n") that starts before scanned_ - 2 would
    // have been found by an earlier scan: resume just before it.
    const std::size_t from = std::max(start, scanned_ >= 2 ? scanned_ - 2 : 0);
    const std::size_t end = event_end(all, from);
    if (end == std::string_view::npos) break;
    const std::string_view raw = all.substr(start, end - start);
    events_.push_back(SseEvent{raw, data_of(raw)});
    start = end;
    scanned_ = end;
  }
  consumed_ = start;
  scanned_ = all.size();
  if (all.size() - start > kMaxSseEventBytes) {
    overflowed_ = true;
    // The events found are views into buffer_: keep it until the next feed.
    consumed_ = all.size();
  }
  return events_;
}

std::optional<Usage> extract_usage(std::string_view json) {
  if (json.find("\"usage\"") == std::string_view::npos) return std::nullopt;
  thread_local simdjson::ondemand::parser parser;
  const simdjson::padded_string padded(json);
  simdjson::ondemand::document doc;
  if (parser.iterate(padded).get(doc)) return std::nullopt;
  simdjson::ondemand::object root;
  if (doc.get_object().get(root)) return std::nullopt;
  Usage out;
  bool found = false;
  bool choices_empty = false;
  for (auto field : root) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return std::nullopt;
    if (key == "choices") {
      simdjson::ondemand::array choices;
      std::size_t n = 0;
      if (!field.value().get_array().get(choices) && !choices.count_elements().get(n)) choices_empty = n == 0;
    } else if (key == "usage") {
      simdjson::ondemand::object usage;
      if (field.value().get_object().get(usage)) continue;  // null
      found = true;
      for (auto u : usage) {
        std::string_view ukey;
        if (u.unescaped_key().get(ukey)) return std::nullopt;
        if (ukey != "prompt_tokens" && ukey != "completion_tokens") continue;
        if (auto v = usage_count(u.value())) (ukey == "prompt_tokens" ? out.prompt_tokens : out.completion_tokens) = *v;
      }
    }
  }
  if (!found) return std::nullopt;
  out.usage_only_chunk = choices_empty;
  return out;
}

}  // namespace sluice::proxy
