#pragma once
/// One header condition of a route, ready to test: the name lower-cased and
/// a regex compiled once (std::regex, ECMAScript grammar), not per request.
///
/// Semantics: a request without the header never matches, whatever the
/// kind. kExact compares the whole value, kPrefix its start (an empty prefix
/// matches any value, including an empty one), kRegex must match the whole
/// value (std::regex_match, not regex_search: "gpt-4" does not match
/// "gpt-4o"). A regex that does not compile — config validation should have
/// caught it — never matches instead of throwing; nor does a value whose
/// match throws (std::regex gives up on pathological inputs with
/// error_complexity / error_stack).
///
/// Thread-safety: immutable after construction; matches() is safe from any
/// thread (std::regex matching does not modify the regex).
#include <optional>
#include <regex>
#include <string>
#include <string_view>

#include "sluice/config/config.h"

namespace sluice::route {

class HeaderCondition {
 public:
  explicit HeaderCondition(const config::HeaderMatch& match);

  /// Lower-case header name to look up.
  const std::string& name() const { return name_; }
  /// False for a regex that failed to compile (the condition never holds).
  bool valid() const { return kind_ != config::MatchKind::kRegex || regex_.has_value(); }
  /// Whether the header's value (nullopt = absent) satisfies the condition.
  bool matches(std::optional<std::string_view> value) const;

 private:
  std::string name_;
  config::MatchKind kind_;
  std::string value_;
  std::optional<std::regex> regex_;  // kRegex only, when it compiled
};

}  // namespace sluice::route
