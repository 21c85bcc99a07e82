#include "sluice/config/yaml_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "sluice/config/suggest.h"
#include "sluice/core/duration_text.h"

namespace sluice::config {
namespace {

/// Limits at or above this are the type's, not the domain's, and are named
/// only when a value exceeds them.
constexpr std::int64_t kLargeMax = std::numeric_limits<std::int32_t>::max();

std::string integer_expectation(std::int64_t min, std::int64_t max) {
  if (max >= kLargeMax && min == 1) return "a positive integer";
  if (max >= kLargeMax && min == 0) return "a non-negative integer";
  if (max >= kLargeMax) return fmt::format("an integer of at least {}", min);
  return fmt::format("an integer from {} to {}", min, max);
}

bool is_scalar(const YAML::Node& node) { return node.IsDefined() && node.IsScalar(); }

}  // namespace

Location location_of(const YAML::Node& node) {
  if (!node.IsDefined()) return {};
  const YAML::Mark mark = node.Mark();
  if (mark.is_null() || mark.line < 0) return {};
  return {mark.line + 1, mark.column + 1};
}

void Reader::fail(Location at, std::string key, std::string message) {
  errors_.push_back(ConfigError{file_, at.line, at.column, std::move(key), std::move(message)});
}

void Reader::remember(const std::string& key, Location at) { locations_.insert_or_assign(key, at); }

Location Reader::where(const std::string& key) const {
  auto it = locations_.find(key);
  return it == locations_.end() ? Location{} : it->second;
}

std::string Reader::place(const std::string& key) const {
  const Location at = where(key);
  if (at.line == 0) return key;
  return fmt::format("{} (line {}, column {})", key, at.line, at.column);
}

bool Reader::expect_list(const YAML::Node& node, const std::string& key, Location at) {
  if (!node.IsDefined() || !node.IsSequence()) {
    fail(at, key, fmt::format("expected a list, got {}", describe(node)));
    return false;
  }
  for (std::size_t i = 0; i < node.size(); ++i) {
    const Location item = location_of(node[i]);
    remember(fmt::format("{}[{}]", key, i), item.line == 0 ? at : item);
  }
  return true;
}

std::optional<std::string> Reader::string(const YAML::Node& node, const std::string& key, Location at,
                                          bool allow_empty) {
  if (!is_scalar(node)) {
    fail(at, key, fmt::format("expected a string, got {}", describe(node)));
    return std::nullopt;
  }
  if (!allow_empty && node.Scalar().empty()) {
    fail(at, key, "expected a non-empty string, got \"\"");
    return std::nullopt;
  }
  return node.Scalar();
}

std::optional<std::int64_t> Reader::integer(const YAML::Node& node, const std::string& key, Location at,
                                            std::int64_t min, std::int64_t max) {
  const std::string expected = integer_expectation(min, max);
  if (!is_scalar(node)) {
    fail(at, key, fmt::format("expected {}, got {}", expected, describe(node)));
    return std::nullopt;
  }
  std::string_view text = node.Scalar();
  if (text.starts_with('+')) text.remove_prefix(1);
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) {
    fail(at, key, fmt::format("expected {}, got {}", expected, describe(node)));
    return std::nullopt;
  }
  if (value < min || value > max) {
    const bool name_max = value > max && max >= kLargeMax;
    fail(at, key, name_max ? fmt::format("expected {}, got {} (the largest allowed is {})", expected, value, max)
                           : fmt::format("expected {}, got {}", expected, value));
    return std::nullopt;
  }
  return value;
}

namespace {
/// A scalar that is a whole finite number (an optional leading '+').
std::optional<double> finite_number(const YAML::Node& node) {
  if (!is_scalar(node)) return std::nullopt;
  std::string_view text = node.Scalar();
  if (text.starts_with('+')) text.remove_prefix(1);
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}
}  // namespace

std::optional<double> Reader::positive_number(const YAML::Node& node, const std::string& key, Location at) {
  const std::optional<double> number = finite_number(node);
  const double value = number.value_or(0);
  if (!number || value <= 0) {
    fail(at, key, fmt::format("expected a positive number, got {}", describe(node)));
    return std::nullopt;
  }
  return value;
}

