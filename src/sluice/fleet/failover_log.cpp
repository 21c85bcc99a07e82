#include "sluice/fleet/failover_log.h"

namespace sluice::fleet {

std::uint64_t FailoverLog::failed(std::string model, std::string instance, std::string cause, std::string zone,
                                  core::TimePoint now, std::optional<core::TimePoint> onset) {
  Failover f;
  f.seq = next_seq_++;
  f.model = std::move(model);
  f.instance = std::move(instance);
  f.cause = std::move(cause);
  f.zone = std::move(zone);
  f.onset = onset;
  f.detected = now;
  records_.push_back(std::move(f));
  while (records_.size() > keep_) records_.pop_front();
  return records_.back().seq;
}

void FailoverLog::replaced(const std::string& model, const std::string& replacement, std::string from,
                           core::TimePoint) {
  for (Failover& f : records_) {
    if (f.model != model || !f.replacement.empty()) continue;
    f.replacement = replacement;
    f.promoted_from = std::move(from);
    return;
  }
}

void FailoverLog::served(const std::string& instance, core::TimePoint now) {
  for (Failover& f : records_) {
    if (f.replacement == instance && !f.recovered) f.recovered = now;
  }
}

void FailoverLog::settled(const std::string& model, core::TimePoint now) {
  for (Failover& f : records_) {
    if (f.model == model && f.recovered && !f.restored) f.restored = now;
  }
}

bool FailoverLog::open(const std::string& model) const {
  for (const Failover& f : records_) {
    if (f.model == model && (f.replacement.empty() || !f.recovered)) return true;
  }
  return false;
}

bool FailoverLog::awaiting_first_success(const std::string& instance) const {
  for (const Failover& f : records_) {
    if (f.replacement == instance && !f.recovered) return true;
  }
  return false;
}

const Failover* FailoverLog::last_recovered(const std::string& model) const {
  for (auto it = records_.rbegin(); it != records_.rend(); ++it) {
    if (it->model == model && it->recovered) return &*it;
  }
  return nullptr;
}

}  // namespace sluice::fleet
