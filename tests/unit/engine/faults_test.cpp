#include "sluice/engine/faults.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace sluice::engine {
namespace {

TEST(EngineFaults, UnhealthyIsParsedAndShown) {
  const auto on = parse_fault_update(FaultConfig{}, R"({"unhealthy":true})");
  ASSERT_TRUE(on) << on.error();
  EXPECT_TRUE(on->faults.unhealthy);
  EXPECT_FALSE(on->crash);
  EXPECT_EQ(nlohmann::json::parse(fault_json(on->faults))["unhealthy"], true);

  const auto off = parse_fault_update(on->faults, R"({"unhealthy":false})");
  ASSERT_TRUE(off) << off.error();
  EXPECT_FALSE(off->faults.unhealthy);
  EXPECT_EQ(nlohmann::json::parse(fault_json(FaultConfig{}))["unhealthy"], false);
}

TEST(EngineFaults, UpdatesKeepFieldsTheyDoNotName) {
  FaultConfig current;
  current.unhealthy = true;
  current.slow_factor = 2;
  const auto update = parse_fault_update(current, R"({"error_rate":0.5})");
  ASSERT_TRUE(update) << update.error();
  EXPECT_TRUE(update->faults.unhealthy);
  EXPECT_EQ(update->faults.slow_factor, 2);
  EXPECT_EQ(update->faults.error_rate, 0.5);
}

TEST(EngineFaults, BadValuesAreRefusedWithTheirName) {
  const auto not_bool = parse_fault_update(FaultConfig{}, R"({"unhealthy":1})");
  ASSERT_FALSE(not_bool);
  EXPECT_NE(not_bool.error().find("'unhealthy' must be a boolean"), std::string::npos) << not_bool.error();
  const auto typo = parse_fault_update(FaultConfig{}, R"({"unhealty":true})");
  ASSERT_FALSE(typo);
  EXPECT_NE(typo.error().find("unknown fault 'unhealty'"), std::string::npos) << typo.error();
  EXPECT_NE(typo.error().find("unhealthy"), std::string::npos) << "the known list names the field";
  EXPECT_FALSE(parse_fault_update(FaultConfig{}, "[]"));
}

}  // namespace
}  // namespace sluice::engine
