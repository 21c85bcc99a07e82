// Scheduler cost: enqueue + dispatch + complete with many active tenants.
#include <benchmark/benchmark.h>

#include "sluice/sched/fair_queue.h"

namespace {

using namespace sluice::sched;

void BM_Sched_EnqueueDispatch(benchmark::State& state) {
  const auto tenants = static_cast<std::uint32_t>(state.range(0));
  FairQueue q;
  std::uint64_t id = 0;
  // Every tenant backlogged with two requests.
  for (int round = 0; round < 2; ++round)
    for (std::uint32_t t = 0; t < tenants; ++t) q.enqueue({.id = ++id, .tenant = t, .input_tokens = 100, .output_tokens = 200});
  for (auto _ : state) {
    auto r = q.dispatch(sluice::core::TimePoint{});
    q.on_complete(r->id, 100, 150);
    q.enqueue({.id = ++id, .tenant = r->tenant, .input_tokens = 100, .output_tokens = 200});
  }
  // One iteration is a dispatch, a completion and an enqueue: "pairs/s"
  // counts enqueue + dispatch pairs (each pair is two scheduler operations).
  state.counters["pairs/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Sched_EnqueueDispatch)->Arg(10)->Arg(1000)->Arg(10000)->Arg(100000);

}  // namespace
