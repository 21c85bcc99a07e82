#pragma once
/// Integration-test harness: starts the real `sluice` binary on loopback
/// ports it picks itself, talks HTTP/1.1 to it over plain sockets (so tests
/// can also send broken requests), reads SSE streams event by event, scrapes
/// Prometheus text and watches processes through /proc.
///
/// Everything waits with a deadline; nothing here sleeps for a fixed time
/// except short poll intervals. Not thread-safe: one test thread uses a
/// Gateway or a Connection at a time (each Connection may be used from its
/// own thread).
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace sluice::itest {

using Clock = std::chrono::steady_clock;
using Duration = std::chrono::milliseconds;
using Json = nlohmann::json;
using namespace std::chrono_literals;

/// Demo keys of examples/quickstart.yaml and their SHA-256 hashes.
inline constexpr std::string_view kAcmeKey = "sk-demo-acme";
inline constexpr std::string_view kGlobexKey = "sk-demo-globex";

/// The two demo tenants: acme may use every model, globex only `small`.
std::string demo_tenants_yaml();
/// The admin token every test gateway accepts (role admin), and its hash.
inline constexpr std::string_view kTestAdminToken = "sla-test-admin-token";
inline constexpr std::string_view kTestAdminTokenSha256 =
    "6b4e2ac6b2f36724e08810933bc0adad5b23b1a07a5c5dec2dca1634523a06c5";
/// `admin: {bootstrap_token: …}` for kTestAdminToken (make_config includes it).
std::string admin_yaml();

/// A whole config: listen on port 0, the given `server:` map (flow style,
/// without braces, e.g. "upstream_timeout: 2s"), the demo tenants and the
/// given `models:` list (block style, each item starting with "  - name:").
std::string make_config(std::string_view server_map, std::string_view models_yaml);

/// A `fleet:` section to append to make_config's: reconcile every 50 ms;
/// zone-a with nodes a1 and a2, zone-b with b1 … b`nodes_in_b`; two 80 GB
/// GPUs per node.
std::string two_zone_fleet_yaml(int nodes_in_b);

// ---------------------------------------------------------------- HTTP ----

struct Header {
  std::string name;
  std::string value;
};

/// A response as read off the wire. `body` is de-chunked.
struct Response {
  int status = 0;
  std::vector<Header> headers;  // names as sent
  std::string body;
  bool chunked = false;
  /// Empty when the response was read completely; else why not.
  std::string error;

  bool ok() const { return error.empty() && status != 0; }
  /// First header of that name (case-insensitive), or "".
  std::string header(std::string_view name) const;
  /// The body parsed as JSON (discarded value when it is not JSON).
  Json json() const;
};

/// One SSE event: the joined `data:` lines.
struct SseEvent {
  std::string data;
  Clock::time_point received;
  bool is_done() const { return data == "[DONE]"; }
  Json json() const;
};

/// A client connection to 127.0.0.1:port on a blocking socket polled with
/// deadlines. Reads one response at a time; keep-alive works.
class Connection {
 public:
  explicit Connection(std::uint16_t port, Duration connect_timeout = 3000ms);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  Connection(Connection&& other) noexcept;

  bool connected() const { return fd_ >= 0; }
  /// errno text of a failed connect.
  const std::string& connect_error() const { return connect_error_; }

  bool send(std::string_view bytes);
  /// Reads status line and headers.
  bool read_head(Response& out, Duration timeout);

  enum class Read { kData, kEnd, kTimeout, kClosed };
  /// Appends decoded body bytes that are available (waiting up to `timeout`
  /// for some). kEnd once the body is complete.
  Read read_body_some(std::string& out, Duration timeout);

  /// Reads one whole response.
  Response read_response(Duration timeout);

  /// Waits until the server closes the connection (EOF or reset). Data that
  /// arrives meanwhile is discarded.
  bool wait_closed(Duration timeout);

  void close();
  int fd() const { return fd_; }

 private:
  enum class Framing { kNone, kLength, kChunked, kUntilClose };
  enum class ChunkState { kSize, kData, kDataEnd, kTrailer, kDone };
  /// Receives more bytes into in_. >0 bytes, 0 EOF, -1 timeout, -2 error.
  long fill(Clock::time_point deadline);
  /// Decodes what is buffered into out; true when the body is complete.
  bool decode(std::string& out);

  int fd_ = -1;
  std::string connect_error_;
  std::string in_;
  Framing framing_ = Framing::kNone;
  std::uint64_t remaining_ = 0;
  ChunkState chunk_state_ = ChunkState::kSize;
};

/// Builds an HTTP/1.1 request. Adds Host and, when there is a body,
/// Content-Type: application/json and Content-Length.
std::string build_request(std::string_view method, std::string_view target, std::string_view body,
                          const std::vector<Header>& headers = {}, bool keep_alive = false);

/// One request on a new connection.
Response request(std::uint16_t port, std::string_view method, std::string_view target, std::string_view body = {},
                 const std::vector<Header>& headers = {}, Duration timeout = 10000ms);
Response get(std::uint16_t port, std::string_view target, std::string_view api_key = {}, Duration timeout = 10000ms);
Response post_json(std::uint16_t port, std::string_view target, const Json& body, std::string_view api_key = {},
                   const std::vector<Header>& extra = {}, Duration timeout = 10000ms);

/// A chat request body with one user message.
Json chat_body(std::string_view model, std::string_view content, int max_tokens, bool stream = false);
/// A completions request body.
Json completion_body(std::string_view model, std::string_view prompt, int max_tokens, bool stream = false);

/// An SSE response being read event by event.
class SseStream {
 public:
  /// Sends the request and reads the response head.
  SseStream(std::uint16_t port, std::string_view target, const Json& body, std::string_view api_key,
            Duration head_timeout = 10000ms);
  const Response& head() const { return head_; }
  bool ok() const { return head_.ok() && head_.status == 200; }
  /// The next event, or nullopt at the end of the body, on timeout or error
  /// (see ended()).
  std::optional<SseEvent> next(Duration timeout);
  /// Reads every event until the end of the body.
  std::vector<SseEvent> read_all(Duration timeout);
  bool ended() const { return ended_; }
  /// The body ended with its proper terminator (last chunk), not with the
  /// connection breaking.
  bool clean_end() const { return clean_end_; }
  Connection& connection() { return conn_; }

 private:
  Connection conn_;
  Response head_;
  std::string pending_;
  bool ended_ = false;
  bool clean_end_ = false;
};

// ------------------------------------------------------------ processes ----

/// Result of a finished command.
struct CommandResult {
  int exit_code = -1;  // -1: killed by a signal or timed out
  bool timed_out = false;
  std::string out;
  std::string err;
};

/// Runs argv (argv[0] is a path or searched in PATH) with extra environment
/// variables, killing it after `timeout`.
CommandResult run_command(const std::vector<std::string>& argv, Duration timeout,
                          const std::vector<std::pair<std::string, std::string>>& env = {},
                          const std::string& cwd = {});

/// Pids whose parent is `parent` (scans /proc/*/stat). Zombies excluded.
std::vector<pid_t> child_pids(pid_t parent);
/// True while `pid` exists and is not a zombie.
bool pid_alive(pid_t pid);
/// Waits until every pid is gone.
bool wait_pids_gone(const std::vector<pid_t>& pids, Duration timeout);

/// Polls `done` every `interval` until it is true or the deadline passes.
bool wait_until(const std::function<bool()>& done, Duration timeout, Duration interval = 20ms);

/// A temporary directory removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string write(std::string_view name, std::string_view content) const;

 private:
  std::string path_;
};

