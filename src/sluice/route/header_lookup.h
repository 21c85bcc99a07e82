#pragma once
/// How route matching reads request headers without knowing the HTTP
/// library: a non-owning reference to a callable `lower_name → value`
/// (a `std::function_ref` before C++26). Two pointers, no allocation, no
/// copy of the callable — cheaper than std::function on the request path.
///
/// Lifetime: it refers to the callable it was made from, so build it where
/// it is passed (a lambda argument lives until the end of the call) and do
/// not store it.
#include <memory>
#include <optional>
#include <string_view>
#include <type_traits>

namespace sluice::route {

class HeaderLookup {
 public:
  /// `f(lower_name)` returns the header's value, or nullopt when the request
  /// has no such header. Names are asked for in lower case.
  template <class F>
    requires(!std::is_same_v<std::remove_cvref_t<F>, HeaderLookup> &&
             !std::is_function_v<std::remove_reference_t<F>> &&  // pass &function instead
             std::is_invocable_r_v<std::optional<std::string_view>, F&, std::string_view>)
  HeaderLookup(F&& f)  // NOLINT(google-explicit-constructor): passed like a std::function
      : object_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
        call_([](void* object, std::string_view name) -> std::optional<std::string_view> {
          return (*static_cast<std::remove_reference_t<F>*>(object))(name);
        }) {}

  std::optional<std::string_view> operator()(std::string_view lower_name) const { return call_(object_, lower_name); }

 private:
  void* object_;
  std::optional<std::string_view> (*call_)(void*, std::string_view);
};

/// A lookup for requests without headers (tests, internal requests).
inline constexpr auto no_headers = [](std::string_view) -> std::optional<std::string_view> { return std::nullopt; };

}  // namespace sluice::route
