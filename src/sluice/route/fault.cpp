#include "sluice/route/fault.h"

namespace sluice::route {

bool happens(double percent, double u) {
  if (percent <= 0) return false;
  if (percent >= 100) return true;  // even if u × 100 rounds up to 100
  return u * 100.0 < percent;
}

FaultDecision decide_fault(const config::FaultConfig& fault, double u_abort, double u_delay) {
  FaultDecision d;
  if (happens(fault.abort_percent, u_abort)) d.abort_status = fault.abort_status;
  if (fault.delay > core::Duration::zero() && happens(fault.delay_percent, u_delay)) d.delay = fault.delay;
  return d;
}

bool should_mirror(const config::MirrorConfig& mirror, double u) { return happens(mirror.percent, u); }

}  // namespace sluice::route
