#include "sluice/drill/gateway_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "sluice/drill/admin_client.h"

namespace sluice::drill {

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kPoll = std::chrono::milliseconds(20);
constexpr std::size_t kTailLines = 30;

/// "HOST:PORT" (the host may itself hold colons: IPv6), split at the last colon.
std::optional<ListenAddress> parse_address(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 >= text.size()) return std::nullopt;
  unsigned port = 0;
  for (const char c : text.substr(colon + 1)) {
    if (c < '0' || c > '9') return std::nullopt;
    port = port * 10 + static_cast<unsigned>(c - '0');
    if (port > 65535) return std::nullopt;
  }
  std::string host(text.substr(0, colon));
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return ListenAddress{std::move(host), static_cast<std::uint16_t>(port)};
}

/// The word after `label` in `line`.
std::string_view word_after(std::string_view line, std::string_view label) {
  const auto at = line.find(label);
  if (at == std::string_view::npos) return {};
  std::string_view rest = line.substr(at + label.size());
  return rest.substr(0, rest.find_first_of(" \n"));
}

std::string read_whole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

/// The child's side of fork(): never returns.
[[noreturn]] void exec_gateway(const std::string& exe, const std::string& config_path, int log_fd) {
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  const int null_fd = ::open("/dev/null", O_RDWR);
  if (null_fd >= 0) {
    ::dup2(null_fd, STDIN_FILENO);
    ::dup2(null_fd, STDOUT_FILENO);  // the access log: one line per drill request
  }
  ::dup2(log_fd, STDERR_FILENO);
  std::vector<std::string> args = {exe, "serve", "-c", config_path, "--quiet"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  ::execv(exe.c_str(), argv.data());
  const std::string why = fmt::format("sluice drill: cannot run {}: {}\n", exe, std::strerror(errno));
  [[maybe_unused]] const auto n = ::write(STDERR_FILENO, why.data(), why.size());
  ::_exit(127);
}

}  // namespace

std::optional<GatewayAddresses> find_listening_line(std::string_view log) {
  std::size_t start = 0;
  while (start < log.size()) {
    const auto end = log.find('\n', start);
    const std::string_view line = log.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (line.find("listening: api ") != std::string_view::npos) {
      const auto api = parse_address(word_after(line, "listening: api "));
      const auto admin = parse_address(word_after(line, " admin "));
      if (api && admin) return GatewayAddresses{*api, *admin};
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return std::nullopt;
}

std::expected<std::unique_ptr<GatewayProcess>, std::string> GatewayProcess::start(const std::string& exe,
                                                                                  const std::string& config_path,
                                                                                  const std::string& log_path,
                                                                                  std::chrono::milliseconds timeout) {
  const int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0) return std::unexpected(fmt::format("cannot write the gateway log {}: {}", log_path, std::strerror(errno)));
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(log_fd);
    return std::unexpected(fmt::format("fork: {}", std::strerror(errno)));
  }
  if (pid == 0) exec_gateway(exe, config_path, log_fd);
  ::close(log_fd);
  std::unique_ptr<GatewayProcess> gateway(new GatewayProcess(pid, log_path));

  const auto deadline = Clock::now() + timeout;
  const auto fail = [&](const std::string& what) -> std::unexpected<std::string> {
    std::string tail = gateway->log_tail(kTailLines);
    gateway->stop(std::chrono::seconds(5));
    return std::unexpected(fmt::format("{}; the end of its log ({}):\n{}", what, log_path, tail));
  };
  std::optional<GatewayAddresses> found;
  while (!(found = find_listening_line(read_whole(log_path)))) {
    if (!gateway->running()) return fail(fmt::format("sluice serve exited (status {}) before listening", *gateway->exit_status_));
    if (Clock::now() >= deadline) return fail("sluice serve did not log its listening line in time");
    std::this_thread::sleep_for(kPoll);
  }
  gateway->addresses_ = *found;
  const AdminClient admin(found->admin.host, found->admin.port, std::chrono::seconds(2));
  while (!admin.ready()) {
    if (!gateway->running()) return fail(fmt::format("sluice serve exited (status {}) before it was ready", *gateway->exit_status_));
    if (Clock::now() >= deadline) return fail("sluice serve was not ready (/readyz) in time");
    std::this_thread::sleep_for(kPoll);
  }
  return gateway;
}

GatewayProcess::~GatewayProcess() {
  if (pid_ > 0 && !exit_status_) stop(std::chrono::seconds(10));
}

bool GatewayProcess::running() {
  if (exit_status_) return false;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == 0) return true;
  if (r == pid_) {
    exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  } else {
    exit_status_ = -1;  // not our child any more: nothing to wait for
  }
  return false;
}

std::string GatewayProcess::log_tail(std::size_t lines) const {
  const std::string log = read_whole(log_path_);
  std::vector<std::size_t> starts{0};  // where each line begins; a final newline starts none
  for (std::size_t i = 0; i + 1 < log.size(); ++i) {
    if (log[i] == '\n') starts.push_back(i + 1);
  }
  return log.substr(starts.size() > lines ? starts[starts.size() - lines] : 0);
}

int GatewayProcess::stop(std::chrono::milliseconds grace) {
  if (!running()) return *exit_status_;
  ::kill(pid_, SIGTERM);
  const auto deadline = Clock::now() + grace;
  while (running()) {
    if (Clock::now() >= deadline) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
      exit_status_ = 128 + SIGKILL;
      break;
    }
    std::this_thread::sleep_for(kPoll);
  }
  return *exit_status_;
}

}  // namespace sluice::drill
