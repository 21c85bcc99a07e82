#pragma once
/// Strong id types, so a tenant id can never be passed where a model name is
/// expected.
#include <compare>
#include <functional>
#include <string>
#include <utility>

namespace sluice::core {

template <typename Tag>
class NamedId {
 public:
  NamedId() = default;
  explicit NamedId(std::string value) : value_(std::move(value)) {}
  const std::string& str() const { return value_; }
  bool empty() const { return value_.empty(); }
  auto operator<=>(const NamedId&) const = default;

 private:
  std::string value_;
};

using TenantId = NamedId<struct TenantIdTag>;
using ModelName = NamedId<struct ModelNameTag>;
using InstanceId = NamedId<struct InstanceIdTag>;

}  // namespace sluice::core

template <typename Tag>
struct std::hash<sluice::core::NamedId<Tag>> {
  std::size_t operator()(const sluice::core::NamedId<Tag>& id) const noexcept {
    return std::hash<std::string>{}(id.str());
  }
};
