#include "redis_server.h"

#include "free_port.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <thread>

namespace sluice::testing {
namespace {

/// True when something answers "+PONG" to PING on the port.
bool answers_ping(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const char ping[] = "PING\r\n";
    char buf[16] = {};
    timeval tv{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ok = ::write(fd, ping, sizeof ping - 1) == sizeof ping - 1 && ::read(fd, buf, sizeof buf - 1) > 0 &&
         std::strncmp(buf, "+PONG", 5) == 0;
  }
  ::close(fd);
  return ok;
}

const char* find_binary() {
  for (const char* p : {"/usr/bin/redis-server", "/usr/local/bin/redis-server"}) {
    if (::access(p, X_OK) == 0) return p;
  }
  return nullptr;
}

}  // namespace

RedisServer::~RedisServer() { kill(); }

bool RedisServer::start() {
  if (!find_binary()) {
    error_ = "redis-server is not installed: run scripts/install-deps.sh --test";
    return false;
  }
  port_ = free_loopback_port();
  return launch();
}

bool RedisServer::launch() {
  const char* binary = find_binary();
  const std::string port = std::to_string(port_);
  pid_ = ::fork();
  if (pid_ == 0) {
    if (const int null = ::open("/dev/null", O_WRONLY); null >= 0) {  // its start banner is noise in test logs
      ::dup2(null, STDOUT_FILENO);
      ::close(null);
    }
    ::execl(binary, binary, "--port", port.c_str(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--daemonize", "no", "--loglevel", "warning", "--logfile", "", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  if (pid_ < 0) {
    error_ = "fork failed";
    return false;
  }
  for (int i = 0; i < 200; ++i) {
    if (answers_ping(port_)) return true;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      error_ = "redis-server exited at start (port " + port + " taken?)";
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  error_ = "redis-server did not answer PING within 5 s";
  kill();
  return false;
}

void RedisServer::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

}  // namespace sluice::testing
