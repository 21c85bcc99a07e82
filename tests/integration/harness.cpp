#include "harness.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include <fmt/format.h>

namespace sluice::itest {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return std::tolower(x) == std::tolower(y); });
}

int ms_left(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 1 << 30));
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return std::string(s);
}

/// Exit status as a number: the exit code, or 128 + signal.
int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

// ---------------------------------------------------------------- config ----

std::string demo_tenants_yaml() {
  return "tenants:\n"
         "  - id: acme\n"
         "    api_keys: [sha256:d4ffc8c0325f7e8e971bb4d7bc9f6a78c97920b5ac57b24380e53b6c7a96bc13]\n"
         "    models: [\"*\"]\n"
         "  - id: globex\n"
         "    api_keys: [sha256:bbb8fab5ab2c83254e4969c119cdbb68880ee066c42a36223f8ac83fff2d5b96]\n"
         "    models: [small]\n";
}

std::string admin_yaml() {
  return fmt::format("admin: {{bootstrap_token: \"sha256:{}\"}}\n", kTestAdminTokenSha256);
}

std::string make_config(std::string_view server_map, std::string_view models_yaml) {
  return fmt::format(
      "listen: {{api: 127.0.0.1:0, admin: 127.0.0.1:0}}\n"
      "{}"
      "server: {{{}}}\n"
      "{}"
      "models:\n{}",
      admin_yaml(), server_map, demo_tenants_yaml(), models_yaml);
}

std::string two_zone_fleet_yaml(int nodes_in_b) {
  std::string out =
      "fleet:\n"
      "  reconcile_interval: 50ms\n"
      "  zones:\n"
      "    - name: zone-a\n"
      "      nodes:\n"
      "        - {name: a1, gpus: 2, gpu_memory_gb: 80}\n"
      "        - {name: a2, gpus: 2, gpu_memory_gb: 80}\n"
      "    - name: zone-b\n"
      "      nodes:\n";
  for (int n = 1; n <= nodes_in_b; ++n) out += fmt::format("        - {{name: b{}, gpus: 2, gpu_memory_gb: 80}}\n", n);
  return out;
}

// ------------------------------------------------------------------ HTTP ----

std::string Response::header(std::string_view name) const {
  for (const auto& h : headers)
    if (iequals(h.name, name)) return h.value;
  return {};
}

Json Response::json() const { return Json::parse(body, nullptr, false); }

Json SseEvent::json() const { return Json::parse(data, nullptr, false); }

Connection::Connection(std::uint16_t port, Duration connect_timeout) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd_ < 0) {
    connect_error_ = std::strerror(errno);
    return;
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (errno != EINPROGRESS) {
      connect_error_ = std::strerror(errno);
      close();
      return;
    }
    pollfd p{fd_, POLLOUT, 0};
    const int r = ::poll(&p, 1, static_cast<int>(connect_timeout.count()));
    int err = 0;
    socklen_t len = sizeof err;
    if (r <= 0) {
      connect_error_ = "connect timed out";
      close();
      return;
    }
    ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      connect_error_ = std::strerror(err);
      close();
      return;
    }
  }
}

Connection::~Connection() { close(); }

Connection::Connection(Connection&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      connect_error_(std::move(other.connect_error_)),
      in_(std::move(other.in_)),
      framing_(other.framing_),
      remaining_(other.remaining_),
      chunk_state_(other.chunk_state_) {}

void Connection::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool Connection::send(std::string_view bytes) {
  if (fd_ < 0) return false;
  const auto deadline = Clock::now() + 10s;
  while (!bytes.empty()) {
    const auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd_, POLLOUT, 0};
      if (::poll(&p, 1, ms_left(deadline)) <= 0) return false;
      continue;
    }
    return false;
  }
  return true;
}

long Connection::fill(Clock::time_point deadline) {
  if (fd_ < 0) return -2;
  for (;;) {
    pollfd p{fd_, POLLIN, 0};
    const int r = ::poll(&p, 1, ms_left(deadline));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -2;
    if (r == 0) return -1;
    char buf[16384];
    const auto n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
      in_.append(buf, static_cast<std::size_t>(n));
      return n;
    }
    if (n == 0) return 0;
    if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
    return -2;
  }
}

