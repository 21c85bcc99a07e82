#pragma once
/// Typed reading of YAML nodes for the config loader. Every read either yields
/// a value or records a ConfigError at the value's position and yields
/// nothing; nothing here throws. The Reader also remembers where each key path
/// was found, so cross-field checks can point at both sides of a conflict.
///
/// Not thread-safe: one Reader per load.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/config/config.h"
#include "sluice/config/loader.h"
#include "sluice/config/value_text.h"

namespace sluice::config {

/// A position in the YAML text, 1-based; line 0 = unknown.
struct Location {
  int line = 0;
  int column = 0;
};

/// The 1-based position of `node`, or {0, 0} if yaml-cpp has none.
Location location_of(const YAML::Node& node);

constexpr std::int64_t kNoMax = std::numeric_limits<std::int64_t>::max();

/// A value taken from the environment by `{env: NAME}`.
struct EnvValue {
  std::string name;
  std::string value;
};

class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  const std::string& file() const { return file_; }
  void fail(Location at, std::string key, std::string message);
  bool has_errors() const { return !errors_.empty(); }
  ConfigErrors take_errors() { return std::move(errors_); }

  /// Records where `key` (a full path such as "tenants[1].id") was found.
  void remember(const std::string& key, Location at);
  /// Where `key` was found; {0, 0} if it never was.
  Location where(const std::string& key) const;
  /// `key (line L, column C)`, for messages that name a second place.
  std::string place(const std::string& key) const;

  /// Checks that `node` is a list (error otherwise) and remembers where each
  /// item `key[i]` sits.
  bool expect_list(const YAML::Node& node, const std::string& key, Location at);

  // Conversions of a present value. Each records an error at `at` and returns
  // nothing when the value does not fit.
  std::optional<std::string> string(const YAML::Node& node, const std::string& key, Location at,
                                    bool allow_empty);
  std::optional<std::int64_t> integer(const YAML::Node& node, const std::string& key, Location at,
                                      std::int64_t min, std::int64_t max);
  std::optional<double> positive_number(const YAML::Node& node, const std::string& key, Location at);
  std::optional<bool> boolean(const YAML::Node& node, const std::string& key, Location at);
  /// Normally > 0; with `allow_zero`, 0 (meaning "none") is accepted too.
  std::optional<core::Duration> duration(const YAML::Node& node, const std::string& key, Location at,
                                         bool allow_zero = false);
  /// A number from 0 to 100 (above 0 unless `allow_zero`).
  std::optional<double> percent(const YAML::Node& node, const std::string& key, Location at, bool allow_zero);
  std::optional<std::uint64_t> byte_size(const YAML::Node& node, const std::string& key, Location at);
  std::optional<Endpoint> endpoint(const YAML::Node& node, const std::string& key, Location at);
  /// `{env: NAME}`: the variable's value, read now; an error if it is unset or empty.
  std::optional<EnvValue> env(const YAML::Node& node, const std::string& key, Location at);

 private:
  std::string file_;
  ConfigErrors errors_;
  std::map<std::string, Location, std::less<>> locations_;
};

/// One YAML mapping being read. On construction it checks the keys against
/// the allowed set (unknown keys get a "did you mean" hint, duplicates are
/// errors) and remembers where every child sits; then children are read by
/// name with their full key paths. A null node (`server:` with nothing under
/// it) counts as an empty mapping.
class MapReader {
 public:
  MapReader(Reader& reader, const YAML::Node& node, std::string key, Location at,
            std::initializer_list<std::string_view> allowed);

  bool is_map() const { return is_map_; }
  const std::string& key() const { return key_; }
  Location location() const { return at_; }
  /// "parent.name", or "name" at the top level.
  std::string key_of(std::string_view name) const;
  /// The child's value, or an undefined node when absent.
  YAML::Node get(std::string_view name) const;
  bool has(std::string_view name) const;
  /// Where the child's value sits (its key when the value has no position).
  Location location_of_child(std::string_view name) const;
  /// The child mapping `name`, with the keys it allows (an error is
  /// recorded, and is_map() is false, when the child is not a mapping).
  MapReader child(std::string_view name, std::initializer_list<std::string_view> allowed) const;
  /// Records "missing required key" at this mapping's position when absent.
  bool require(std::string_view name, std::string_view why = {}) const;
  /// Records "not allowed …" at the child when present.
  void forbid(std::string_view name, std::string_view why) const;

  // Optional children: nothing when absent (no error) or when invalid (error recorded).
  std::optional<std::string> string(std::string_view name, bool allow_empty = false) const;
  std::optional<std::int64_t> integer(std::string_view name, std::int64_t min, std::int64_t max) const;
  std::optional<double> positive_number(std::string_view name) const;
  std::optional<bool> boolean(std::string_view name) const;
  std::optional<core::Duration> duration(std::string_view name, bool allow_zero = false) const;
  std::optional<double> percent(std::string_view name, bool allow_zero) const;
  std::optional<std::uint64_t> byte_size(std::string_view name) const;
  std::optional<Endpoint> endpoint(std::string_view name) const;

 private:
  struct Entry {
    std::string name;
    YAML::Node value;
    Location at;      // the value's position (the key's if the value has none)
    Location key_at;  // the key's position
  };
  const Entry* find(std::string_view name) const;

  Reader& reader_;
  std::string key_;
  Location at_;
  bool is_map_ = false;
  std::vector<Entry> entries_;
};

/// `out = *value` when there is a value (converting, e.g. int64 → int).
template <class T, class V>
void set_if(T& out, const std::optional<V>& value) {
  if (value) out = static_cast<T>(*value);
}

}  // namespace sluice::config
