#pragma once
/// One blocking connection to Redis (hiredis), with a bound on every wait:
/// connecting and each command give up after `timeout`, so a replica never
/// hangs on Redis. A failed connection is dropped and reopened on the next
/// call, at most once per `timeout` (a dead Redis costs one failed connect
/// per timeout, not one per call).
///
/// Thread-safety: none; each thread that talks to Redis owns its own
/// connection. Never used on an I/O thread: cluster/ runs its calls on its
/// own threads and hands results back.
#include <chrono>
#include <cstdint>
#include <expected>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

struct redisContext;

namespace sluice::cluster {

/// Where Redis is: from redis://[:password@]host:port[/db].
struct RedisAddress {
  std::string host = "127.0.0.1";
  int port = 6379;
  int db = 0;
  std::string password;
};
std::expected<RedisAddress, std::string> parse_redis_url(std::string_view url);

/// A reply, as Redis sent it (RESP2).
struct RedisReply {
  enum class Type { kNil, kInteger, kString, kStatus, kError, kArray };
  Type type = Type::kNil;
  std::int64_t integer = 0;
  std::string text;  // kString, kStatus, kError
  std::vector<RedisReply> elements;

  bool is_error() const { return type == Type::kError; }
  /// An integer reply, or a string holding one (Lua numbers come back as integers).
  std::int64_t as_int() const;
};

/// A Lua script sent once per connection (SCRIPT LOAD) and then run by its
/// SHA-1 (EVALSHA), so a call ships only its keys and arguments.
struct RedisScript {
  explicit RedisScript(std::string source);
  std::string source;
  std::string sha1;
};

class RedisConnection {
 public:
  RedisConnection(RedisAddress address, std::chrono::milliseconds timeout);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  /// Sends one command and waits for its reply. An error reply from Redis is
  /// a reply (is_error()); an unexpected value means Redis was not reached
  /// or did not answer in time (the connection is then dropped).
  std::expected<RedisReply, std::string> command(std::span<const std::string> args);
  std::expected<RedisReply, std::string> command(std::initializer_list<std::string> args) {
    return command(std::span<const std::string>(args.begin(), args.size()));
  }
  /// Runs `script` with KEYS and ARGV; loads it first when Redis does not
  /// know it (a new connection, or a Redis that restarted).
  std::expected<RedisReply, std::string> eval(const RedisScript& script, std::span<const std::string> keys,
                                              std::span<const std::string> args);

  bool connected() const { return context_ != nullptr; }
  const RedisAddress& address() const { return address_; }

 private:
  std::expected<void, std::string> ensure_connected();
  void drop();

  RedisAddress address_;
  std::chrono::milliseconds timeout_;
  redisContext* context_ = nullptr;
  std::chrono::steady_clock::time_point last_failure_{};
  std::string last_error_;
};

}  // namespace sluice::cluster
