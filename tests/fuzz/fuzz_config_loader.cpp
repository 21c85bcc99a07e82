// The config loader on any bytes: load_config_text and, for configs it
// accepts, the check-config summary. Errors are expected; crashes,
// sanitizer reports and exceptions that escape are not.
#include <cstdint>
#include <string>

#include "sluice/config/loader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto config = sluice::config::load_config_text(text, "fuzz.yaml");
  if (config) (void)sluice::config::summarize(*config);
  else for (const auto& error : config.error()) (void)error.to_string();
  return 0;
}
