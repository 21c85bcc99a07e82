#include "sluice/loadgen/response_parse.h"

#include <simdjson.h>

namespace sluice::loadgen {
namespace {

namespace od = simdjson::ondemand;

od::parser& parser() {
  thread_local od::parser p;
  return p;
}

bool non_empty_string(od::value value) {
  std::string_view s;
  return !value.get_string().get(s) && !s.empty();
}

}  // namespace

ChunkKind classify_chunk(std::string_view data) {
  // Most chunks carry text; a cheap look first spares the parse of the rest.
  if (data.find("\"error\"") == std::string_view::npos && data.find("\"content\"") == std::string_view::npos &&
      data.find("\"text\"") == std::string_view::npos) {
    return ChunkKind::kOther;
  }
  const simdjson::padded_string padded(data);
  od::document doc;
  od::object root;
  if (parser().iterate(padded).get(doc) || doc.get_object().get(root)) return ChunkKind::kOther;
  for (auto field : root) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return ChunkKind::kOther;
    if (key == "error") return ChunkKind::kError;
    if (key != "choices") continue;
    od::array choices;
    if (field.value().get_array().get(choices)) return ChunkKind::kOther;
    for (auto choice : choices) {
      od::object obj;
      if (choice.get_object().get(obj)) return ChunkKind::kOther;
      for (auto part : obj) {
        std::string_view name;
        if (part.unescaped_key().get(name)) return ChunkKind::kOther;
        od::value value;
        if (part.value().get(value)) return ChunkKind::kOther;
        if (name == "text" && non_empty_string(value)) return ChunkKind::kContent;
        if (name == "delta") {
          od::object delta;
          if (value.get_object().get(delta)) continue;
          od::value content;
          if (!delta["content"].get(content) && non_empty_string(content)) return ChunkKind::kContent;
        }
      }
      break;  // the first choice only
    }
  }
  return ChunkKind::kOther;
}

std::string error_code_of(std::string_view body) {
  const simdjson::padded_string padded(body);
  od::document doc;
  std::string_view code;
  if (parser().iterate(padded).get(doc)) return {};
  if (doc.at_pointer("/error/code").get_string().get(code)) return {};
  return std::string(code);
}

}  // namespace sluice::loadgen
