#include "sluice/route/header_match.h"

#include <re2/re2.h>

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
  RE2::Options options;
  options.set_log_errors(false);
  auto regex = std::make_shared<const RE2>(value_, options);
  if (regex->ok()) regex_ = std::move(regex);  // else never matches
}

bool HeaderCondition::matches(std::optional<std::string_view> value) const {
  if (!value) return false;
  switch (kind_) {
    case config::MatchKind::kExact:
      return *value == value_;
    case config::MatchKind::kPrefix:
      return value->starts_with(value_);
    case config::MatchKind::kRegex:
      return regex_ && RE2::FullMatch(re2::StringPiece(value->data(), value->size()), *regex_);
  }
  return false;
}

}  // namespace sluice::route
