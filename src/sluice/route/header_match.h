#pragma once
/// One header condition of a route, ready to test: the name lower-cased and
/// a regex compiled once (RE2), not per request.
///
/// Semantics: a request without the header never matches, whatever the
/// kind. kExact compares the whole value, kPrefix its start (an empty prefix
/// matches any value, including an empty one), kRegex must match the whole
/// value (RE2::FullMatch: "gpt-4" does not match "gpt-4o"). RE2 matches in
/// time linear in the value and never recurses on it, so a long header
/// cannot exhaust the stack. A regex that does not compile — config
/// validation should have caught it — never matches.
///
/// Thread-safety: immutable after construction; matches() is safe from any
/// thread (RE2 objects are thread-safe for matching).
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "sluice/config/config.h"

namespace re2 {
class RE2;
}

namespace sluice::route {

class HeaderCondition {
 public:
  explicit HeaderCondition(const config::HeaderMatch& match);

  /// Lower-case header name to look up.
  const std::string& name() const { return name_; }
  /// False for a regex that failed to compile (the condition never holds).
  bool valid() const { return kind_ != config::MatchKind::kRegex || regex_ != nullptr; }
  /// Whether the header's value (nullopt = absent) satisfies the condition.
  bool matches(std::optional<std::string_view> value) const;

 private:
  std::string name_;
  config::MatchKind kind_;
  std::string value_;
  std::shared_ptr<const re2::RE2> regex_;  // kRegex only, when it compiled; shared by copies
};

}  // namespace sluice::route
