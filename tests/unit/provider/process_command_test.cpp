// The argv of an instance: a `process` model's template with its
// placeholders filled in, and the `sim` command with its flags.
#include "sluice/provider/process_provider.h"

#include <gtest/gtest.h>

#include <set>

namespace sluice::provider {
namespace {

LaunchSpec spec_of(config::ModelSource source) {
  LaunchSpec spec;
  spec.instance_id = "m/3";
  spec.ordinal = 3;
  spec.gpu_indices = {2, 3};
  spec.model.name = "m";
  spec.model.upstream_model = "org/M";
  spec.model.source = source;
  spec.model.process.command = {"vllm", "serve", "{model}", "--port", "{port}", "--tensor-parallel-size",
                                "{gpu_count}", "--x={instance}@{gpus}"};
  spec.model.sim.profile = "instant";
  spec.model.sim.seed = 10;
  return spec;
}

TEST(ProcessCommand, TemplatePlaceholdersAreFilledIn) {
  EXPECT_EQ(command_for("/bin/sluice", spec_of(config::ModelSource::kProcess), 8123),
            (std::vector<std::string>{"vllm", "serve", "org/M", "--port", "8123", "--tensor-parallel-size", "2",
                                      "--x=m/3@2,3"}));
}

TEST(ProcessCommand, SimRunsEngineSimWithItsSeedAndLoadFlags) {
  LaunchSpec spec = spec_of(config::ModelSource::kSim);
  spec.simulate_load = false;
  auto args = command_for("/bin/sluice", spec, 8123);
  EXPECT_EQ(args.front(), "/bin/sluice");
  EXPECT_EQ(args[1], "engine-sim");
  EXPECT_NE(std::find(args.begin(), args.end(), "13"), args.end()) << "seed + ordinal";
  EXPECT_EQ(std::find(args.begin(), args.end(), "--simulate-load"), args.end());
  spec.fail_load = true;
  args = command_for("/bin/sluice", spec, 8123);
  EXPECT_NE(std::find(args.begin(), args.end(), "--simulate-load"), args.end());
  EXPECT_NE(std::find(args.begin(), args.end(), "--fail-load"), args.end());
}

TEST(ProcessProvider, FreePortsAreNeverHandedOutTwiceInARow) {
  // The engines bind their ports later: the same free port must not go to two.
  std::set<std::uint16_t> seen;
  for (int i = 0; i < 200; ++i) {
    const auto port = free_loopback_port();
    ASSERT_TRUE(port) << port.error();
    EXPECT_TRUE(seen.insert(*port).second) << "port " << *port << " handed out twice";
  }
}

}  // namespace
}  // namespace sluice::provider