bool Connection::read_head(Response& out, Duration timeout) {
  const auto deadline = Clock::now() + timeout;
  std::size_t end;
  while ((end = in_.find("\r\n\r\n")) == std::string::npos) {
    const long r = fill(deadline);
    if (r <= 0) {
      out.error = r == -1 ? "timed out waiting for the response head" : "connection closed before the response head";
      return false;
    }
  }
  const std::string head = in_.substr(0, end);
  in_.erase(0, end + 4);
  std::istringstream lines(head);
  std::string line;
  std::getline(lines, line);
  if (!line.starts_with("HTTP/1.")) {
    out.error = "bad status line: " + line;
    return false;
  }
  out.status = std::atoi(line.c_str() + 9);
  out.headers.clear();
  while (std::getline(lines, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    out.headers.push_back({line.substr(0, colon), trim(std::string_view(line).substr(colon + 1))});
  }
  const std::string te = out.header("transfer-encoding");
  const std::string cl = out.header("content-length");
  out.chunked = te.find("chunked") != std::string::npos;
  chunk_state_ = ChunkState::kSize;
  if (out.status < 200 || out.status == 204 || out.status == 304) {
    framing_ = Framing::kNone;
  } else if (out.chunked) {
    framing_ = Framing::kChunked;
  } else if (!cl.empty()) {
    framing_ = Framing::kLength;
    remaining_ = std::strtoull(cl.c_str(), nullptr, 10);
  } else {
    framing_ = Framing::kUntilClose;
  }
  return true;
}

bool Connection::decode(std::string& out) {
  switch (framing_) {
    case Framing::kNone: return true;
    case Framing::kUntilClose:
      out += in_;
      in_.clear();
      return false;
    case Framing::kLength: {
      const auto take = std::min<std::uint64_t>(remaining_, in_.size());
      out.append(in_, 0, take);
      in_.erase(0, take);
      remaining_ -= take;
      return remaining_ == 0;
    }
    case Framing::kChunked: break;
  }
  for (;;) {
    switch (chunk_state_) {
      case ChunkState::kSize: {
        const auto eol = in_.find("\r\n");
        if (eol == std::string::npos) return false;
        remaining_ = std::strtoull(in_.substr(0, eol).c_str(), nullptr, 16);
        in_.erase(0, eol + 2);
        chunk_state_ = remaining_ == 0 ? ChunkState::kTrailer : ChunkState::kData;
        break;
      }
      case ChunkState::kData: {
        const auto take = std::min<std::uint64_t>(remaining_, in_.size());
        out.append(in_, 0, take);
        in_.erase(0, take);
        remaining_ -= take;
        if (remaining_ > 0) return false;
        chunk_state_ = ChunkState::kDataEnd;
        break;
      }
      case ChunkState::kDataEnd:
        if (in_.size() < 2) return false;
        in_.erase(0, 2);
        chunk_state_ = ChunkState::kSize;
        break;
      case ChunkState::kTrailer: {
        const auto eol = in_.find("\r\n");
        if (eol == std::string::npos) return false;
        in_.erase(0, eol + 2);
        if (eol == 0) chunk_state_ = ChunkState::kDone;
        break;
      }
      case ChunkState::kDone: return true;
    }
  }
}

Connection::Read Connection::read_body_some(std::string& out, Duration timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const auto before = out.size();
    if (decode(out)) return Read::kEnd;
    if (out.size() > before) return Read::kData;
    const long r = fill(deadline);
    if (r == -1) return Read::kTimeout;
    if (r == 0 && framing_ == Framing::kUntilClose) return Read::kEnd;
    if (r <= 0) return Read::kClosed;
  }
}

Response Connection::read_response(Duration timeout) {
  const auto deadline = Clock::now() + timeout;
  Response out;
  if (!read_head(out, timeout)) return out;
  for (;;) {
    const auto r = read_body_some(out.body, std::chrono::duration_cast<Duration>(deadline - Clock::now()));
    if (r == Read::kEnd) return out;
    if (r == Read::kTimeout) {
      out.error = "timed out reading the body";
      return out;
    }
    if (r == Read::kClosed) {
      out.error = "connection closed in the middle of the body";
      return out;
    }
  }
}

bool Connection::wait_closed(Duration timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const long r = fill(deadline);
    in_.clear();
    if (r == 0 || r == -2) return true;
    if (r == -1) return false;
  }
}

