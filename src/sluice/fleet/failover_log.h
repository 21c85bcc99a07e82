#pragma once
/// The record of every failover: what failed, why, when it was detected,
/// what replaced it, when the replacement served its first successful
/// request (recovery) and when the model's standbys were back at policy
/// (restored). Pure: the controller reports events with their times; the
/// admin API, metrics and `sluice drill` read the records.
///
/// A failure opens a record. The model's next promotion or start for
/// serving is its replacement (oldest open record first). Recovery is the
/// replacement's first successful response, restoration the first moment
/// afterwards the model is settled (serving at its minimum, standbys at
/// policy, nothing under way). Thread-safety: none; the controller owns it.
#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "sluice/core/clock.h"

namespace sluice::fleet {

struct Failover {
  std::uint64_t seq = 0;
  std::string model;
  std::string instance;  // what failed
  std::string cause;     // process_exit, unhealthy, ejected, node_down, zone_down, load_failed
  std::string zone;
  /// When the fault began, where known (an injected fault); else unset.
  std::optional<core::TimePoint> onset;
  core::TimePoint detected{};
  std::string replacement;   // "" until one is chosen
  std::string promoted_from; // hot, warm, cold, new
  std::optional<core::TimePoint> recovered;
  std::optional<core::TimePoint> restored;
};

class FailoverLog {
 public:
  explicit FailoverLog(std::size_t keep = 256) : keep_(keep) {}

  /// Opens a record; returns its sequence number.
  std::uint64_t failed(std::string model, std::string instance, std::string cause, std::string zone,
                       core::TimePoint now, std::optional<core::TimePoint> onset = std::nullopt);
  /// `replacement` of `model` was promoted from `from` (hot, warm, cold, new)
  /// to make up for the oldest open failure of the model, if any.
  void replaced(const std::string& model, const std::string& replacement, std::string from, core::TimePoint now);
  /// `instance` answered a request successfully.
  void served(const std::string& instance, core::TimePoint now);
  /// `model` is settled (serving at its minimum and standbys at policy).
  void settled(const std::string& model, core::TimePoint now);

  const std::deque<Failover>& records() const { return records_; }
  /// Whether some record of `model` still waits for a replacement or recovery.
  bool open(const std::string& model) const;
  /// Whether `instance` is a replacement still waiting for its first success.
  bool awaiting_first_success(const std::string& instance) const;
  /// The newest record of `model` that has recovered, if any.
  const Failover* last_recovered(const std::string& model) const;

 private:
  std::size_t keep_;
  std::uint64_t next_seq_ = 1;
  std::deque<Failover> records_;
};

}  // namespace sluice::fleet