std::optional<bool> Reader::boolean(const YAML::Node& node, const std::string& key, Location at) {
  bool value = false;
  if (!is_scalar(node) || !YAML::convert<bool>::decode(node, value)) {
    fail(at, key, fmt::format("expected true or false, got {}", describe(node)));
    return std::nullopt;
  }
  return value;
}

std::optional<core::Duration> Reader::duration(const YAML::Node& node, const std::string& key, Location at,
                                               bool allow_zero) {
  std::optional<core::Duration> value;
  if (is_scalar(node)) value = core::parse_duration(node.Scalar());
  if (!value || *value < core::Duration::zero() || (!allow_zero && *value == core::Duration::zero())) {
    const std::string_view expected = allow_zero ? "a duration such as \"30s\", \"250ms\" or \"5m\", or 0 for none"
                                                 : "a positive duration such as \"30s\", \"250ms\" or \"5m\"";
    fail(at, key, fmt::format("expected {}, got {}", expected, describe(node)));
    return std::nullopt;
  }
  return value;
}

std::optional<double> Reader::percent(const YAML::Node& node, const std::string& key, Location at, bool allow_zero) {
  const std::optional<double> number = finite_number(node);
  const double value = number.value_or(0);
  if (!number || value < 0 || value > 100 || (!allow_zero && value == 0)) {
    const std::string_view expected = allow_zero ? "a percentage from 0 to 100" : "a percentage above 0, at most 100";
    fail(at, key, fmt::format("expected {}, got {}", expected, describe(node)));
    return std::nullopt;
  }
  return value;
}

std::optional<std::uint64_t> Reader::byte_size(const YAML::Node& node, const std::string& key, Location at) {
  std::optional<std::uint64_t> value;
  if (is_scalar(node)) value = parse_byte_size(node.Scalar());
  if (!value || *value == 0) {
    fail(at, key, fmt::format("expected a positive size such as 4194304, \"512KiB\" or \"4MiB\", got {}",
                              describe(node)));
    return std::nullopt;
  }
  return value;
}

std::optional<Endpoint> Reader::endpoint(const YAML::Node& node, const std::string& key, Location at) {
  std::optional<Endpoint> value;
  if (is_scalar(node)) value = parse_host_port(node.Scalar());
  if (!value) {
    fail(at, key, fmt::format("expected host:port with a port from 0 to 65535, got {}", describe(node)));
  }
  return value;
}

std::optional<EnvValue> Reader::env(const YAML::Node& node, const std::string& key, Location at) {
  MapReader m(*this, node, key, at, {"env"});
  if (!m.is_map() || !m.require("env")) return std::nullopt;
  auto name = m.string("env");
  if (!name) return std::nullopt;
  const char* value = std::getenv(name->c_str());
  if (value == nullptr || *value == '\0') {
    fail(m.location_of_child("env"), m.key_of("env"),
         fmt::format("environment variable {} is {}", *name, value == nullptr ? "not set" : "empty"));
    return std::nullopt;
  }
  return EnvValue{*name, value};
}

MapReader MapReader::child(std::string_view name, std::initializer_list<std::string_view> allowed) const {
  return MapReader(reader_, get(name), key_of(name), location_of_child(name), allowed);
}

