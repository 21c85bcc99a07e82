#include "sluice/provider/sim_fleet.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "sluice/net/asio.h"

namespace sluice::provider {

namespace {

constexpr std::string_view kReadyPrefix = "sluice-engine-sim listening on ";

std::string describe_status(int status) {
  if (WIFEXITED(status)) return fmt::format("exited with status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return fmt::format("was killed by signal {} ({})", WTERMSIG(status), strsignal(WTERMSIG(status)));
  return "stopped";
}

/// Reads one line from `fd` before `deadline`. Returns false on EOF/timeout.
bool read_line(int fd, std::string& line, std::chrono::steady_clock::time_point deadline) {
  line.clear();
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    char c;
    const auto n = ::read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    if (c == '\n') return true;
    line.push_back(c);
  }
}

}  // namespace

bool probe_http_ok(const std::string& host, std::uint16_t port, const std::string& path, core::Duration timeout) {
  using namespace sluice::net;
  try {
    asio::io_context io;
    beast::tcp_stream stream(io);
    stream.expires_after(timeout);
    stream.connect(tcp::endpoint(asio::ip::make_address(host), port));
    http::request<http::empty_body> req{http::verb::get, path, 11};
    req.set(http::field::host, host);
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    return res.result() == http::status::ok;
  } catch (const std::exception&) {
    return false;
  }
}

SimFleet::SimFleet(std::string engine_exe) : engine_exe_(std::move(engine_exe)) {}

SimFleet::~SimFleet() { stop(std::chrono::seconds(2)); }

std::expected<void, std::string> SimFleet::spawn(const config::Model& model, int index) {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return std::unexpected(fmt::format("pipe: {}", std::strerror(errno)));
  std::vector<std::string> args{engine_exe_,
                                "engine-sim",
                                "--host", "127.0.0.1",
                                "--port", "0",
                                "--profile", model.sim.profile,
                                "--served-model-name", model.upstream_model.empty() ? model.name : model.upstream_model,
                                "--speedup", fmt::format("{}", model.sim.speedup),
                                "--seed", std::to_string(model.sim.seed + static_cast<std::uint64_t>(index))};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(out[0]);
    ::close(out[1]);
    return std::unexpected(fmt::format("fork: {}", std::strerror(errno)));
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(1);  // the gateway died before prctl
    ::dup2(out[1], STDOUT_FILENO);
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    // Inherit nothing else of the gateway's (listeners, upstream sockets):
    // a child must not keep accepting on the gateway's port after it exits.
    ::close_range(3, ~0U, 0);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  SimChild child;
  child.model = model.name;
  child.index = index;
  child.pid = pid;
  child.output_fd = out[0];
  child.instance = std::make_shared<balance::Instance>();
  child.instance->serial = balance::next_instance_serial();
  child.instance->id = core::InstanceId(fmt::format("{}/{}", model.name, index));
  child.instance->host = "127.0.0.1";
  child.instance->available.store(false);
  std::lock_guard lock(mu_);
  children_.push_back(std::move(child));
  return {};
}

std::expected<void, std::string> SimFleet::await_ready(SimChild& child, std::chrono::steady_clock::time_point deadline) {
  std::string line;
  while (read_line(child.output_fd, line, deadline)) {
    if (!line.starts_with(kReadyPrefix)) continue;
    const std::string_view addr = std::string_view(line).substr(kReadyPrefix.size());
    const auto colon = addr.rfind(':');
    if (colon == std::string_view::npos) break;
    child.instance->port = static_cast<std::uint16_t>(std::stoi(std::string(addr.substr(colon + 1))));
    while (std::chrono::steady_clock::now() < deadline) {
      if (probe_http_ok(child.instance->host, child.instance->port, "/health", std::chrono::seconds(2))) {
        child.instance->available.store(true);
        return {};
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    break;
  }
  return std::unexpected(fmt::format("engine-sim for {}/{} (pid {}) did not become healthy in time", child.model,
                                     child.index, child.pid));
}

std::expected<void, std::string> SimFleet::start(const config::Config& config, core::Duration timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (const auto& model : config.models) {
    if (model.source != config::ModelSource::kSim) continue;
    for (int i = 0; i < model.sim.instances; ++i) {
      if (auto r = spawn(model, i); !r) {
        stop(std::chrono::seconds(1));
        return r;
      }
    }
  }
  for (auto& child : children_) {
    if (auto r = await_ready(child, deadline); !r) {
      stop(std::chrono::seconds(1));
      return r;
    }
  }
  start_output_pump();
  return {};
}

void SimFleet::start_output_pump() {
  if (children_.empty() || ::pipe2(pump_wake_, O_CLOEXEC) != 0) return;
  std::vector<std::pair<int, std::string>> fds;
  for (const auto& c : children_) fds.emplace_back(c.output_fd, c.instance->id.str());
  const int wake = pump_wake_[0];
  // Forwards whatever the children print after their ready line to our
  // stderr, so their pipes never fill up and their messages are not lost.
  pump_ = std::thread([fds, wake]() mutable {
    std::vector<pollfd> polls;
    for (;;) {
      polls.clear();
      polls.push_back({wake, POLLIN, 0});
      for (const auto& [fd, name] : fds) if (fd >= 0) polls.push_back({fd, POLLIN, 0});
      if (::poll(polls.data(), polls.size(), -1) < 0) {
        if (errno == EINTR) continue;
        return;
      }
      if (polls[0].revents) return;
      std::size_t k = 1;
      for (auto& [fd, name] : fds) {
        if (fd < 0) continue;
        if (polls[k++].revents == 0) continue;
        char buf[4096];
        const auto n = ::read(fd, buf, sizeof buf);
        if (n <= 0) {
          fd = -1;
          continue;
        }
        std::string text(buf, static_cast<std::size_t>(n));
        while (!text.empty() && text.back() == '\n') text.pop_back();
        spdlog::info("[engine {}] {}", name, text);
      }
    }
  });
}

std::vector<std::shared_ptr<balance::Instance>> SimFleet::instances_of(std::string_view model) const {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<balance::Instance>> out;
  for (const auto& c : children_) if (c.model == model) out.push_back(c.instance);
  return out;
}

std::vector<std::string> SimFleet::reap() {
  std::vector<std::string> events;
  std::lock_guard lock(mu_);
  for (;;) {
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid <= 0) break;
    for (auto& c : children_) {
      if (c.pid != pid) continue;
      c.exited = true;
      c.instance->available.store(false);
      events.push_back(fmt::format("{} (pid {}) {}", c.instance->id.str(), pid, describe_status(status)));
    }
  }
  return events;
}

void SimFleet::stop(core::Duration grace) {
  {
    std::lock_guard lock(mu_);
    for (auto& c : children_) if (!c.exited) ::kill(c.pid, SIGTERM);
  }
  const auto deadline = std::chrono::steady_clock::now() + grace;
  for (;;) {
    bool alive = false;
    {
      std::lock_guard lock(mu_);
      for (auto& c : children_) {
        if (c.exited) continue;
        int status = 0;
        if (::waitpid(c.pid, &status, WNOHANG) == c.pid) {
          c.exited = true;
          c.instance->available.store(false);
        } else {
          alive = true;
        }
      }
    }
    if (!alive) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      std::lock_guard lock(mu_);
      for (auto& c : children_) {
        if (c.exited) continue;
        ::kill(c.pid, SIGKILL);
        ::waitpid(c.pid, nullptr, 0);
        c.exited = true;
      }
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (pump_.joinable()) {
    const char byte = 1;
    [[maybe_unused]] auto n = ::write(pump_wake_[1], &byte, 1);
    pump_.join();
  }
  for (int fd : pump_wake_) if (fd >= 0) ::close(fd);
  pump_wake_[0] = pump_wake_[1] = -1;
  std::lock_guard lock(mu_);
  for (auto& c : children_) {
    if (c.output_fd >= 0) ::close(c.output_fd);
    c.output_fd = -1;
  }
}

}  // namespace sluice::provider
