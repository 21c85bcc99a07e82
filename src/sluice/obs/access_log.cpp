#include "sluice/obs/access_log.h"

#include "sluice/core/json_escape.h"

#include <chrono>
#include <fmt/chrono.h>
#include <fmt/format.h>

namespace sluice::obs {
namespace {

void field(std::string& out, std::string_view key, std::string_view value) {
  out.append(",\"").append(key).append("\":");
  core::append_json_string(out, value);
}

}  // namespace

std::string format_access_record(const AccessRecord& r, std::string_view timestamp) {
  std::string out;
  out.reserve(320);
  out.append("{\"ts\":");
  core::append_json_string(out, timestamp);
  field(out, "request_id", r.request_id);
  field(out, "tenant", r.tenant);
  field(out, "model", r.model);
  field(out, "instance", r.instance);
  field(out, "method", r.method);
  field(out, "path", r.path);
  fmt::format_to(std::back_inserter(out),
                 ",\"status\":{},\"stream\":{},\"prompt_tokens\":{},\"completion_tokens\":{},\"ttfb_ms\":{:.3f},\"total_ms\":{:.3f}",
                 r.status, r.stream, r.prompt_tokens, r.completion_tokens, r.ttfb_ms, r.total_ms);
  if (!r.error_code.empty()) field(out, "error", r.error_code);
  out.push_back('}');
  return out;
}

AccessLog::AccessLog(const std::string& destination) {
  if (destination.empty()) return;
  if (destination == "-") {
    file_ = stdout;
    return;
  }
  file_ = std::fopen(destination.c_str(), "a");
  owned_ = file_ != nullptr;
}

AccessLog::~AccessLog() {
  flush();
  if (owned_) std::fclose(file_);
}

void AccessLog::write(const AccessRecord& record) {
  if (!file_) return;
  // The date part is formatted once per second per thread.
  thread_local std::time_t cached_second = 0;
  thread_local std::string cached_prefix;
  const auto now = std::chrono::system_clock::now();
  const std::time_t second = std::chrono::system_clock::to_time_t(now);
  if (second != cached_second) {
    cached_second = second;
    cached_prefix = fmt::format("{:%Y-%m-%dT%H:%M:%S}", fmt::gmtime(second));
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  char stamp[40];
  std::snprintf(stamp, sizeof stamp, "%s.%03dZ", cached_prefix.c_str(), static_cast<int>(ms.count()));
  std::string line = format_access_record(record, stamp);
  line.push_back('\n');
  std::lock_guard lock(mu_);
  std::fwrite(line.data(), 1, line.size(), file_);
  if (file_ == stdout) std::fflush(file_);
}

void AccessLog::flush() {
  std::lock_guard lock(mu_);
  if (file_) std::fflush(file_);
}

}  // namespace sluice::obs
