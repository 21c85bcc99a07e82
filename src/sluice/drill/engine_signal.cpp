#include "sluice/drill/engine_signal.h"

#include <signal.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace sluice::drill {

namespace {

std::string read_proc(int pid, const char* file) {
  std::ifstream in(fmt::format("/proc/{}/{}", pid, file), std::ios::binary);
  if (!in) return {};
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// Field 22 of /proc/PID/stat (start time in clock ticks since boot), ""
/// when the process is gone. Fields are counted after the command's ")".
std::string start_time(int pid) {
  const std::string stat = read_proc(pid, "stat");
  const auto paren = stat.rfind(')');
  if (paren == std::string::npos) return {};
  std::istringstream fields(stat.substr(paren + 1));
  std::string field;
  for (int i = 3; i <= 22; ++i) {
    if (!(fields >> field)) return {};
  }
  return field;
}

std::int64_t unix_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string who(const ProcessTarget& p) { return fmt::format("{} (pid {})", p.instance, p.pid); }

}  // namespace

std::expected<std::int64_t, std::string> EngineSignals::send(const FaultStep& step) {
  for (const ProcessTarget& p : step.processes) {
    if (p.pid <= 0) return std::unexpected(fmt::format("{}: no pid", p.instance));
    const std::string cmdline = read_proc(p.pid, "cmdline");
    if (cmdline.empty()) {
      return std::unexpected(fmt::format("{}: no such process on this host (signal scenarios need the drill on the "
                                         "gateway's host)",
                                         who(p)));
    }
    if (!command_line_names_port(cmdline, p.port)) {
      return std::unexpected(fmt::format("{}: the process with that pid on this host does not name port {} on its "
                                         "command line, so it is not that instance's engine (signal scenarios need "
                                         "the drill on the gateway's host)",
                                         who(p), p.port));
    }
  }
  const std::int64_t at = unix_now_ms();
  for (const ProcessTarget& p : step.processes) {
    const std::string started = start_time(p.pid);
    if (::kill(p.pid, step.signal) != 0) {
      return std::unexpected(fmt::format("kill({}, {}) for {}: {}", p.pid, signal_name(step.signal), p.instance,
                                         std::strerror(errno)));
    }
    start_times_.emplace(p.pid, started);
  }
  return at;
}

std::vector<std::string> EngineSignals::send_after(const FaultStep& step) {
  std::vector<std::string> lines;
  for (const ProcessTarget& p : step.processes) {
    const auto it = start_times_.find(p.pid);
    if (it == start_times_.end()) {
      lines.push_back(fmt::format("{} was not signalled by the drill; no {}", who(p), signal_name(step.signal)));
      continue;
    }
    const std::string now = start_time(p.pid);
    if (now.empty() || now != it->second) {
      lines.push_back(fmt::format("{} has exited; no {}", who(p), signal_name(step.signal)));
      continue;
    }
    if (::kill(p.pid, step.signal) != 0) {
      lines.push_back(fmt::format("kill({}, {}) for {}: {}", p.pid, signal_name(step.signal), p.instance,
                                  std::strerror(errno)));
      continue;
    }
    lines.push_back(fmt::format("sent {} to {}", signal_name(step.signal), who(p)));
  }
  return lines;
}

}  // namespace sluice::drill
