#include "sluice/health/engine_load.h"

#include <gtest/gtest.h>

namespace sluice::health {
namespace {

TEST(EngineLoad, ReadsVllmNamesSummingWaitingOverLabelSets) {
  const auto load = parse_engine_load(
      "# HELP vllm:num_requests_waiting Number of requests waiting to be processed.\n"
      "# TYPE vllm:num_requests_waiting gauge\n"
      "vllm:num_requests_waiting{engine=\"0\",model_name=\"m\"} 3.0\n"
      "vllm:num_requests_waiting{engine=\"1\",model_name=\"m\"} 2.0\n"
      "vllm:num_requests_waiting_total 99\n"
      "vllm:kv_cache_usage_perc{engine=\"0\",model_name=\"m\"} 0.25\n"
      "vllm:kv_cache_usage_perc{engine=\"1\",model_name=\"m\"} 0.5\n");
  ASSERT_TRUE(load.waiting.has_value());
  EXPECT_EQ(*load.waiting, 5);
  ASSERT_TRUE(load.kv_usage.has_value());
  EXPECT_DOUBLE_EQ(*load.kv_usage, 0.5);
}

TEST(EngineLoad, ReadsOlderVllmKvName) {
  const auto load = parse_engine_load("vllm:gpu_cache_usage_perc{model_name=\"m\"} 0.75\n");
  EXPECT_FALSE(load.waiting.has_value());
  ASSERT_TRUE(load.kv_usage.has_value());
  EXPECT_DOUBLE_EQ(*load.kv_usage, 0.75);
}

// What llama.cpp's server (tools/server, --metrics) prints: no labels, and
// no KV-cache gauge in current versions.
TEST(EngineLoad, ReadsLlamaCppNames) {
  const auto load = parse_engine_load(
      "# HELP llamacpp:requests_processing Number of requests processing\n"
      "# TYPE llamacpp:requests_processing gauge\n"
      "llamacpp:requests_processing 4\n"
      "# HELP llamacpp:requests_deferred Number of requests deferred\n"
      "# TYPE llamacpp:requests_deferred gauge\n"
      "llamacpp:requests_deferred 7\n"
      "llamacpp:n_busy_slots_per_decode 3.5\n");
  ASSERT_TRUE(load.waiting.has_value());
  EXPECT_EQ(*load.waiting, 7);
  EXPECT_FALSE(load.kv_usage.has_value());
}

TEST(EngineLoad, ReadsOlderLlamaCppKvRatio) {
  const auto load = parse_engine_load(
      "llamacpp:kv_cache_usage_ratio 0.875\n"
      "llamacpp:kv_cache_tokens 1792\n"
      "llamacpp:requests_deferred 0\n");
  ASSERT_TRUE(load.waiting.has_value());
  EXPECT_EQ(*load.waiting, 0);
  ASSERT_TRUE(load.kv_usage.has_value());
  EXPECT_DOUBLE_EQ(*load.kv_usage, 0.875);
}

TEST(EngineLoad, UnknownOrBrokenLinesImposeNothing) {
  const auto load = parse_engine_load(
      "llamacpp:requests_deferred_total 3\n"
      "llamacpp:requests_deferred not-a-number\n"
      "sglang:num_queue_reqs 9\n"
      "vllm:kv_cache_usage_perc{unterminated 0.9\n");
  EXPECT_FALSE(load.waiting.has_value());
  EXPECT_FALSE(load.kv_usage.has_value());
}

}  // namespace
}  // namespace sluice::health
