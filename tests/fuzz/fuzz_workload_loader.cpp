// The workload loader on any bytes, then the first arrivals of a workload
// it accepts (bounded: a valid workload may describe millions).
#include <cstdint>
#include <string_view>

#include "sluice/workload/workload.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto workload = sluice::workload::load_workload_text(text, "fuzz.yaml");
  if (!workload) return 0;
  sluice::workload::ArrivalGenerator arrivals(*workload);
  for (int i = 0; i < 256; ++i) {
    if (!arrivals.next()) break;
  }
  return 0;
}
