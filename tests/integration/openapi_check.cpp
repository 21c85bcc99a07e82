#include "openapi_check.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <regex>

#include <fmt/format.h>

namespace sluice::itest {

namespace {

using nlohmann::json;

/// A plain (untagged, unquoted) YAML scalar as YAML 1.2's core schema reads
/// it: null, a boolean, an integer, a float, else a string.
json plain_scalar(const std::string& s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  static const std::regex kInt(R"([-+]?[0-9]+)");
  static const std::regex kFloat(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
  if (std::regex_match(s, kInt)) {
    try {
      return std::stoll(s);
    } catch (...) {
      return s;
    }
  }
  if (std::regex_match(s, kFloat)) return std::stod(s);
  return s;
}

json to_json(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined: return nullptr;
    case YAML::NodeType::Scalar:
      // "!" is the tag of a quoted scalar: always a string.
      return node.Tag() == "!" ? json(node.Scalar()) : plain_scalar(node.Scalar());
    case YAML::NodeType::Sequence: {
      json out = json::array();
      for (const auto& item : node) out.push_back(to_json(item));
      return out;
    }
    case YAML::NodeType::Map: {
      json out = json::object();
      for (const auto& kv : node) out[kv.first.Scalar()] = to_json(kv.second);
      return out;
    }
  }
  return nullptr;
}

std::string type_of(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "integer";
    case json::value_t::number_float: return "number";
    case json::value_t::string: return "string";
    case json::value_t::array: return "array";
    case json::value_t::object: return "object";
    default: return "something else";
  }
}

bool has_type(const json& v, const std::string& type) {
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  if (type == "string") return v.is_string();
  if (type == "integer") return v.is_number_integer();
  if (type == "number") return v.is_number();
  if (type == "boolean") return v.is_boolean();
  return false;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

/// Splits "/a/{id}/b" into its segments.
std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    if (path.front() == '/') path.remove_prefix(1);
    const std::size_t slash = path.find('/');
    out.push_back(path.substr(0, slash));
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash);
  }
  return out;
}

}  // namespace

std::optional<OpenApiDoc> OpenApiDoc::load(const std::string& path, std::string& error) {
  try {
    json doc = to_json(YAML::LoadFile(path));
    if (!doc.is_object() || !doc.contains("paths") || !doc["paths"].is_object()) {
      error = path + ": not an OpenAPI document (no paths)";
      return std::nullopt;
    }
    return OpenApiDoc(std::move(doc));
  } catch (const std::exception& e) {
    error = fmt::format("{}: {}", path, e.what());
    return std::nullopt;
  }
}

std::optional<OpenApiDoc> OpenApiDoc::load_admin_api(std::string& error) {
  return load(std::string(SLUICE_SOURCE_DIR) + "/docs/admin-api.yaml", error);
}

std::optional<std::string> OpenApiDoc::match_path(std::string_view path) const {
  path = path.substr(0, path.find('?'));
  const auto want = segments(path);
  std::optional<std::string> best;
  int best_params = 1 << 30;
  for (const auto& [tmpl, item] : doc_["paths"].items()) {
    const auto have = segments(tmpl);
    if (have.size() != want.size()) continue;
    int params = 0;
    bool match = true;
    for (std::size_t i = 0; i < have.size() && match; ++i) {
      if (have[i].starts_with('{') && have[i].ends_with('}')) {
        ++params;
        match = !want[i].empty();
      } else {
        match = have[i] == want[i];
      }
    }
    if (match && params < best_params) {
      best = tmpl;
      best_params = params;
    }
  }
  return best;
}

std::vector<std::string> OpenApiDoc::check(std::string_view method, std::string_view path_template, int status,
                                           const json& body) const {
  const std::string route = fmt::format("{} {}", method, path_template);
  const auto& paths = doc_["paths"];
  const auto item = paths.find(std::string(path_template));
  if (item == paths.end()) return {route + ": not in the document"};
  const auto op = item->find(lower(method));
  if (op == item->end() || !op->is_object()) return {route + ": method not in the document"};
  const auto responses = op->find("responses");
  if (responses == op->end()) return {route + ": no responses documented"};
  auto response = responses->find(std::to_string(status));
  if (response == responses->end()) response = responses->find("default");
  if (response == responses->end()) return {fmt::format("{}: status {} is not documented", route, status)};
  std::vector<std::string> out;
  const json* resolved = resolve(*response, out, route);
  if (!resolved) return out;
  const auto content = resolved->find("content");
  if (content == resolved->end() || !content->contains("application/json"))
    return {fmt::format("{}: status {} has no application/json content documented", route, status)};
  const json& media = (*content)["application/json"];
  if (!media.contains("schema")) return {fmt::format("{}: status {} has no schema", route, status)};
  validate(media["schema"], body, "$", out, 0);
  return out;
}

