#include "sluice/route/header_match.h"

#include <algorithm>
#include <cctype>

namespace sluice::route {

namespace {
std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}
}  // namespace

HeaderCondition::HeaderCondition(const config::HeaderMatch& match)
    : name_(lower(match.name)), kind_(match.kind), value_(match.value) {
  if (kind_ != config::MatchKind::kRegex) return;
  try {
    regex_.emplace(value_, std::regex::ECMAScript | std::regex::optimize);
  } catch (const std::regex_error&) {
    regex_.reset();  // never matches
  }
}

bool HeaderCondition::matches(std::optional<std::string_view> value) const {
  if (!value) return false;
  switch (kind_) {
    case config::MatchKind::kExact:
      return *value == value_;
    case config::MatchKind::kPrefix:
      return value->starts_with(value_);
    case config::MatchKind::kRegex:
      if (!regex_) return false;
      try {
        return std::regex_match(value->begin(), value->end(), *regex_);
      } catch (const std::regex_error&) {
        return false;
      }
  }
  return false;
}

}  // namespace sluice::route