std::string build_request(std::string_view method, std::string_view target, std::string_view body,
                          const std::vector<Header>& headers, bool keep_alive) {
  std::string out = fmt::format("{} {} HTTP/1.1\r\nHost: 127.0.0.1\r\n", method, target);
  bool has_type = false;
  bool has_authorization = false;
  for (const auto& h : headers) {
    if (iequals(h.name, "authorization")) {
      has_authorization = true;
      if (h.value.empty()) continue;  // {"Authorization", ""}: send none
    }
    out += fmt::format("{}: {}\r\n", h.name, h.value);
    if (iequals(h.name, "content-type")) has_type = true;
  }
  // Admin routes get the test admin token unless the test says otherwise.
  if (!has_authorization && target.starts_with("/admin/"))
    out += fmt::format("Authorization: Bearer {}\r\n", kTestAdminToken);
  if (!body.empty() || method == "POST") {
    if (!has_type) out += "Content-Type: application/json\r\n";
    out += fmt::format("Content-Length: {}\r\n", body.size());
  }
  if (!keep_alive) out += "Connection: close\r\n";
  out += "\r\n";
  out += body;
  return out;
}

Response request(std::uint16_t port, std::string_view method, std::string_view target, std::string_view body,
                 const std::vector<Header>& headers, Duration timeout) {
  Connection conn(port);
  Response out;
  if (!conn.connected()) {
    out.error = "connect failed: " + conn.connect_error();
    return out;
  }
  if (!conn.send(build_request(method, target, body, headers))) {
    out.error = "send failed";
    return out;
  }
  return conn.read_response(timeout);
}

Response get(std::uint16_t port, std::string_view target, std::string_view api_key, Duration timeout) {
  std::vector<Header> headers;
  if (!api_key.empty()) headers.push_back({"Authorization", fmt::format("Bearer {}", api_key)});
  return request(port, "GET", target, {}, headers, timeout);
}

Response post_json(std::uint16_t port, std::string_view target, const Json& body, std::string_view api_key,
                   const std::vector<Header>& extra, Duration timeout) {
  std::vector<Header> headers = extra;
  if (!api_key.empty()) headers.push_back({"Authorization", fmt::format("Bearer {}", api_key)});
  return request(port, "POST", target, body.dump(), headers, timeout);
}

Json chat_body(std::string_view model, std::string_view content, int max_tokens, bool stream) {
  Json body{{"model", model}, {"messages", Json::array({{{"role", "user"}, {"content", content}}})}};
  if (max_tokens > 0) body["max_tokens"] = max_tokens;
  if (stream) body["stream"] = true;
  return body;
}

Json completion_body(std::string_view model, std::string_view prompt, int max_tokens, bool stream) {
  Json body{{"model", model}, {"prompt", prompt}};
  if (max_tokens > 0) body["max_tokens"] = max_tokens;
  if (stream) body["stream"] = true;
  return body;
}

SseStream::SseStream(std::uint16_t port, std::string_view target, const Json& body, std::string_view api_key,
                     Duration head_timeout)
    : conn_(port) {
  if (!conn_.connected()) {
    head_.error = "connect failed: " + conn_.connect_error();
    ended_ = true;
    return;
  }
  std::vector<Header> headers{{"Accept", "text/event-stream"}};
  if (!api_key.empty()) headers.push_back({"Authorization", fmt::format("Bearer {}", api_key)});
  if (!conn_.send(build_request("POST", target, body.dump(), headers))) {
    head_.error = "send failed";
    ended_ = true;
    return;
  }
  if (!conn_.read_head(head_, head_timeout)) ended_ = true;
}

std::optional<SseEvent> SseStream::next(Duration timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const auto sep = pending_.find("\n\n");
    if (sep != std::string::npos) {
      const std::string block = pending_.substr(0, sep);
      pending_.erase(0, sep + 2);
      SseEvent event;
      event.received = Clock::now();
      bool has_data = false;
      std::istringstream lines(block);
      std::string line;
      while (std::getline(lines, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (!line.starts_with("data:")) continue;
        std::string_view value = std::string_view(line).substr(5);
        if (value.starts_with(' ')) value.remove_prefix(1);
        if (has_data) event.data += '\n';
        event.data += value;
        has_data = true;
      }
      if (has_data) return event;
      continue;
    }
    if (ended_) return std::nullopt;
    const auto r = conn_.read_body_some(pending_, std::chrono::duration_cast<Duration>(deadline - Clock::now()));
    if (r == Connection::Read::kTimeout) return std::nullopt;
    if (r == Connection::Read::kEnd) clean_end_ = true;
    if (r == Connection::Read::kEnd || r == Connection::Read::kClosed) ended_ = true;
  }
}