MapReader::MapReader(Reader& reader, const YAML::Node& node, std::string key, Location at,
                     std::initializer_list<std::string_view> allowed)
    : reader_(reader), key_(std::move(key)), at_(at) {
  if (node.IsDefined() && node.IsNull()) {
    is_map_ = true;
    return;
  }
  if (!node.IsDefined() || !node.IsMap()) {
    reader_.fail(at_, key_.empty() ? "(top level)" : key_,
                 fmt::format("expected a mapping, got {}", describe(node)));
    return;
  }
  is_map_ = true;
  const std::vector<std::string_view> names(allowed);
  for (auto it = node.begin(); it != node.end(); ++it) {
    const Location key_at = location_of(it->first);
    if (!it->first.IsScalar()) {
      reader_.fail(key_at.line == 0 ? at_ : key_at, key_, "expected a plain key, got " + describe(it->first));
      continue;
    }
    const std::string& name = it->first.Scalar();
    const std::string path = key_of(name);
    if (const Entry* first = find(name)) {
      reader_.fail(key_at, path, fmt::format("duplicate key (first at line {}, column {})", first->key_at.line,
                                             first->key_at.column));
      continue;
    }
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      auto hint = closest_match(name, names);
      reader_.fail(key_at, path,
                   hint ? fmt::format("unknown key (did you mean \"{}\"?)", *hint)
                        : fmt::format("unknown key; expected one of: {}", join(names)));
      continue;
    }
    const Location value_at = location_of(it->second);
    entries_.push_back(Entry{name, it->second, value_at.line == 0 ? key_at : value_at, key_at});
    reader_.remember(path, entries_.back().at);
  }
}

std::string MapReader::key_of(std::string_view name) const {
  return key_.empty() ? std::string(name) : fmt::format("{}.{}", key_, name);
}

const MapReader::Entry* MapReader::find(std::string_view name) const {
  for (const auto& entry : entries_) {
    if (entry.name == name) return &entry;
  }
  return nullptr;
}

YAML::Node MapReader::get(std::string_view name) const {
  const Entry* entry = find(name);
  return entry ? entry->value : YAML::Node(YAML::NodeType::Undefined);
}

bool MapReader::has(std::string_view name) const { return find(name) != nullptr; }

Location MapReader::location_of_child(std::string_view name) const {
  const Entry* entry = find(name);
  return entry ? entry->at : at_;
}

bool MapReader::require(std::string_view name, std::string_view why) const {
  if (has(name)) return true;
  if (is_map_) {
    reader_.fail(at_, key_of(name),
                 why.empty() ? std::string("missing required key") : fmt::format("missing required key ({})", why));
  }
  return false;
}

void MapReader::forbid(std::string_view name, std::string_view why) const {
  if (const Entry* entry = find(name)) reader_.fail(entry->at, key_of(name), fmt::format("not allowed {}", why));
}

std::optional<std::string> MapReader::string(std::string_view name, bool allow_empty) const {
  const Entry* e = find(name);
  return e ? reader_.string(e->value, key_of(name), e->at, allow_empty) : std::nullopt;
}

std::optional<std::int64_t> MapReader::integer(std::string_view name, std::int64_t min, std::int64_t max) const {
  const Entry* e = find(name);
  return e ? reader_.integer(e->value, key_of(name), e->at, min, max) : std::nullopt;
}

std::optional<double> MapReader::positive_number(std::string_view name) const {
  const Entry* e = find(name);
  return e ? reader_.positive_number(e->value, key_of(name), e->at) : std::nullopt;
}

std::optional<bool> MapReader::boolean(std::string_view name) const {
  const Entry* e = find(name);
  return e ? reader_.boolean(e->value, key_of(name), e->at) : std::nullopt;
}

std::optional<core::Duration> MapReader::duration(std::string_view name, bool allow_zero) const {
  const Entry* e = find(name);
  return e ? reader_.duration(e->value, key_of(name), e->at, allow_zero) : std::nullopt;
}

std::optional<double> MapReader::percent(std::string_view name, bool allow_zero) const {
  const Entry* e = find(name);
  return e ? reader_.percent(e->value, key_of(name), e->at, allow_zero) : std::nullopt;
}

std::optional<std::uint64_t> MapReader::byte_size(std::string_view name) const {
  const Entry* e = find(name);
  return e ? reader_.byte_size(e->value, key_of(name), e->at) : std::nullopt;
}

std::optional<Endpoint> MapReader::endpoint(std::string_view name) const {
  const Entry* e = find(name);
  return e ? reader_.endpoint(e->value, key_of(name), e->at) : std::nullopt;
}

}  // namespace sluice::config
