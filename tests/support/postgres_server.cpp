#include "postgres_server.h"

#include "free_port.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace sluice::testing {
namespace {

/// The newest /usr/lib/postgresql/N/bin with initdb.
std::string find_bin() {
  std::string best;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
    const auto bin = e.path() / "bin";
    if (std::filesystem::exists(bin / "initdb") && bin.string() > best) best = bin.string();
  }
  return best;
}

}  // namespace

PostgresServer::PostgresServer() = default;

PostgresServer::~PostgresServer() {
  if (running_) stop();
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

bool PostgresServer::run(const std::string& command) {
  const std::string full = as_postgres_ ? "runuser -u postgres -- " + command : command;
  const int rc = std::system((full + " >>" + dir_ + "/setup.log 2>&1").c_str());
  if (rc != 0) {
    std::ifstream log(dir_ + "/setup.log");
    std::stringstream text;
    text << log.rdbuf();
    error_ = "`" + command + "` failed:\n" + text.str();
    return false;
  }
  return true;
}

bool PostgresServer::start() {
  bin_ = find_bin();
  if (bin_.empty()) {
    error_ = "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): run scripts/install-deps.sh --test";
    return false;
  }
  std::string tmpl = (std::filesystem::temp_directory_path() / "sluice-pg-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) {
    error_ = "mkdtemp failed";
    return false;
  }
  dir_ = tmpl;
  as_postgres_ = ::geteuid() == 0;
  if (as_postgres_) {
    const passwd* pw = ::getpwnam("postgres");
    if (!pw) {
      error_ = "running as root and there is no `postgres` user to run the server as";
      return false;
    }
    if (::chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      error_ = "chown of the data directory failed";
      return false;
    }
  }
  if (!run(bin_ + "/initdb -D " + dir_ + "/data -U sluice -A trust --no-sync --no-instructions")) return false;
  port_ = free_loopback_port();
  return start_server();
}

bool PostgresServer::start_server() {
  const std::string options = "-p " + std::to_string(port_) + " -k " + dir_ +
                              " -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off";
  if (!run(bin_ + "/pg_ctl -D " + dir_ + "/data -l " + dir_ + "/data/server.log -w -t 30 -o \"" + options +
           "\" start"))
    return false;
  running_ = true;
  return true;
}

bool PostgresServer::stop() {
  if (!running_) return true;
  running_ = false;
  return run(bin_ + "/pg_ctl -D " + dir_ + "/data -m fast -w -t 30 stop");
}

std::string PostgresServer::url() const {
  return "postgresql://sluice@127.0.0.1:" + std::to_string(port_) + "/postgres";
}

}  // namespace sluice::testing
