#include "sluice/proxy/grace_cancel.h"

#include <gtest/gtest.h>

#include <optional>

namespace sluice::proxy {
namespace {

TEST(ProxyGraceCancel, RunsTheHooksOfRequestsStillRunningOnce) {
  GraceCancel grace;
  int a = 0, b = 0, gone = 0;
  std::optional<GraceCancel::Hook> finished;
  finished.emplace(grace, [&gone] { ++gone; });
  const GraceCancel::Hook hook_a(grace, [&a] { ++a; });
  const GraceCancel::Hook hook_b(grace, [&b] { ++b; });
  finished.reset();  // that request ended before the grace period did
  EXPECT_EQ(grace.registered(), 2u);
  EXPECT_FALSE(grace.cancelled());
  grace.cancel_all();
  EXPECT_TRUE(grace.cancelled());
  grace.cancel_all();
  EXPECT_EQ(a, 1);
  EXPECT_EQ(b, 1);
  EXPECT_EQ(gone, 0);
}

TEST(ProxyGraceCancel, AHookRegisteredAfterTheCancelSeesCancelled) {
  GraceCancel grace;
  grace.cancel_all();
  int runs = 0;
  const GraceCancel::Hook late(grace, [&runs] { ++runs; });
  EXPECT_TRUE(grace.cancelled());  // the tries loop checks this before each try
  EXPECT_EQ(runs, 0);
}

}  // namespace
}  // namespace sluice::proxy
