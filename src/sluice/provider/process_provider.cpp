#include "sluice/provider/process_provider.h"

#include <algorithm>
#include <deque>
#include <mutex>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace sluice::provider {

namespace {

std::string describe_status(int status) {
  if (WIFEXITED(status)) return fmt::format("exited with status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return fmt::format("was killed by signal {} ({})", WTERMSIG(status), strsignal(WTERMSIG(status)));
  return "stopped";
}

/// Whether `pid` runs and is not a zombie (an adopted engine whose exit
/// nobody reaped yet is gone all the same).
bool process_alive(pid_t pid) {
  if (::kill(pid, 0) != 0 && errno != EPERM) return false;
  std::FILE* f = std::fopen(fmt::format("/proc/{}/stat", pid).c_str(), "r");
  if (!f) return false;
  char line[512] = {};
  const std::size_t n = std::fread(line, 1, sizeof line - 1, f);
  std::fclose(f);
  const std::string_view stat(line, n);
  const auto paren = stat.rfind(')');
  if (paren == std::string_view::npos || paren + 2 >= stat.size()) return false;
  const char state = stat[paren + 2];
  return state != 'Z' && state != 'X';
}

/// Whether `pid`'s command line has `port` as an argument ("4000",
/// "--port=4000", "host:4000"): an adopted pid is still that engine, not a
/// process that reused the number.
bool runs_on_port(pid_t pid, std::uint16_t port) {
  std::FILE* f = std::fopen(fmt::format("/proc/{}/cmdline", pid).c_str(), "r");
  if (!f) return false;
  std::string cmdline;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) cmdline.append(buf, n);
  std::fclose(f);
  const std::string p = std::to_string(port);
  std::size_t start = 0;
  while (start < cmdline.size()) {
    auto end = cmdline.find('\0', start);
    if (end == std::string::npos) end = cmdline.size();
    const std::string_view arg(cmdline.data() + start, end - start);
    if (arg == p || arg.ends_with("=" + p) || arg.ends_with(":" + p)) return true;
    start = end + 1;
  }
  return false;
}

std::string join_ints(const std::vector<int>& v) {
  std::string out;
  for (int i : v) out += fmt::format("{}{}", out.empty() ? "" : ",", i);
  return out;
}

/// `name` as a path: itself when it has a '/', else the first executable
/// of that name on PATH.
std::expected<std::string, std::string> resolve_program(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  for (std::size_t start = 0; start <= dirs.size();) {
    const std::size_t end = std::min(dirs.find(':', start), dirs.size());
    const std::string candidate = (end > start ? dirs.substr(start, end - start) : ".") + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return std::unexpected(fmt::format("{} is not on PATH", name));
}

}  // namespace

namespace {

/// A port the kernel has free now (bound to port 0, then closed).
std::expected<std::uint16_t, std::string> kernel_free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::unexpected(fmt::format("socket: {}", std::strerror(errno)));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const std::string why = std::strerror(errno);
    ::close(fd);
    return std::unexpected("cannot find a free port: " + why);
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace

std::expected<std::uint16_t, std::string> free_loopback_port() {
  // The engine binds the port only once it has started, so the kernel may
  // offer the same free port to the next launch meanwhile: remember the
  // ports handed out lately and ask again rather than give one twice.
  static std::mutex mu;
  static std::deque<std::uint16_t> recent;
  constexpr std::size_t kRemembered = 256;
  std::lock_guard lock(mu);
  for (int attempt = 0; attempt < 32; ++attempt) {
    auto port = kernel_free_port();
    if (!port) return port;
    if (std::find(recent.begin(), recent.end(), *port) != recent.end()) continue;
    recent.push_back(*port);
    if (recent.size() > kRemembered) recent.pop_front();
    return port;
  }
  return std::unexpected("cannot find a free port not handed out lately");
}

std::vector<std::string> sim_command(const std::string& exe, const LaunchSpec& spec, std::uint16_t port) {
  const config::Model& m = spec.model;
  std::vector<std::string> args{exe,
                                "engine-sim",
                                "--host", "127.0.0.1",
                                "--port", std::to_string(port),
                                "--profile", m.sim.profile,
                                "--served-model-name", m.upstream_model.empty() ? m.name : m.upstream_model,
                                "--speedup", fmt::format("{}", m.sim.speedup),
                                "--seed", std::to_string(m.sim.seed + static_cast<std::uint64_t>(spec.ordinal))};
  if (m.max_model_len) {  // the engine refuses what the gateway would, should a request get past it
    args.push_back("--max-model-len");
    args.push_back(std::to_string(*m.max_model_len));
  }
  if (spec.simulate_load || spec.fail_load) args.push_back("--simulate-load");
  if (spec.fail_load) args.push_back("--fail-load");
  return args;
}

std::vector<std::string> template_command(const LaunchSpec& spec, std::uint16_t port) {
  const config::Model& m = spec.model;
  const std::pair<std::string, std::string> values[] = {
      {"{port}", std::to_string(port)},
      {"{model}", m.upstream_model.empty() ? m.name : m.upstream_model},
      {"{instance}", spec.instance_id},
      {"{gpus}", join_ints(spec.gpu_indices)},
      {"{gpu_count}", std::to_string(spec.gpu_indices.size())}};
  std::vector<std::string> args;
  for (std::string arg : m.process.command) {
    for (const auto& [key, value] : values) {
      for (auto at = arg.find(key); at != std::string::npos; at = arg.find(key, at + value.size())) {
        arg.replace(at, key.size(), value);
      }
    }
    args.push_back(std::move(arg));
  }
  return args;
}

std::vector<std::string> command_for(const std::string& exe, const LaunchSpec& spec, std::uint16_t port) {
  return spec.model.source == config::ModelSource::kProcess ? template_command(spec, port)
                                                            : sim_command(exe, spec, port);
}

ProcessProvider::ProcessProvider(CommandBuilder command) : command_(std::move(command)) {
  if (::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) wake_[0] = wake_[1] = -1;
  pump_ = std::thread([this] { pump_output(); });
}

ProcessProvider::~ProcessProvider() {
  stop_all(std::chrono::seconds(2));
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_pump();
  if (pump_.joinable()) pump_.join();
  for (int fd : wake_) if (fd >= 0) ::close(fd);
}

void ProcessProvider::wake_pump() {
  const char byte = 1;
  if (wake_[1] >= 0) [[maybe_unused]] auto n = ::write(wake_[1], &byte, 1);
}

std::expected<Launched, std::string> ProcessProvider::launch(const LaunchSpec& spec) {
  const auto port = free_loopback_port();
  if (!port) return std::unexpected(port.error());
  std::vector<std::string> args = command_(spec, *port);
  if (args.empty()) return std::unexpected(std::string("empty command"));
  // Found here, not in the child: execvp may allocate, which a child of a
  // threaded process must not.
  auto program = resolve_program(args[0]);
  if (!program) return std::unexpected(program.error());
  args[0] = *program;
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::string cuda = "CUDA_VISIBLE_DEVICES=" + join_ints(spec.gpu_indices);
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return std::unexpected(fmt::format("pipe: {}", std::strerror(errno)));
  const pid_t parent = ::getpid();
  const bool outlive = outlive_;
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(out[0]);
    ::close(out[1]);
    return std::unexpected(fmt::format("fork: {}", std::strerror(errno)));
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    if (outlive) {
      ::setsid();  // a Ctrl-C or a stop of the gateway's process group leaves it running
    } else {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(1);  // the gateway died before prctl
    }
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(out[1], STDERR_FILENO);
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    // Inherit nothing else of the gateway's (listeners, upstream sockets).
    ::close_range(3, ~0U, 0);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::putenv(cuda.data());
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  {
    std::lock_guard lock(mu_);
    children_[spec.instance_id] = Child{pid, out[0]};
  }
  wake_pump();
  return Launched{"127.0.0.1", *port, pid};
}

void ProcessProvider::stop(const std::string& instance_id) {
  std::lock_guard lock(mu_);
  if (auto it = children_.find(instance_id); it != children_.end()) ::kill(it->second.pid, SIGTERM);
  if (auto it = adopted_.find(instance_id); it != adopted_.end()) ::kill(it->second, SIGTERM);
}

void ProcessProvider::kill(const std::string& instance_id) {
  std::lock_guard lock(mu_);
  if (auto it = children_.find(instance_id); it != children_.end()) ::kill(it->second.pid, SIGKILL);
  if (auto it = adopted_.find(instance_id); it != adopted_.end()) ::kill(it->second, SIGKILL);
}

bool ProcessProvider::adopt(const std::string& instance_id, const Launched& where) {
  std::lock_guard lock(mu_);
  if (auto it = children_.find(instance_id); it != children_.end()) return it->second.pid == where.pid;
  if (where.pid <= 0 || !process_alive(where.pid) || !runs_on_port(where.pid, where.port)) return false;
  adopted_[instance_id] = where.pid;
  return true;
}

void ProcessProvider::release_all() {
  std::lock_guard lock(mu_);
  children_.clear();  // the pump closes their output pipes at EOF or when it stops
  adopted_.clear();
}

std::vector<Exit> ProcessProvider::reap() {
  std::vector<Exit> exits;
  std::lock_guard lock(mu_);
  for (auto it = children_.begin(); it != children_.end();) {
    int status = 0;
    if (::waitpid(it->second.pid, &status, WNOHANG) != it->second.pid) {
      ++it;
      continue;
    }
    exits.push_back({it->first, fmt::format("(pid {}) {}", it->second.pid, describe_status(status))});
    // The pump closes the output pipe when it reads its end.
    it = children_.erase(it);
  }
  for (auto it = adopted_.begin(); it != adopted_.end();) {
    if (process_alive(it->second)) {
      ++it;
      continue;
    }
    exits.push_back({it->first, fmt::format("(pid {}, adopted) is gone", it->second)});
    it = adopted_.erase(it);
  }
  return exits;
}

void ProcessProvider::stop_all(core::Duration grace) {
  {
    std::lock_guard lock(mu_);
    for (auto& [id, c] : children_) ::kill(c.pid, SIGTERM);
    for (auto& [id, pid] : adopted_) ::kill(pid, SIGTERM);
  }
  const auto deadline = std::chrono::steady_clock::now() + grace;
  for (;;) {
    reap();
    {
      std::lock_guard lock(mu_);
      if (children_.empty() && adopted_.empty()) return;
      if (std::chrono::steady_clock::now() >= deadline) {
        for (auto& [id, c] : children_) {
          ::kill(c.pid, SIGKILL);
          ::waitpid(c.pid, nullptr, 0);
        }
        for (auto& [id, pid] : adopted_) ::kill(pid, SIGKILL);
        children_.clear();
        adopted_.clear();
        return;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void ProcessProvider::pump_output() {
  // Output fds by instance, owned here once handed over; closed at EOF.
  std::map<int, std::string> fds;
  std::map<int, std::string> partial;
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stopping_ && fds.empty()) return;
      for (auto& [id, c] : children_) {
        if (c.output_fd >= 0) {
          fds.emplace(c.output_fd, id);
          c.output_fd = -1;  // the pump owns it now
        }
      }
    }
    std::vector<pollfd> polls{{wake_[0], POLLIN, 0}};
    for (const auto& [fd, id] : fds) polls.push_back({fd, POLLIN, 0});
    if (::poll(polls.data(), polls.size(), 1000) < 0 && errno != EINTR) return;
    if (polls[0].revents) {
      char drain[64];
      while (::read(wake_[0], drain, sizeof drain) > 0) {}
      std::lock_guard lock(mu_);
      if (stopping_) {
        for (const auto& [fd, id] : fds) ::close(fd);
        return;
      }
    }
    for (std::size_t k = 1; k < polls.size(); ++k) {
      if (polls[k].revents == 0) continue;
      const int fd = polls[k].fd;
      char buf[4096];
      const auto n = ::read(fd, buf, sizeof buf);
      std::string& text = partial[fd];
      if (n > 0) text.append(buf, static_cast<std::size_t>(n));
      for (auto nl = text.find('\n'); nl != std::string::npos; nl = text.find('\n')) {
        spdlog::info("[engine {}] {}", fds[fd], text.substr(0, nl));
        text.erase(0, nl + 1);
      }
      if (n <= 0) {
        if (!text.empty()) spdlog::info("[engine {}] {}", fds[fd], text);
        partial.erase(fd);
        ::close(fd);
        fds.erase(fd);
      }
    }
  }
}

}  // namespace sluice::provider
