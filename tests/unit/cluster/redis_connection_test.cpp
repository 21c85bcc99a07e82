// RedisConnection against a real redis-server on a loopback port.
#include "sluice/cluster/redis_connection.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "../../support/redis_server.h"

namespace sluice::cluster {
namespace {

using namespace std::chrono_literals;

TEST(RedisUrlTest, ReadsHostPortPasswordAndDatabase) {
  auto a = parse_redis_url("redis://:secret@10.0.0.5:6380/2");
  ASSERT_TRUE(a) << a.error();
  EXPECT_EQ(a->host, "10.0.0.5");
  EXPECT_EQ(a->port, 6380);
  EXPECT_EQ(a->db, 2);
  EXPECT_EQ(a->password, "secret");
  auto b = parse_redis_url("redis://localhost");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->host, "localhost");
  EXPECT_EQ(b->port, 6379);
  EXPECT_FALSE(parse_redis_url("http://x:1"));
  EXPECT_FALSE(parse_redis_url("redis://x:99999"));
  EXPECT_FALSE(parse_redis_url("redis://x:1/db"));
}

TEST(RedisConnectionTest, RunsCommandsAndScriptsAndSurvivesARestart) {
  testing::RedisServer server;
  if (!server.start()) GTEST_SKIP() << server.error();
  RedisConnection redis(*parse_redis_url(server.url()), 200ms);
  auto set = redis.command({"SET", "k", "41"});
  ASSERT_TRUE(set) << set.error();
  EXPECT_EQ(set->text, "OK");
  auto incr = redis.command({"INCR", "k"});
  ASSERT_TRUE(incr);
  EXPECT_EQ(incr->as_int(), 42);

  const RedisScript script("return {redis.call('INCRBY', KEYS[1], ARGV[1]), ARGV[2]}");
  const std::string keys[] = {"k"};
  const std::string args[] = {"8", "hello"};
  auto r = redis.eval(script, keys, args);
  ASSERT_TRUE(r) << r.error();
  ASSERT_EQ(r->elements.size(), 2u);
  EXPECT_EQ(r->elements[0].as_int(), 50);
  EXPECT_EQ(r->elements[1].text, "hello");

  auto bad = redis.command({"NOSUCHCOMMAND"});
  ASSERT_TRUE(bad);
  EXPECT_TRUE(bad->is_error());

  // Redis dies: calls fail within the timeout instead of hanging, then
  // work again once it is back (its script cache is empty: reloaded).
  server.kill();
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(redis.command({"PING"}));
  EXPECT_FALSE(redis.command({"PING"}));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  ASSERT_TRUE(server.restart()) << server.error();
  std::this_thread::sleep_for(250ms);  // past the reconnect back-off
  auto again = redis.eval(script, keys, args);
  ASSERT_TRUE(again) << again.error();
  EXPECT_EQ(again->elements[0].as_int(), 8);
}

TEST(RedisConnectionTest, ANonexistentServerFailsFast) {
  RedisConnection redis(RedisAddress{"127.0.0.1", 1, 0, ""}, 100ms);
  const auto t0 = std::chrono::steady_clock::now();
  auto r = redis.command({"PING"});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("127.0.0.1:1"), std::string::npos) << r.error();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
}

}  // namespace
}  // namespace sluice::cluster
