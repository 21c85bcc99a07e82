#pragma once
/// The one dispatch loop of a model pool, shared by the live gateway
/// (proxy::ModelPool) and the simulator: while requests wait, find an
/// instance with room and start the request the queue picks. A tenant below
/// its reserved concurrency may also use `reserved` extra room per instance
/// (the engine's batch has it), so a reservation borrowed by others while
/// its owner was idle is handed back at once, without waiting for a slot.
/// Pure: `pick` and `start` are the driver's.
#include "sluice/sched/fair_queue.h"

namespace sluice::sched {

/// `pick(extra_room)` → index of an instance with room (counting
/// `extra_room` more per instance), or -1. `start(request, instance)` runs it.
template <typename Pick, typename Start>
void dispatch_while_room(FairQueue& queue, core::TimePoint now, Pick&& pick, Start&& start) {
  while (queue.size() > 0) {
    if (const int instance = pick(std::int64_t{0}); instance >= 0) {
      auto next = queue.dispatch(now);
      if (!next) return;  // everyone waiting is at their cap
      start(*next, instance);
      continue;
    }
    if (queue.total_reserved() == 0) return;
    const int instance = pick(queue.total_reserved());
    if (instance < 0) return;
    auto next = queue.dispatch_reserved(now);
    if (!next) return;
    start(*next, instance);
  }
}

}  // namespace sluice::sched
