#include "sluice/cluster/redis_connection.h"

#include <hiredis/hiredis.h>
#include <openssl/sha.h>
#include <sys/time.h>

#include <charconv>
#include <fmt/format.h>

namespace sluice::cluster {
namespace {

timeval to_timeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

RedisReply convert(const redisReply* r) {
  RedisReply out;
  switch (r->type) {
    case REDIS_REPLY_INTEGER: out.type = RedisReply::Type::kInteger; out.integer = r->integer; break;
    case REDIS_REPLY_STRING: out.type = RedisReply::Type::kString; out.text.assign(r->str, r->len); break;
    case REDIS_REPLY_STATUS: out.type = RedisReply::Type::kStatus; out.text.assign(r->str, r->len); break;
    case REDIS_REPLY_ERROR: out.type = RedisReply::Type::kError; out.text.assign(r->str, r->len); break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::kArray;
      out.elements.reserve(r->elements);
      for (std::size_t i = 0; i < r->elements; ++i) out.elements.push_back(convert(r->element[i]));
      break;
    default: out.type = RedisReply::Type::kNil; break;
  }
  return out;
}

std::string sha1_hex(std::string_view text) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  std::string hex;
  hex.reserve(2 * SHA_DIGEST_LENGTH);
  for (unsigned char c : digest) hex += fmt::format("{:02x}", c);
  return hex;
}

bool parse_int(std::string_view text, int& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::int64_t RedisReply::as_int() const {
  if (type == Type::kInteger) return integer;
  std::int64_t v = 0;
  std::from_chars(text.data(), text.data() + text.size(), v);
  return v;
}

std::expected<RedisAddress, std::string> parse_redis_url(std::string_view url) {
  constexpr std::string_view scheme = "redis://";
  if (!url.starts_with(scheme)) return std::unexpected(fmt::format("expected redis://host:port, got \"{}\"", url));
  std::string_view rest = url.substr(scheme.size());
  RedisAddress a;
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view auth = rest.substr(0, at);
    if (const auto colon = auth.find(':'); colon != std::string_view::npos) auth = auth.substr(colon + 1);
    a.password = std::string(auth);
    rest = rest.substr(at + 1);
  }
  if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
    const std::string_view db = rest.substr(slash + 1);
    if (!db.empty() && !parse_int(db, a.db)) return std::unexpected(fmt::format("bad database number in \"{}\"", url));
    rest = rest.substr(0, slash);
  }
  if (const auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    if (!parse_int(rest.substr(colon + 1), a.port) || a.port <= 0 || a.port > 65535) {
      return std::unexpected(fmt::format("bad port in \"{}\"", url));
    }
    rest = rest.substr(0, colon);
  }
  if (!rest.empty()) a.host = std::string(rest);
  return a;
}

RedisScript::RedisScript(std::string text) : source(std::move(text)), sha1(sha1_hex(source)) {}

RedisConnection::RedisConnection(RedisAddress address, std::chrono::milliseconds timeout)
    : address_(std::move(address)), timeout_(timeout) {}

RedisConnection::~RedisConnection() { drop(); }

void RedisConnection::drop() {
  if (context_) redisFree(context_);
  context_ = nullptr;
}

std::expected<void, std::string> RedisConnection::ensure_connected() {
  if (context_) return {};
  const auto now = std::chrono::steady_clock::now();
  if (last_failure_ != std::chrono::steady_clock::time_point{} && now - last_failure_ < timeout_) {
    return std::unexpected(last_error_);  // failed a moment ago: do not hammer a dead Redis
  }
  const auto fail = [&](std::string why) -> std::expected<void, std::string> {
    drop();
    last_failure_ = now;
    last_error_ = fmt::format("redis {}:{}: {}", address_.host, address_.port, why);
    return std::unexpected(last_error_);
  };
  context_ = redisConnectWithTimeout(address_.host.c_str(), address_.port, to_timeval(timeout_));
  if (!context_) return fail("out of memory");
  if (context_->err) return fail(context_->errstr);
  if (redisSetTimeout(context_, to_timeval(timeout_)) != REDIS_OK) return fail("cannot set the timeout");
  const auto setup = [&](std::initializer_list<std::string> args) -> std::expected<void, std::string> {
    auto* r = static_cast<redisReply*>(redisCommand(context_, args.size() == 2 ? "%s %s" : "%s %s %s",
                                                    args.begin()[0].c_str(), args.begin()[1].c_str(),
                                                    args.size() > 2 ? args.begin()[2].c_str() : ""));
    if (!r) return std::unexpected(std::string(context_->errstr));
    const bool error = r->type == REDIS_REPLY_ERROR;
    std::string text = error ? std::string(r->str, r->len) : "";
    freeReplyObject(r);
    if (error) return std::unexpected(text);
    return {};
  };
  if (!address_.password.empty()) {
    if (auto ok = setup({"AUTH", address_.password}); !ok) return fail("AUTH: " + ok.error());
  }
  if (address_.db != 0) {
    if (auto ok = setup({"SELECT", std::to_string(address_.db)}); !ok) return fail("SELECT: " + ok.error());
  }
  last_failure_ = {};
  return {};
}

std::expected<RedisReply, std::string> RedisConnection::command(std::span<const std::string> args) {
  if (auto ok = ensure_connected(); !ok) return std::unexpected(ok.error());
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  argv.reserve(args.size());
  lengths.reserve(args.size());
  for (const auto& a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  auto* r = static_cast<redisReply*>(
      redisCommandArgv(context_, static_cast<int>(argv.size()), argv.data(), lengths.data()));
  if (!r) {
    std::string why = fmt::format("redis {}:{}: {}", address_.host, address_.port,
                                  context_->err ? context_->errstr : "no reply");
    drop();
    last_failure_ = std::chrono::steady_clock::now();
    last_error_ = why;
    return std::unexpected(std::move(why));
  }
  RedisReply out = convert(r);
  freeReplyObject(r);
  return out;
}

std::expected<RedisReply, std::string> RedisConnection::eval(const RedisScript& script,
                                                             std::span<const std::string> keys,
                                                             std::span<const std::string> args) {
  std::vector<std::string> argv;
  argv.reserve(3 + keys.size() + args.size());
  argv.push_back("EVALSHA");
  argv.push_back(script.sha1);
  argv.push_back(std::to_string(keys.size()));
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  auto reply = command(argv);
  if (reply && reply->is_error() && reply->text.starts_with("NOSCRIPT")) {
    auto loaded = command({"SCRIPT", "LOAD", script.source});
    if (!loaded) return loaded;
    if (loaded->is_error()) return loaded;
    reply = command(argv);
  }
  return reply;
}

}  // namespace sluice::cluster