std::vector<SseEvent> SseStream::read_all(Duration timeout) {
  const auto deadline = Clock::now() + timeout;
  std::vector<SseEvent> events;
  while (auto event = next(std::chrono::duration_cast<Duration>(deadline - Clock::now()))) events.push_back(*event);
  return events;
}

// ------------------------------------------------------------- processes ----

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "sluice-itest-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ignored;
  if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
}

std::string TempDir::write(std::string_view name, std::string_view content) const {
  const std::string file = path_ + "/" + std::string(name);
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << content;
  return file;
}

namespace {

/// Forks and execs argv with stdout/stderr to the given files. The child
/// dies with the test process.
pid_t spawn(const std::vector<std::string>& argv, const std::string& out_path, const std::string& err_path,
            const std::vector<std::pair<std::string, std::string>>& env, const std::string& cwd) {
  std::vector<std::string> args = argv;
  std::vector<char*> cargv;
  for (auto& a : args) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(126);
  const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  const int in = ::open("/dev/null", O_RDONLY);
  if (out < 0 || err < 0 || in < 0) ::_exit(126);
  ::dup2(in, STDIN_FILENO);
  ::dup2(out, STDOUT_FILENO);
  ::dup2(err, STDERR_FILENO);
  for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
  if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(126);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::execvp(cargv[0], cargv.data());
  ::_exit(127);
}

std::optional<int> wait_child(pid_t pid, Duration timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return decode_status(status);
    if (r < 0 && errno != EINTR) return std::nullopt;
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(5ms);
  }
}

/// State and parent of a pid from /proc/pid/stat.
bool read_stat(pid_t pid, char& state, pid_t& ppid) {
  const std::string stat = read_file(fmt::format("/proc/{}/stat", pid));
  const auto close = stat.rfind(')');
  if (close == std::string::npos || close + 4 > stat.size()) return false;
  std::istringstream rest(stat.substr(close + 2));
  long parent = 0;
  if (!(rest >> state >> parent)) return false;
  ppid = static_cast<pid_t>(parent);
  return true;
}

}  // namespace

CommandResult run_command(const std::vector<std::string>& argv, Duration timeout,
                          const std::vector<std::pair<std::string, std::string>>& env, const std::string& cwd) {
  TempDir dir;
  const std::string out_path = dir.path() + "/out";
  const std::string err_path = dir.path() + "/err";
  CommandResult result;
  const pid_t pid = spawn(argv, out_path, err_path, env, cwd);
  if (pid < 0) return result;
  auto status = wait_child(pid, timeout);
  if (!status) {
    result.timed_out = true;
    ::kill(pid, SIGKILL);
    status = wait_child(pid, 5s);
  }
  if (status && *status < 128) result.exit_code = *status;
  result.out = read_file(out_path);
  result.err = read_file(err_path);
  return result;
}

std::vector<pid_t> child_pids(pid_t parent) {
  std::vector<pid_t> out;
  DIR* dir = ::opendir("/proc");
  if (!dir) return out;
  while (const dirent* entry = ::readdir(dir)) {
    const pid_t pid = static_cast<pid_t>(std::atoi(entry->d_name));
    if (pid <= 0) continue;
    char state = 0;
    pid_t ppid = 0;
    if (read_stat(pid, state, ppid) && ppid == parent && state != 'Z' && state != 'X') out.push_back(pid);
  }
  ::closedir(dir);
  std::sort(out.begin(), out.end());
  return out;
}

bool pid_alive(pid_t pid) {
  char state = 0;
  pid_t ppid = 0;
  return read_stat(pid, state, ppid) && state != 'Z' && state != 'X';
}

bool wait_pids_gone(const std::vector<pid_t>& pids, Duration timeout) {
  return wait_until([&] { return std::none_of(pids.begin(), pids.end(), pid_alive); }, timeout);
}

bool wait_until(const std::function<bool()>& done, Duration timeout, Duration interval) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (done()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(interval);
  }
}

// ---------------------------------------------------------------- Traffic ----

