#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "sluice/workload/workload.h"

namespace sluice::workload {
namespace {

TenantLoad tenant(ArrivalProcess arrival, double stop_s, double start_s = 0) {
  TenantLoad t;
  t.tenant = "t";
  t.model = "m";
  t.arrival = arrival;
  t.start_s = start_s;
  t.stop_s = stop_s;
  return t;
}

ArrivalProcess poisson(double rate) { return {.kind = ArrivalKind::kPoisson, .rate = rate}; }

Workload workload(std::vector<TenantLoad> tenants, double duration_s, std::uint64_t seed = 1) {
  Workload w;
  w.duration_s = duration_s;
  w.seed = seed;
  w.tenants = std::move(tenants);
  return w;
}

std::vector<Arrival> all(const Workload& w) {
  std::vector<Arrival> out;
  ArrivalGenerator gen(w);
  while (auto a = gen.next()) out.push_back(*a);
  return out;
}

/// Arrivals of one tenant, as (time, input, output).
std::vector<std::tuple<double, std::int64_t, std::int64_t>> of_tenant(const std::vector<Arrival>& arrivals,
                                                                     std::uint32_t tenant) {
  std::vector<std::tuple<double, std::int64_t, std::int64_t>> out;
  for (const auto& a : arrivals) {
    if (a.tenant == tenant) out.emplace_back(a.at_s, a.input_tokens, a.output_tokens);
  }
  return out;
}

TEST(WorkloadArrivals, ConstantSpacingIsExact) {
  const auto arrivals = all(workload({tenant({.kind = ArrivalKind::kConstant, .rate = 4}, 3, 1)}, 3));
  ASSERT_EQ(arrivals.size(), 8u);  // 1.00, 1.25, …, 2.75; stop is exclusive
  for (std::size_t k = 0; k < arrivals.size(); ++k) {
    EXPECT_EQ(arrivals[k].at_s, 1.0 + static_cast<double>(k) / 4.0);
    EXPECT_EQ(arrivals[k].seq, k);
    EXPECT_EQ(arrivals[k].tenant, 0u);
  }
}

TEST(WorkloadArrivals, MergedInTimeOrderWithGlobalSequence) {
  const auto arrivals = all(workload({tenant(poisson(50), 10), tenant(poisson(30), 10),
                                      tenant({.kind = ArrivalKind::kConstant, .rate = 7}, 10)},
                                     10));
  ASSERT_GT(arrivals.size(), 800u);
  for (std::size_t i = 0; i < arrivals.size(); ++i) {
    EXPECT_EQ(arrivals[i].seq, i);
    if (i > 0) {
      EXPECT_LE(arrivals[i - 1].at_s, arrivals[i].at_s);
    }
    EXPECT_GE(arrivals[i].at_s, 0);
    EXPECT_LT(arrivals[i].at_s, 10);
  }
}

TEST(WorkloadArrivals, DeterministicPerSeed) {
  std::vector<TenantLoad> tenants{tenant(poisson(20), 30), tenant(poisson(5), 30)};
  tenants[0].input_tokens = {.kind = LengthKind::kUniform, .min = 10, .max = 500};
  tenants[1].output_tokens = {.kind = LengthKind::kExponential, .mean = 200, .min = 1, .max = 4096};
  const auto a = all(workload(tenants, 30, 7));
  const auto b = all(workload(tenants, 30, 7));
  const auto c = all(workload(tenants, 30, 8));
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].at_s, b[i].at_s);
    EXPECT_EQ(a[i].tenant, b[i].tenant);
    EXPECT_EQ(a[i].input_tokens, b[i].input_tokens);
    EXPECT_EQ(a[i].output_tokens, b[i].output_tokens);
  }
  ASSERT_FALSE(c.empty());
  EXPECT_NE(of_tenant(a, 0), of_tenant(c, 0));
}

TEST(WorkloadArrivals, AddingATenantLeavesTheOthersUnchanged) {
  std::vector<TenantLoad> two{tenant(poisson(20), 30), tenant(poisson(5), 30)};
  two[0].output_tokens = {.kind = LengthKind::kUniform, .min = 1, .max = 1000};
  std::vector<TenantLoad> three = two;
  three.push_back(tenant({.kind = ArrivalKind::kRamp, .from_rate = 1, .to_rate = 50}, 30));
  const auto before = all(workload(two, 30));
  const auto after = all(workload(three, 30));
  EXPECT_EQ(of_tenant(before, 0), of_tenant(after, 0));
  EXPECT_EQ(of_tenant(before, 1), of_tenant(after, 1));
  EXPECT_FALSE(of_tenant(after, 2).empty());
}

TEST(WorkloadArrivals, LengthDistributionDoesNotMoveArrivalTimes) {
  std::vector<TenantLoad> fixed{tenant(poisson(20), 20)};
  std::vector<TenantLoad> varied = fixed;
  varied[0].input_tokens = {.kind = LengthKind::kExponential, .mean = 300, .min = 1, .max = 4096};
  const auto a = all(workload(fixed, 20));
  const auto b = all(workload(varied, 20));
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].at_s, b[i].at_s);
}

