// ProcessProvider adopting an engine another gateway replica started: by
// pid, only while that process still runs with the engine's port.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "sluice/provider/process_provider.h"

namespace sluice::provider {
namespace {

using namespace std::chrono_literals;

/// A stand-in engine: `sh -c 'sleep 30; exit 0' <port>` (the port on its
/// command line), in a process group of its own and away from the test's
/// output: its `sleep` would otherwise hold ctest's pipe open for 30 s.
pid_t start_stand_in(std::uint16_t port) {
  const std::string p = std::to_string(port);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    const int null = ::open("/dev/null", O_RDWR);
    for (int fd = 0; fd < 3; ++fd) ::dup2(null, fd);
    ::execlp("sh", "sh", "-c", "sleep 30; exit 0", p.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  return pid;
}

/// Kills what is left of the stand-in (its `sleep`) and reaps it.
void stop_stand_in(pid_t pid) {
  ::kill(-pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}

TEST(ProcessAdoptTest, AdoptsALiveEngineByPidAndPortAndSeesItGo) {
  ProcessProvider provider([](const LaunchSpec&, std::uint16_t) { return std::vector<std::string>{"true"}; });
  const pid_t pid = start_stand_in(41999);
  ASSERT_GT(pid, 0);
  std::this_thread::sleep_for(100ms);  // exec'd
  // Not at that port: a pid reused by another process is never adopted.
  EXPECT_FALSE(provider.adopt("small/0", Launched{"127.0.0.1", 42000, pid}));
  EXPECT_FALSE(provider.adopt("small/0", Launched{"127.0.0.1", 41999, 999999}));
  ASSERT_TRUE(provider.adopt("small/0", Launched{"127.0.0.1", 41999, pid}));
  EXPECT_TRUE(provider.reap().empty());  // still running

  provider.kill("small/0");  // the adopted engine is killed through the provider
  std::vector<Exit> exits;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (exits.empty() && std::chrono::steady_clock::now() < deadline) {
    exits = provider.reap();  // a zombie nobody reaped yet counts as gone
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_EQ(exits.size(), 1u);
  EXPECT_EQ(exits[0].instance_id, "small/0");
  stop_stand_in(pid);
}

TEST(ProcessAdoptTest, ReleasedEnginesAreNotStopped) {
  ProcessProvider provider([](const LaunchSpec&, std::uint16_t) { return std::vector<std::string>{"true"}; });
  const pid_t pid = start_stand_in(41998);
  std::this_thread::sleep_for(100ms);
  ASSERT_TRUE(provider.adopt("small/1", Launched{"127.0.0.1", 41998, pid}));
  provider.release_all();
  provider.stop_all(100ms);
  EXPECT_EQ(::kill(pid, 0), 0);  // still running: handed over, not stopped
  stop_stand_in(pid);
}

}  // namespace
}  // namespace sluice::provider