std::string read_file(const std::string& path);

// -------------------------------------------------------------- traffic ----

/// Steady traffic: `unary` threads sending non-streamed chat requests and
/// `streams` threads sending streamed ones to `model`, each in a loop until
/// stop(). A request fails unless it gets a 200 with a whole answer: a
/// stream must end with `[DONE]` and carry no error event.
class Traffic {
 public:
  Traffic(std::uint16_t port, int unary, int streams, std::string model = "small", int max_tokens = 8,
          Duration timeout = 5000ms);
  ~Traffic();
  Traffic(const Traffic&) = delete;
  Traffic& operator=(const Traffic&) = delete;
  void stop();
  int unary();
  int streams();
  std::vector<std::string> failures();
  /// The longest a request took, failed or not.
  Duration slowest();

 private:
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  int unary_ = 0;
  int streams_ = 0;
  Duration slowest_{0};
  std::vector<std::string> failures_;
  std::vector<std::thread> threads_;
};

// -------------------------------------------------------------- gateway ----

struct EngineInstance {
  std::string id;  // "small/0"
  std::uint16_t port = 0;
  bool available = false;
};

/// A `sluice serve --config … --quiet` process with stdout (access log) and
/// stderr captured in files.
class Gateway {
 public:
  explicit Gateway(std::string config_yaml);
  /// SIGKILLs the process if it is still running.
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  /// Starts the process and waits for its "listening:" line. False (with a
  /// message in error()) when it exits or stays silent.
  bool start(Duration timeout = 20000ms);
  const std::string& error() const { return error_; }