Traffic::Traffic(std::uint16_t port, int unary, int streams, std::string model, int max_tokens, Duration timeout) {
  for (int i = 0; i < unary + streams; ++i) {
    const bool stream = i >= unary;
    threads_.emplace_back([this, port, stream, model, max_tokens, timeout] {
      while (!stop_) {
        bool ok = false;
        std::string why;
        const auto sent = Clock::now();
        if (stream) {
          SseStream s(port, "/v1/chat/completions", chat_body(model, "steady", max_tokens, true), kAcmeKey, timeout);
          if (s.head().status == 200) {
            const auto events = s.read_all(timeout);
            ok = s.ended() && !events.empty() && events.back().is_done();
            for (const auto& e : events) ok = ok && e.data.find("\"error\"") == std::string::npos;
            why = "stream broke";
            for (const auto& e : events) {
              if (e.data.find("\"error\"") != std::string::npos) why = "stream error event: " + e.data;
            }
          } else {
            why = "stream status " + std::to_string(s.head().status) + " " + s.head().error + " " + s.head().body;
          }
        } else {
          const Response r = post_json(port, "/v1/chat/completions", chat_body(model, "steady", max_tokens), kAcmeKey,
                                       {}, timeout);
          ok = r.status == 200;
          why = std::to_string(r.status) + " " + r.error + " " + r.body;
        }
        const auto took = std::chrono::duration_cast<Duration>(Clock::now() - sent);
        std::lock_guard lock(mu_);
        ++(stream ? streams_ : unary_);
        slowest_ = std::max(slowest_, took);
        if (!ok) failures_.push_back(why);
      }
    });
  }
}

Traffic::~Traffic() { stop(); }

void Traffic::stop() {
  stop_ = true;
  for (auto& t : threads_) if (t.joinable()) t.join();
}

int Traffic::unary() {
  std::lock_guard lock(mu_);
  return unary_;
}

int Traffic::streams() {
  std::lock_guard lock(mu_);
  return streams_;
}

std::vector<std::string> Traffic::failures() {
  std::lock_guard lock(mu_);
  return failures_;
}

Duration Traffic::slowest() {
  std::lock_guard lock(mu_);
  return slowest_;
}

/// The binary under test: $SLUICE_TEST_BINARY when set (say, a copy kept
/// apart from a build in progress), else the one built beside the tests.
std::string sluice_binary() {
  const char* other = std::getenv("SLUICE_TEST_BINARY");
  return other && *other ? other : SLUICE_BINARY;
}

::testing::AssertionResult is_openai_error(const Response& res, int status, std::string_view code) {
  if (!res.ok()) return ::testing::AssertionFailure() << "no complete response: " << res.error;
  if (res.status != status)
    return ::testing::AssertionFailure() << "status " << res.status << ", want " << status << "; body: " << res.body;
  if (!res.header("content-type").starts_with("application/json"))
    return ::testing::AssertionFailure() << "content-type '" << res.header("content-type") << "'";
  const Json doc = res.json();
  if (!doc.is_object() || !doc.contains("error") || !doc["error"].is_object())
    return ::testing::AssertionFailure() << "body is not {\"error\":{...}}: " << res.body;
  const Json& e = doc["error"];
  for (const char* key : {"message", "type", "param", "code"}) {
    if (!e.contains(key)) return ::testing::AssertionFailure() << "error has no '" << key << "': " << res.body;
  }
  if (!e["message"].is_string() || e["message"].get<std::string>().empty())
    return ::testing::AssertionFailure() << "error.message is not a non-empty string: " << res.body;
  if (!e["type"].is_string()) return ::testing::AssertionFailure() << "error.type is not a string: " << res.body;
  if (!e["param"].is_null() && !e["param"].is_string())
    return ::testing::AssertionFailure() << "error.param is neither null nor a string: " << res.body;
  if (e["code"] != code) return ::testing::AssertionFailure() << "error.code " << e["code"] << ", want " << code;
  if (res.header("x-request-id").empty()) return ::testing::AssertionFailure() << "no x-request-id header";
  return ::testing::AssertionSuccess();
}

// --------------------------------------------------------------- gateway ----

Gateway::Gateway(std::string config_yaml) {
  // Every gateway a test starts accepts the test admin token.
  if (config_yaml.find("\nadmin:") == std::string::npos && !config_yaml.starts_with("admin:"))
    config_yaml += admin_yaml();
  config_path_ = dir_.write("sluice.yaml", config_yaml);
}

