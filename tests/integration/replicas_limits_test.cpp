// Three gateway replicas sharing one tenant's limits through a real
// redis-server, behind a real nginx round-robin load balancer; Redis killed
// and restarted under load.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "harness.h"
#include "../support/free_port.h"
#include "../support/redis_server.h"

namespace sluice::itest {
namespace {

using sluice::testing::free_loopback_port;
using sluice::testing::RedisServer;

using namespace std::chrono_literals;

/// acme: 600 requests and 60,000 tokens per minute, 8 in flight; globex: no limits.
std::string replica_config(const RedisServer& redis, std::uint16_t engine_port, std::string_view fallback = "local") {
  return "listen: {api: 127.0.0.1:0, admin: 127.0.0.1:0}\n" + admin_yaml() +
         "tenants:\n"
         "  - id: acme\n"
         "    api_keys: [sha256:d4ffc8c0325f7e8e971bb4d7bc9f6a78c97920b5ac57b24380e53b6c7a96bc13]\n"
         "    models: [\"*\"]\n"
         "    limits: {rpm: 600, tpm: 60000, max_concurrency: 8}\n"
         "  - id: globex\n"
         "    api_keys: [sha256:bbb8fab5ab2c83254e4969c119cdbb68880ee066c42a36223f8ac83fff2d5b96]\n"
         "    models: [small]\n"
         "models:\n"
         "  - name: small\n"
         "    source: static\n"
         "    static: {endpoints: [http://127.0.0.1:" +
         std::to_string(engine_port) +
         "]}\n"
         "cluster: {redis: \"" +
         redis.url() + "\", sync_interval: 50ms, fallback: " + std::string(fallback) + "}\n";
}

/// nginx as a round-robin load balancer over the replicas' API ports.
class Nginx {
 public:
  bool start(const std::vector<std::uint16_t>& upstreams) {
    if (::access("/usr/sbin/nginx", X_OK) != 0) return false;
    port_ = free_loopback_port();
    std::string servers;
    for (auto p : upstreams) servers += "server 127.0.0.1:" + std::to_string(p) + ";\n";
    std::ofstream(dir_.path() + "/nginx.conf")
        << "daemon off; pid " << dir_.path() << "/nginx.pid; error_log " << dir_.path() << "/error.log;\n"
        << "worker_processes 1; events { worker_connections 1024; }\n"
        << "http { access_log off; upstream replicas { " << servers << " keepalive 32; }\n"
        << "  server { listen 127.0.0.1:" << port_ << "; location / { proxy_pass http://replicas;"
        << " proxy_http_version 1.1; proxy_set_header Connection \"\"; proxy_buffering off; } } }\n";
    pid_ = ::fork();
    if (pid_ == 0) {
      ::execl("/usr/sbin/nginx", "nginx", "-p", dir_.path().c_str(), "-c", (dir_.path() + "/nginx.conf").c_str(),
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    return wait_until([&] { return get(port_, "/healthz").status != 0; }, 5000ms);
  }
  ~Nginx() {
    if (pid_ > 0) {
      // SIGTERM: the master stops its workers (a SIGKILLed master leaves them running).
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  std::uint16_t port() const { return port_; }

 private:
  TempDir dir_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

struct LoadResult {
  int ok = 0, refused = 0, other = 0;
  std::int64_t tokens = 0;
  Duration slowest{};
  std::string others;  // "status: body" of the first few other answers
};

/// `threads` clients sending acme's requests to `ports` (round robin per
/// client) for `duration`.
LoadResult flood(const std::vector<std::uint16_t>& ports, int threads, Duration duration, int max_tokens = 10) {
  std::atomic<int> ok{0}, refused{0}, other{0};
  std::atomic<std::int64_t> tokens{0}, slowest_ns{0};
  std::mutex mu;
  std::string others;
  std::vector<std::thread> clients;
  const auto end = std::chrono::steady_clock::now() + duration;
  for (int t = 0; t < threads; ++t) {
    clients.emplace_back([&, t] {
      for (std::size_t i = t; std::chrono::steady_clock::now() < end; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        const Response r = post_json(ports[i % ports.size()], "/v1/chat/completions",
                                     chat_body("small", "hi", max_tokens), kAcmeKey, {}, 5000ms);
        const auto took = (std::chrono::steady_clock::now() - t0).count();
        for (auto prev = slowest_ns.load(); took > prev && !slowest_ns.compare_exchange_weak(prev, took);) {
        }
        if (r.status == 200) {
          ++ok;
          tokens += r.json()["usage"]["total_tokens"].get<std::int64_t>();
        } else if (r.status == 429) {
          ++refused;
          std::this_thread::sleep_for(2ms);
        } else {
          if (++other <= 3) {
            std::lock_guard lock(mu);
            others += std::to_string(r.status) + " " + r.error + ": " + r.body.substr(0, 200) + "\n";
          }
        }
      }
    });
  }
  for (auto& c : clients) c.join();
  return {ok.load(), refused.load(), other.load(), tokens.load(),
          std::chrono::duration_cast<Duration>(std::chrono::nanoseconds(slowest_ns.load())), others};
}

class ReplicasLimitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!redis_.start()) GTEST_SKIP() << redis_.error();
    ASSERT_TRUE(engine_.start()) << engine_.error();
  }
  void start_replicas(std::string_view fallback = "local", std::uint16_t engine_port = 0) {
    for (int i = 0; i < 3; ++i) {
      replicas_.push_back(
          std::make_unique<Gateway>(replica_config(redis_, engine_port ? engine_port : engine_.port(), fallback)));
      ASSERT_TRUE(replicas_.back()->start()) << replicas_.back()->error();
    }
    for (auto& r : replicas_) {
      ports_.push_back(r->api_port());
      // Ready: its static endpoint passed a health check (before that, 503 no_instance_available).
      ASSERT_TRUE(wait_until([&] { return get(r->admin_port(), "/readyz").status == 200; }, 10000ms));
    }
    ASSERT_TRUE(wait_until([&] { return replicas_[0]->metrics().find("sluice_cluster_replicas 3") != std::string::npos; },
                           5000ms))
        << replicas_[0]->metrics();
  }
  /// The replicas' "cluster:" log lines (fallbacks), for failure messages.
  std::string cluster_log() const {
    std::string out;
    for (const auto& r : replicas_) {
      std::istringstream lines(r->stderr_text());
      for (std::string line; std::getline(lines, line);)
        if (line.find("cluster:") != std::string::npos || line.find("warn") != std::string::npos ||
            line.find("error") != std::string::npos)
          out += line + "\n";
    }
    return out;
  }
  RedisServer redis_;
  EngineSim engine_{{"--profile", "instant", "--served-model-name", "small"}};
  std::vector<std::unique_ptr<Gateway>> replicas_;
  std::vector<std::uint16_t> ports_;
};

TEST_F(ReplicasLimitsTest, ThreeReplicasBehindALoadBalancerAdmitOneLimit) {
  start_replicas();
  Nginx nginx;
  if (!nginx.start(ports_)) GTEST_SKIP() << "nginx is not installed or did not start";
  const auto t0 = std::chrono::steady_clock::now();
  const LoadResult r = flood({nginx.port()}, 6, 4s);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // The shared bucket starts full (600) and refills 10 per second; each
  // replica may end holding a lease of 6 it did not use.
  const double limit = 600 + 10 * seconds;
  std::fprintf(stderr, "[ replicas ] behind nginx: %d admitted, %d refused, %d other in %.2f s (limit %.0f)\n", r.ok,
               r.refused, r.other, seconds, limit);
  EXPECT_GT(r.refused, 0) << "the load did not reach the limit";
  EXPECT_LE(r.ok, limit + 1) << cluster_log();
  EXPECT_GE(r.ok, limit - 3 * 6 - 1) << cluster_log();
  EXPECT_EQ(r.other, 0) << r.others << cluster_log();
}

TEST_F(ReplicasLimitsTest, RequestsSkewedToOneReplicaStillGetOneLimit) {
  start_replicas();
  const auto t0 = std::chrono::steady_clock::now();
  // Most requests to replica 0, a few to the others.
  const LoadResult r = flood({ports_[0], ports_[0], ports_[0], ports_[0], ports_[1], ports_[2]}, 6, 3s);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double limit = 600 + 10 * seconds;
  std::fprintf(stderr, "[ replicas ] skewed: %d admitted, %d refused in %.2f s (limit %.0f)\n", r.ok, r.refused,
               seconds, limit);
  EXPECT_LE(r.ok, limit + 1) << cluster_log();
  EXPECT_GE(r.ok, limit - 3 * 6 - 1) << cluster_log();
}

TEST_F(ReplicasLimitsTest, ConcurrencyIsCappedAcrossReplicas) {
  // Slow requests: 10 tokens at 100 ms a step take about 1 s, so they pile up.
  EngineSim slow({"--served-model-name", "small", "--decode-base-ms", "100"});
  ASSERT_TRUE(slow.start()) << slow.error();
  start_replicas("local", slow.port());
  std::atomic<int> ok{0}, refused{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < 15; ++i) {
    clients.emplace_back([&, i] {
      const Response r = post_json(ports_[i % 3], "/v1/chat/completions", chat_body("small", "hi", 10), kAcmeKey, {},
                                   10000ms);
      if (r.status == 200) ++ok;
      else if (r.status == 429) ++refused;
    });
  }
  for (auto& c : clients) c.join();
  EXPECT_EQ(ok.load(), 8) << cluster_log();  // max_concurrency: 8 across the three replicas
  EXPECT_EQ(refused.load(), 7);
}

TEST_F(ReplicasLimitsTest, RedisKilledUnderLoadFallsBackAndRejoins) {
  start_replicas();
  LoadResult during;
  std::thread load([&] { during = flood(ports_, 4, 4s); });
  std::this_thread::sleep_for(1s);
  redis_.kill();
  std::this_thread::sleep_for(1500ms);
  const std::string down = replicas_[1]->metrics();
  ASSERT_TRUE(redis_.restart()) << redis_.error();
  load.join();
  std::fprintf(stderr, "[ replicas ] redis killed under load: %d admitted, %d refused, %d other, slowest %.0f ms\n",
               during.ok, during.refused, during.other, std::chrono::duration<double, std::milli>(during.slowest).count());
  EXPECT_NE(down.find("sluice_cluster_redis_up 0"), std::string::npos);
  EXPECT_EQ(during.other, 0) << "no request may fail for another reason than its limit:\n" << during.others;
  EXPECT_LT(during.slowest, 1s) << "no request may hang on Redis";
  EXPECT_GT(during.ok, 0);
  // A Redis restarted without persistence forgets what was taken: the bucket
  // starts full again, as one gateway's does when it restarts. So at most
  // two minutes' allowance, the refill, and one lease per replica.
  EXPECT_LE(during.ok, 2 * 600 + 10 * 4 + 3 * 6 + 1);
  EXPECT_TRUE(wait_until([&] { return replicas_[1]->metrics().find("sluice_cluster_redis_up 1") != std::string::npos; },
                         3000ms));
  // Shared again: the tenant still gets answers.
  EXPECT_EQ(post_json(ports_[2], "/v1/chat/completions", chat_body("small", "hi", 3), kGlobexKey).status, 200);
}

TEST_F(ReplicasLimitsTest, ClosedFallbackRefusesLimitedTenantsWith503) {
  start_replicas("closed");
  redis_.kill();
  std::this_thread::sleep_for(500ms);
  const Response r = post_json(ports_[0], "/v1/chat/completions", chat_body("small", "hi", 3), kAcmeKey);
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.json()["error"]["code"], "limits_unavailable") << r.body;
  // A tenant without limits does not need Redis.
  EXPECT_EQ(post_json(ports_[0], "/v1/chat/completions", chat_body("small", "hi", 3), kGlobexKey).status, 200);
}

}  // namespace
}  // namespace sluice::itest