std::vector<std::string> OpenApiDoc::check_path(std::string_view method, std::string_view path, int status,
                                                const json& body) const {
  const auto tmpl = match_path(path);
  if (!tmpl) return {fmt::format("{} {}: no path of the document matches", method, path)};
  return check(method, *tmpl, status, body);
}

std::vector<std::string> OpenApiDoc::check_schema(const json& schema, const json& value) const {
  std::vector<std::string> out;
  validate(schema, value, "$", out, 0);
  return out;
}

const json* OpenApiDoc::resolve(const json& schema, std::vector<std::string>& out, const std::string& where) const {
  const json* s = &schema;
  for (int hops = 0; s->is_object() && s->contains("$ref"); ++hops) {
    const std::string ref = (*s)["$ref"].get<std::string>();
    if (hops > 16 || !ref.starts_with("#/")) {
      out.push_back(fmt::format("{}: cannot resolve $ref {}", where, ref));
      return nullptr;
    }
    try {
      s = &doc_.at(json::json_pointer(ref.substr(1)));
    } catch (const std::exception&) {
      out.push_back(fmt::format("{}: $ref {} points at nothing", where, ref));
      return nullptr;
    }
  }
  return s;
}

void OpenApiDoc::validate(const json& schema_in, const json& value, const std::string& where,
                          std::vector<std::string>& out, int depth) const {
  if (depth > 64) {
    out.push_back(where + ": schema nests too deep");
    return;
  }
  const json* schema = resolve(schema_in, out, where);
  if (!schema || !schema->is_object()) return;
  if (value.is_null()) {
    // OpenAPI 3.0: null only where the schema says nullable (or says no type at all).
    if (schema->value("nullable", false) || (!schema->contains("type") && !schema->contains("allOf"))) return;
  }
  if (const auto all = schema->find("allOf"); all != schema->end()) {
    for (const auto& part : *all) validate(part, value, where, out, depth + 1);
  }
  if (const auto type = schema->find("type"); type != schema->end()) {
    if (!has_type(value, type->get<std::string>())) {
      out.push_back(fmt::format("{}: expected {}, got {}", where, type->get<std::string>(), type_of(value)));
      return;
    }
  }
  if (const auto e = schema->find("enum"); e != schema->end()) {
    if (std::find(e->begin(), e->end(), value) == e->end())
      out.push_back(fmt::format("{}: {} is not one of {}", where, value.dump(), e->dump()));
  }
  if (value.is_object()) {
    if (const auto required = schema->find("required"); required != schema->end()) {
      for (const auto& name : *required) {
        if (!value.contains(name.get<std::string>()))
          out.push_back(fmt::format("{}: required property \"{}\" is missing", where, name.get<std::string>()));
      }
    }
    const auto props = schema->find("properties");
    const auto additional = schema->find("additionalProperties");
    for (const auto& [name, v] : value.items()) {
      const std::string at = fmt::format("{}.{}", where, name);
      if (props != schema->end() && props->contains(name)) {
        validate((*props)[name], v, at, out, depth + 1);
      } else if (additional != schema->end()) {
        if (additional->is_boolean() && !additional->get<bool>())
          out.push_back(fmt::format("{}: unexpected property \"{}\"", where, name));
        else if (additional->is_object())
          validate(*additional, v, at, out, depth + 1);
      }
    }
  }
  if (value.is_array()) {
    if (const auto items = schema->find("items"); items != schema->end()) {
      for (std::size_t i = 0; i < value.size(); ++i)
        validate(*items, value[i], fmt::format("{}[{}]", where, i), out, depth + 1);
    }
  }
}

std::string join_mismatches(const std::vector<std::string>& mismatches) {
  std::string out;
  for (const auto& m : mismatches) out += "  " + m + "\n";
  return out;
}

}  // namespace sluice::itest