Gateway::~Gateway() {
  if (pid_ > 0 && !exit_status_) {
    const auto children = child_pids(pid_);
    ::kill(pid_, SIGKILL);
    wait_exit(5000ms);
    wait_pids_gone(children, 5000ms);
  }
}

bool Gateway::start(Duration timeout) {
  // A restart: forget the last run, and its listening line, before the
  // child (which truncates the files only once it runs) could be mistaken for it.
  exit_status_.reset();
  std::ofstream(dir_.path() + "/stderr", std::ios::trunc);
  pid_ = spawn({sluice_binary(), "serve", "--config", config_path_, "--quiet"}, dir_.path() + "/stdout",
               dir_.path() + "/stderr", {}, {});
  if (pid_ < 0) {
    error_ = "fork failed";
    return false;
  }
  static const std::regex kListening(R"(listening: api [0-9.]+:([0-9]+) admin [0-9.]+:([0-9]+))");
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const std::string err = stderr_text();
    std::smatch m;
    if (std::regex_search(err, m, kListening)) {
      api_port_ = static_cast<std::uint16_t>(std::stoi(m[1].str()));
      admin_port_ = static_cast<std::uint16_t>(std::stoi(m[2].str()));
      return true;
    }
    if (!running()) {
      error_ = fmt::format("sluice serve exited with status {} before listening:\n{}", exit_status_.value_or(-1), err);
      return false;
    }
    if (Clock::now() >= deadline) {
      error_ = "sluice serve did not log its listening line in time:\n" + err;
      return false;
    }
    std::this_thread::sleep_for(10ms);
  }
}

std::string Gateway::stdout_text() const { return read_file(dir_.path() + "/stdout"); }
std::string Gateway::stderr_text() const { return read_file(dir_.path() + "/stderr"); }

bool Gateway::signal(int signo) const { return pid_ > 0 && ::kill(pid_, signo) == 0; }

std::optional<int> Gateway::wait_exit(Duration timeout) {
  if (exit_status_) return exit_status_;
  if (pid_ <= 0) return std::nullopt;
  exit_status_ = wait_child(pid_, timeout);
  return exit_status_;
}

bool Gateway::running() { return pid_ > 0 && !wait_exit(0ms); }

std::optional<int> Gateway::stop(Duration timeout) {
  if (!exit_status_) signal(SIGTERM);
  return wait_exit(timeout);
}

std::map<std::string, std::vector<EngineInstance>> Gateway::instances() const {
  std::map<std::string, std::vector<EngineInstance>> out;
  const Response res = get(admin_port_, "/admin/instances");
  const Json doc = res.json();
  if (!doc.is_object() || !doc.contains("models")) return out;
  for (const auto& model : doc["models"]) {
    auto& list = out[model.value("model", "")];
    for (const auto& inst : model["instances"]) {
      EngineInstance e;
      e.id = inst.value("id", "");
      const std::string address = inst.value("address", "");
      e.port = static_cast<std::uint16_t>(std::atoi(address.substr(address.rfind(':') + 1).c_str()));
      e.available = inst.value("available", false);
      list.push_back(e);
    }
  }
  return out;
}

std::vector<EngineInstance> Gateway::instances(const std::string& model) const {
  auto all = instances();
  return all[model];
}

std::string Gateway::metrics() const { return get(admin_port_, "/metrics").body; }

Gateway* ensure_gateway(std::unique_ptr<Gateway>& slot, const std::string& config_yaml) {
  if (slot && slot->running()) return slot.get();
  if (slot) {
    ADD_FAILURE() << "the shared gateway died (exit status " << slot->wait_exit(0ms).value_or(-1)
                  << ") before this test; restarting it. Its stderr:\n"
                  << slot->stderr_text();
    slot.reset();
  }
  auto gateway = std::make_unique<Gateway>(config_yaml);
  if (!gateway->start()) {
    ADD_FAILURE() << gateway->error();
    return nullptr;
  }
  slot = std::move(gateway);
  return slot.get();
}

void expect_gateway_survived(std::unique_ptr<Gateway>& slot) {
  if (!slot) return;
  const auto status = slot->wait_exit(100ms);
  if (!status) return;
  ADD_FAILURE() << "the gateway died during this test (exit status " << *status << "). Its stderr:\n"
                << slot->stderr_text();
  slot.reset();
}

