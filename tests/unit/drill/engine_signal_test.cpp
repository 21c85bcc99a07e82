// Signals to a real process: a `sleep 30` child stands in for an engine
// (its command line names "30", which the test gives as the instance's port).
#include "sluice/drill/engine_signal.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

extern char** environ;

namespace sluice::drill {
namespace {

class Sleeper {
 public:
  Sleeper() {
    char program[] = "/bin/sleep";
    char seconds[] = "30";
    char* argv[] = {program, seconds, nullptr};
    if (::posix_spawn(&pid_, program, nullptr, nullptr, argv, environ) != 0) {
      pid_ = -1;
      return;
    }
    // Until the exec is done, /proc/PID/cmdline is not sleep's yet.
    for (int i = 0; i < 200 && !read_cmdline().starts_with("/bin/sleep"); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  ~Sleeper() { reap(); }
  pid_t pid() const { return pid_; }
  std::string read_cmdline() const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/cmdline");
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  void reap() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
};

/// The state letter of /proc/PID/stat once it is `want`, or the last seen
/// after a second ('R', 'S', 'T', 'Z', …).
char state_of(pid_t pid, char want) {
  char state = '?';
  for (int i = 0; i < 100; ++i) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::stringstream text;
    text << in.rdbuf();
    const std::string stat = text.str();
    const auto paren = stat.rfind(')');
    if (paren != std::string::npos && paren + 2 < stat.size()) state = stat[paren + 2];
    if (state == want) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return state;
}

FaultStep step(int signal, pid_t pid, int port) {
  FaultStep s;
  s.signal = signal;
  s.processes = {{"m/0", pid, port}};
  return s;
}

TEST(DrillEngineSignals, FreezeThenContinue) {
  Sleeper engine;
  ASSERT_GT(engine.pid(), 0);
  ASSERT_EQ(state_of(engine.pid(), 'S'), 'S');
  EngineSignals signals;
  const auto at = signals.send(step(SIGSTOP, engine.pid(), 30));
  ASSERT_TRUE(at) << at.error();
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_LE(*at, now);
  EXPECT_GT(*at, now - 5000);
  EXPECT_EQ(state_of(engine.pid(), 'T'), 'T') << "stopped";
  const auto lines = signals.send_after(step(SIGCONT, engine.pid(), 30));
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_EQ(lines[0], "sent SIGCONT to m/0 (pid " + std::to_string(engine.pid()) + ")");
  EXPECT_EQ(state_of(engine.pid(), 'S'), 'S') << "running again";
}

TEST(DrillEngineSignals, NoSignalAfterTheProcessHasGone) {
  Sleeper engine;
  ASSERT_GT(engine.pid(), 0);
  EngineSignals signals;
  ASSERT_TRUE(signals.send(step(SIGSTOP, engine.pid(), 30)));
  const pid_t pid = engine.pid();
  engine.reap();  // the gateway killed it, and reaped it
  const auto lines = signals.send_after(step(SIGCONT, pid, 30));
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_EQ(lines[0], "m/0 (pid " + std::to_string(pid) + ") has exited; no SIGCONT");
}

TEST(DrillEngineSignals, APidThatIsNotTheInstancesEngineIsNotSignalled) {
  Sleeper engine;
  ASSERT_GT(engine.pid(), 0);
  EngineSignals signals;
  const auto wrong_port = signals.send(step(SIGSTOP, engine.pid(), 4001));
  ASSERT_FALSE(wrong_port);
  EXPECT_NE(wrong_port.error().find("does not name port 4001"), std::string::npos) << wrong_port.error();
  EXPECT_EQ(state_of(engine.pid(), 'S'), 'S') << "not stopped";
  const auto not_sent_first = signals.send_after(step(SIGCONT, engine.pid(), 30));
  ASSERT_EQ(not_sent_first.size(), 1U);
  EXPECT_NE(not_sent_first[0].find("was not signalled by the drill; no SIGCONT"), std::string::npos) << "only to a process it signalled itself";

  const pid_t gone = engine.pid();
  engine.reap();
  const auto absent = signals.send(step(SIGKILL, gone, 30));
  ASSERT_FALSE(absent);
  EXPECT_NE(absent.error().find("no such process on this host"), std::string::npos) << absent.error();
}

}  // namespace
}  // namespace sluice::drill
