#pragma once
/// Injected faults of the engine simulator (POST/GET/DELETE /admin/faults).
/// Pure data plus JSON parsing; the server applies them.
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::engine {

struct FaultConfig {
  /// Accept requests but never answer them (until the client goes away).
  bool hang = false;
  /// Multiplies every step time (1 = normal).
  double slow_factor = 1.0;
  /// Fraction of completion requests answered at once with `error_status`.
  double error_rate = 0;
  int error_status = 503;
  /// Close a stream's connection after this many tokens.
  std::optional<std::int64_t> drop_after_tokens;
  /// A GPU fault: the engine core is dead, as vLLM's is after a GPU error.
  /// /health answers 503, in-flight requests fail and new completion requests
  /// get a 500, until the fault is cleared.
  bool unhealthy = false;
};

/// A POST body: fields present are applied on top of `current`. `crash` is
/// reported, not stored: the server exits when it is true.
struct FaultUpdate {
  FaultConfig faults;
  bool crash = false;
};

/// Parses `{"crash":bool,"hang":bool,"slow_factor":x,"error_rate":x,
/// "error_status":n,"drop_after_tokens":n|null,"unhealthy":bool}`; unknown fields are errors so a
/// typo in a drill does not silently do nothing.
std::expected<FaultUpdate, std::string> parse_fault_update(const FaultConfig& current, std::string_view body);
std::string fault_json(const FaultConfig& faults);

}  // namespace sluice::engine