// --------------------------------------------------------------- engines ----

EngineSim::EngineSim(std::vector<std::string> args) : args_(std::move(args)) {}

EngineSim::~EngineSim() {
  if (pid_ > 0 && !exited_) kill();
}

bool EngineSim::start(Duration timeout) {
  std::vector<std::string> argv{sluice_binary(), "engine-sim", "--port", "0"};
  argv.insert(argv.end(), args_.begin(), args_.end());
  pid_ = spawn(argv, dir_.path() + "/stdout", dir_.path() + "/stderr", {}, {});
  if (pid_ < 0) {
    error_ = "fork failed";
    return false;
  }
  static const std::regex kListening(R"(listening on [0-9.]+:([0-9]+))");
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const std::string out = read_file(dir_.path() + "/stdout");
    std::smatch m;
    if (std::regex_search(out, m, kListening)) {
      port_ = static_cast<std::uint16_t>(std::stoi(m[1].str()));
      return true;
    }
    if (wait_child(pid_, 0ms)) {
      exited_ = true;
      error_ = "sluice engine-sim exited before listening:\n" + read_file(dir_.path() + "/stderr");
      return false;
    }
    if (Clock::now() >= deadline) {
      error_ = "sluice engine-sim did not log its listening line in time:\n" + read_file(dir_.path() + "/stderr");
      return false;
    }
    std::this_thread::sleep_for(10ms);
  }
}

bool EngineSim::kill(Duration timeout) {
  if (pid_ <= 0 || exited_) return exited_;
  ::kill(pid_, SIGKILL);
  exited_ = wait_child(pid_, timeout).has_value();
  return exited_;
}

bool set_engine_fault(std::uint16_t engine_port, const Json& faults) {
  return post_json(engine_port, "/admin/faults", faults, {}, {}, 3000ms).status == 200;
}

bool clear_engine_faults(std::uint16_t engine_port) {
  return request(engine_port, "DELETE", "/admin/faults", {}, {}, 3000ms).status == 200;
}

std::string engine_metrics(std::uint16_t engine_port) { return get(engine_port, "/metrics", {}, 3000ms).body; }

// --------------------------------------------------------------- metrics ----

namespace {

/// Parses `{a="x",b="y"}` starting at s[0] == '{'; returns the index after '}'.
std::size_t parse_labels(std::string_view s, std::map<std::string, std::string>& labels) {
  std::size_t i = 1;
  while (i < s.size() && s[i] != '}') {
    const auto eq = s.find('=', i);
    if (eq == std::string_view::npos || eq + 1 >= s.size() || s[eq + 1] != '"') return std::string_view::npos;
    std::string key = trim(s.substr(i, eq - i));
    std::string value;
    std::size_t j = eq + 2;
    for (; j < s.size() && s[j] != '"'; ++j) {
      if (s[j] == '\\' && j + 1 < s.size()) {
        ++j;
        value += s[j] == 'n' ? '\n' : s[j];
      } else {
        value += s[j];
      }
    }
    labels[key] = value;
    i = j + 1;
    if (i < s.size() && s[i] == ',') ++i;
  }
  return i < s.size() ? i + 1 : std::string_view::npos;
}

}  // namespace

std::optional<double> metric_value(std::string_view text, std::string_view name,
                                   const std::map<std::string, std::string>& labels) {
  std::optional<double> sum;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    const std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    if (line.empty() || line.front() == '#' || !line.starts_with(name)) continue;
    std::string_view rest = line.substr(name.size());
    std::map<std::string, std::string> got;
    if (!rest.empty() && rest.front() == '{') {
      const auto after = parse_labels(rest, got);
      if (after == std::string_view::npos) continue;
      rest = rest.substr(after);
    }
    if (rest.empty() || rest.front() != ' ') continue;  // a longer name
    const bool match = std::all_of(labels.begin(), labels.end(), [&](const auto& kv) {
      const auto it = got.find(kv.first);
      return it != got.end() && it->second == kv.second;
    });
    if (!match) continue;
    sum = sum.value_or(0) + std::strtod(std::string(trim(rest)).c_str(), nullptr);
  }
  return sum;
}

}  // namespace sluice::itest