  pid_t pid() const { return pid_; }
  std::uint16_t api_port() const { return api_port_; }
  std::uint16_t admin_port() const { return admin_port_; }
  const std::string& config_path() const { return config_path_; }

  std::string stdout_text() const;
  std::string stderr_text() const;

  bool signal(int signo) const;
  /// Waits for the process to exit; its exit status (or 128+signal), or
  /// nullopt on timeout.
  std::optional<int> wait_exit(Duration timeout);
  bool running();
  /// SIGTERM, then waits.
  std::optional<int> stop(Duration timeout = 10000ms);

  /// GET /admin/instances, per model.
  std::map<std::string, std::vector<EngineInstance>> instances() const;
  std::vector<EngineInstance> instances(const std::string& model) const;
  std::string metrics() const;

 private:
  TempDir dir_;
  std::string config_path_;
  pid_t pid_ = -1;
  std::optional<int> exit_status_;
  std::uint16_t api_port_ = 0;
  std::uint16_t admin_port_ = 0;
  std::string error_;
};

/// For suites that share one gateway: returns `slot`'s gateway, first
/// starting one from `config_yaml` when there is none or the last one died
/// (so a gateway crash fails the test that caused it, not the whole suite).
/// nullptr (with a test failure) when it cannot start.
Gateway* ensure_gateway(std::unique_ptr<Gateway>& slot, const std::string& config_yaml);

/// For a test's TearDown: fails the test when the shared gateway died during
/// it (waiting briefly, since a crash may follow the last response), and
/// drops the dead gateway so the next test starts a fresh one.
void expect_gateway_survived(std::unique_ptr<Gateway>& slot);

/// A suite whose tests share one gateway, started from `Suite::config()` on
/// first use and restarted when a test killed it (ensure_gateway); a test
/// during which it died fails (expect_gateway_survived).
template <typename Suite>
class SharedGatewayTest : public ::testing::Test {
 protected:
  static void TearDownTestSuite() { shared_.reset(); }
  void SetUp() override {
    gateway_ = ensure_gateway(shared_, Suite::config());
    ASSERT_NE(gateway_, nullptr);
  }
  void TearDown() override { expect_gateway_survived(shared_); }

  std::uint16_t api() const { return gateway_->api_port(); }
  /// The gateway still answers a good request for `model`.
  void expect_still_serving(std::string_view model = "small") const {
    const Response res = post_json(api(), "/v1/chat/completions", chat_body(model, "still there?", 3), kAcmeKey, {},
                                   5000ms);
    EXPECT_EQ(res.status, 200) << "the gateway stopped serving: " << res.error << "\n"
                               << (gateway_->running() ? std::string() : gateway_->stderr_text());
  }

  inline static std::unique_ptr<Gateway> shared_;
  Gateway* gateway_ = nullptr;
};

// --------------------------------------------------------------- engines ----

/// A `sluice engine-sim` process the test starts itself, on a port the
/// engine picks (read from its "listening on" line). SIGKILLed on
/// destruction if still running.
class EngineSim {
 public:
  /// `args`: options after `sluice engine-sim --port 0`, e.g. {"--seed", "7"}.
  explicit EngineSim(std::vector<std::string> args);
  ~EngineSim();
  EngineSim(const EngineSim&) = delete;
  EngineSim& operator=(const EngineSim&) = delete;

  /// Starts the process and waits for its listening line.
  bool start(Duration timeout = 10000ms);
  const std::string& error() const { return error_; }
  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  /// SIGKILL (a crash), then waits for the process to be gone.
  bool kill(Duration timeout = 5000ms);

 private:
  TempDir dir_;
  std::vector<std::string> args_;
  pid_t pid_ = -1;
  bool exited_ = false;
  std::uint16_t port_ = 0;
  std::string error_;
};

/// POST /admin/faults on an engine-sim; true on 200.
bool set_engine_fault(std::uint16_t engine_port, const Json& faults);
bool clear_engine_faults(std::uint16_t engine_port);
/// GET /metrics of an engine-sim ("" on failure).
std::string engine_metrics(std::uint16_t engine_port);

// -------------------------------------------------------------- metrics ----

/// Sum of the samples named exactly `name` whose labels include all of
/// `labels`; nullopt when no sample matches.
std::optional<double> metric_value(std::string_view text, std::string_view name,
                                   const std::map<std::string, std::string>& labels = {});

// ------------------------------------------------------------ assertions ----

/// The response has `status` and an OpenAI error body
/// `{"error":{"message","type","param","code"}}` with that code.
::testing::AssertionResult is_openai_error(const Response& res, int status, std::string_view code);

/// Path of the sluice binary under test.
std::string sluice_binary();

}  // namespace sluice::itest
