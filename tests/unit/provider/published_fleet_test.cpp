// The fleet table the leader replica publishes, and a follower's copy of it.
#include "sluice/provider/published_fleet.h"

#include <gtest/gtest.h>

namespace sluice::provider {
namespace {

using namespace std::chrono_literals;

FleetMember member(std::string id, std::uint16_t port, bool in_rotation = true) {
  FleetMember m;
  m.id = std::move(id);
  m.model = m.id.substr(0, m.id.find('/'));
  m.ordinal = m.id.back() - '0';
  m.host = "127.0.0.1";
  m.port = port;
  m.pid = 4000 + port;
  m.gpus = {1, 2};
  m.in_rotation = in_rotation;
  return m;
}

TEST(PublishedFleetTest, RoundTripsThroughJson) {
  PublishedFleet f{7, "gw-a", {member("small/0", 41000), member("big/3", 41001, false)}};
  f.instances[1].state = "warm";
  f.instances[1].role = "standby";
  f.instances[0].ejected_ms = 1500;
  f.instances[0].healthy = false;
  auto back = parse_published_fleet(to_json(f));
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(back->epoch, 7);
  EXPECT_EQ(back->leader, "gw-a");
  ASSERT_EQ(back->instances.size(), 2u);
  EXPECT_EQ(back->instances[0], f.instances[0]);
  EXPECT_EQ(back->instances[1], f.instances[1]);
  EXPECT_FALSE(parse_published_fleet("{}"));
  EXPECT_FALSE(parse_published_fleet("not json"));
  EXPECT_FALSE(parse_published_fleet(R"({"instances":[{"id":"a/0","port":70000}]})"));
}

TEST(RemoteFleetTest, KeepsInstanceObjectsAcrossTablesAndDropsThoseThatLeaveTheRotation) {
  RemoteFleet remote;
  const core::TimePoint now = core::TimePoint{} + 100s;
  EXPECT_FALSE(remote.has_table());
  EXPECT_TRUE(remote.apply({1, "gw-a", {member("small/0", 41000), member("small/1", 41001)}}, now));
  EXPECT_TRUE(remote.has_table());
  auto first = remote.serving("small");
  ASSERT_EQ(first.size(), 2u);
  EXPECT_TRUE(remote.serving("big").empty());
  const auto zero = remote.instance("small/0");
  ASSERT_TRUE(zero);
  EXPECT_EQ(zero->port, 41000);

  // The same table from a new leader: nothing changes, same objects.
  EXPECT_FALSE(remote.apply({2, "gw-b", {member("small/0", 41000), member("small/1", 41001)}}, now));
  EXPECT_EQ(remote.instance("small/0"), zero);

  // small/1 leaves the rotation, small/0 moved to a new port (a new engine), small/2 joins.
  auto one = remote.instance("small/1");
  EXPECT_TRUE(remote.apply({2, "gw-b", {member("small/0", 42000), member("small/1", 41001, false),
                                        member("small/2", 41002)}},
                           now));
  EXPECT_FALSE(one->available.load());
  EXPECT_FALSE(zero->available.load());
  EXPECT_NE(remote.instance("small/0"), zero);
  EXPECT_EQ(remote.instance("small/0")->port, 42000);
  EXPECT_EQ(remote.serving("small").size(), 2u);
  EXPECT_EQ(remote.instance("small/1"), nullptr);
}

TEST(RemoteFleetTest, AppliesTheLeadersEjectionsAndHealthChanges) {
  RemoteFleet remote;
  const core::TimePoint now = core::TimePoint{} + 100s;
  const std::int64_t now_ns = now.time_since_epoch().count();
  remote.apply({1, "gw-a", {member("small/0", 41000)}}, now);
  auto inst = remote.instance("small/0");
  EXPECT_TRUE(inst->usable(now_ns));

  auto ejected = member("small/0", 41000);
  ejected.ejected_ms = 2000;
  remote.apply({1, "gw-a", {ejected}}, now);
  EXPECT_FALSE(inst->usable(now_ns + 1'999'000'000));
  EXPECT_TRUE(inst->usable(now_ns + 2'000'000'000));
  // A shorter ejection never shortens this replica's own.
  inst->ejected_until_ns.store(now_ns + 10'000'000'000);
  remote.apply({1, "gw-a", {ejected}}, now);
  EXPECT_EQ(inst->ejected_until_ns.load(), now_ns + 10'000'000'000);
  inst->ejected_until_ns.store(0);

  // The leader's health verdict applies when it changes (this replica's own
  // checks may say otherwise in between).
  auto sick = member("small/0", 41000);
  sick.healthy = false;
  remote.apply({1, "gw-a", {sick}}, now);
  EXPECT_FALSE(inst->check_healthy.load());
  inst->check_healthy.store(true);  // this replica's own check passed
  remote.apply({1, "gw-a", {sick}}, now);
  EXPECT_TRUE(inst->check_healthy.load());
}

TEST(RemoteFleetTest, SeedKeepsTheGivenObjects) {
  RemoteFleet remote;
  auto mine = std::make_shared<balance::Instance>();
  mine->host = "127.0.0.1";
  mine->port = 41000;
  remote.seed({3, "gw-a", {member("small/0", 41000), member("small/1", 41001, false)}}, {{"small/0", mine}});
  EXPECT_EQ(remote.instance("small/0"), mine);
  EXPECT_EQ(remote.serving("small").size(), 1u);
  EXPECT_FALSE(remote.apply({4, "gw-b", {member("small/0", 41000)}}, core::TimePoint{}));
  EXPECT_EQ(remote.instance("small/0"), mine);
}

}  // namespace
}  // namespace sluice::provider
