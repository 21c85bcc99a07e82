#pragma once
/// One JSON line per request. Never contains prompts or outputs.
/// Thread-safety: write() may be called from any thread (one mutex, held only
/// while copying the line into stdio's buffer).
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>

namespace sluice::obs {

struct AccessRecord {
  std::string_view request_id;
  std::string_view tenant;    // empty when unauthenticated
  std::string_view model;     // empty when unknown
  std::string_view instance;  // empty when none was picked
  std::string_view method;
  std::string_view path;
  int status = 0;
  bool stream = false;
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  double ttfb_ms = 0;   // time to first byte of the response body
  double total_ms = 0;
  std::string_view error_code;  // OpenAI error code when status >= 400
};

class AccessLog {
 public:
  /// `destination`: "-" for stdout, "" to disable, else a file appended to.
  explicit AccessLog(const std::string& destination);
  ~AccessLog();
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  bool enabled() const { return file_ != nullptr; }
  void write(const AccessRecord& record);
  void flush();

 private:
  std::mutex mu_;
  std::FILE* file_ = nullptr;
  bool owned_ = false;
};

/// The JSON line for a record (no trailing newline); exposed for tests.
std::string format_access_record(const AccessRecord& record, std::string_view timestamp);

}  // namespace sluice::obs