TEST(WorkloadArrivals, PoissonMeanRateAndGaps) {
  // 100/s over 1000 s: 100,000 arrivals; the count's standard deviation is
  // ~316 (0.3%), so 2% is far outside chance for any seed.
  const auto arrivals = all(workload({tenant(poisson(100), 1000)}, 1000, 3));
  const double n = static_cast<double>(arrivals.size());
  EXPECT_NEAR(n / 1000.0, 100.0, 2.0);
  // Exponential gaps: mean 1/rate and standard deviation equal to the mean.
  double sum = 0, squares = 0, previous = 0;
  for (const auto& a : arrivals) {
    const double gap = a.at_s - previous;
    sum += gap;
    squares += gap * gap;
    previous = a.at_s;
  }
  const double mean = sum / n;
  const double sd = std::sqrt(squares / n - mean * mean);
  EXPECT_NEAR(mean, 0.01, 0.0003);
  EXPECT_NEAR(sd / mean, 1.0, 0.03);
}

TEST(WorkloadArrivals, OnOffSendsNothingWhileOff) {
  // On 2 s, off 3 s, from start 1 s: on in [1, 3), [6, 8), [11, 13), …
  const auto arrivals =
      all(workload({tenant({.kind = ArrivalKind::kOnOff, .rate = 50, .on_s = 2, .off_s = 3}, 100, 1)}, 100));
  ASSERT_GT(arrivals.size(), 1500u);
  for (const auto& a : arrivals) {
    const double into_cycle = std::fmod(a.at_s - 1.0, 5.0);
    EXPECT_GE(a.at_s, 1.0);
    EXPECT_LT(into_cycle, 2.0) << "arrival at " << a.at_s << " falls in an off-period";
  }
  // 20 on-periods of 2 s at 50/s: ~2000 arrivals.
  EXPECT_NEAR(static_cast<double>(arrivals.size()), 2000.0, 150.0);
}

TEST(WorkloadArrivals, RampRateRisesLinearly) {
  // Rate from 10/s to 110/s over [0, 100): expected count in each tenth of
  // the run is 10 s × (rate at its middle) = 150, 250, …, 1050.
  const auto arrivals = all(workload({tenant({.kind = ArrivalKind::kRamp, .from_rate = 10, .to_rate = 110}, 100)}, 100));
  std::vector<int> counts(10, 0);
  for (const auto& a : arrivals) ++counts[static_cast<std::size_t>(a.at_s / 10)];
  for (std::size_t k = 0; k < 10; ++k) {
    const double expected = 10.0 * (10.0 + 100.0 * (static_cast<double>(k) + 0.5) / 10.0);
    EXPECT_NEAR(counts[k], expected, 4 * std::sqrt(expected) + 5) << "tenth " << k;
  }
  EXPECT_NEAR(static_cast<double>(arrivals.size()), 6000.0, 300.0);
}

TEST(WorkloadArrivals, ZeroRateAndEmptyWindowsSendNothing) {
  EXPECT_TRUE(all(workload({tenant(poisson(0), 10)}, 10)).empty());
  EXPECT_TRUE(all(workload({tenant({.kind = ArrivalKind::kConstant, .rate = 0}, 10)}, 10)).empty());
  EXPECT_TRUE(all(workload({tenant({.kind = ArrivalKind::kRamp, .from_rate = 0, .to_rate = 0}, 10)}, 10)).empty());
  EXPECT_TRUE(all(workload({}, 10)).empty());
}

TEST(WorkloadArrivals, LengthsAreClampedAndPositive) {
  TenantLoad t = tenant({.kind = ArrivalKind::kConstant, .rate = 100}, 50);
  t.input_tokens = {.kind = LengthKind::kExponential, .mean = 100, .min = 20, .max = 150};
  t.output_tokens = {.kind = LengthKind::kUniform, .min = 3, .max = 5};
  const auto arrivals = all(workload({t}, 50));
  ASSERT_EQ(arrivals.size(), 5000u);
  bool saw_min = false, saw_max = false;
  std::vector<int> outputs(6, 0);
  for (const auto& a : arrivals) {
    EXPECT_GE(a.input_tokens, 20);
    EXPECT_LE(a.input_tokens, 150);
    saw_min = saw_min || a.input_tokens == 20;
    saw_max = saw_max || a.input_tokens == 150;
    ASSERT_GE(a.output_tokens, 3);
    ASSERT_LE(a.output_tokens, 5);
    ++outputs[static_cast<std::size_t>(a.output_tokens)];
  }
  EXPECT_TRUE(saw_min);
  EXPECT_TRUE(saw_max);
  for (int v = 3; v <= 5; ++v) EXPECT_NEAR(outputs[static_cast<std::size_t>(v)], 5000.0 / 3, 150) << v;

  TenantLoad fixed = tenant({.kind = ArrivalKind::kConstant, .rate = 1}, 2);
  fixed.output_tokens = {.kind = LengthKind::kFixed, .mean = 0, .min = 0, .max = 10};
  for (const auto& a : all(workload({fixed}, 2))) {
    EXPECT_EQ(a.input_tokens, 100);
    EXPECT_EQ(a.output_tokens, 1);  // never below 1
  }
}

}  // namespace
}  // namespace sluice::workload
