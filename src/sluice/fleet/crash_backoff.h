#pragma once
/// Crash-loop backoff (pure): when a model's instances keep failing, its
/// next start waits, doubling each time, instead of restarting at full
/// speed forever (or never).
///
/// Within `window` of each other, the first `free_restarts` failures of a
/// model are restarted at once (a poison request that crashes every replica
/// is answered by restarting every replica); each failure after those holds
/// the model's next start back by `base`, 2·`base`, 4·`base`… up to `max`.
/// A model without a failure for `window` starts afresh. Promoting or waking
/// a standby is never held back: only starts are.
#include <map>
#include <string>

#include "sluice/core/clock.h"

namespace sluice::fleet {

class CrashBackoff {
 public:
  struct Settings {
    core::Duration window = std::chrono::seconds(60);
    core::Duration base = std::chrono::seconds(1);
    core::Duration max = std::chrono::minutes(5);
  };
  explicit CrashBackoff(Settings settings) : settings_(settings) {}
  CrashBackoff() : CrashBackoff(Settings{}) {}

  /// An instance of `model` failed at `now`; `free_restarts` of its
  /// failures in a row are restarted at once.
  void failed(const std::string& model, int free_restarts, core::TimePoint now);
  /// The failures of `model` in a row (0 once `window` has passed since its last).
  int failures(const std::string& model, core::TimePoint now) const;
  /// When `model` may start an instance again (a time point in the past
  /// when it is not held back).
  core::TimePoint start_after(const std::string& model) const;
  /// How long its latest hold is (zero when none).
  core::Duration hold(const std::string& model) const;
  void clear() { models_.clear(); }

 private:
  struct State {
    int failures = 0;
    core::TimePoint last{};
    core::Duration hold{};
  };
  Settings settings_;
  std::map<std::string, State> models_;
};

}  // namespace sluice::fleet
