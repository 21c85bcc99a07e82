// https static endpoints: their base URLs, and the TLS settings their
// instances carry through a reload (kept while the model's certificate checks
// stay the same, replaced when they change).
#include <gtest/gtest.h>

#include "sluice/net/tls.h"
#include "sluice/provider/base_url.h"
#include "sluice/provider/routing_builder.h"

namespace sluice::provider {
namespace {

TEST(ProviderBaseUrl, HttpsDefaultsToPort443) {
  auto url = parse_base_url("https://engine.example/v1");
  ASSERT_TRUE(url);
  EXPECT_TRUE(url->tls);
  EXPECT_EQ(url->host, "engine.example");
  EXPECT_EQ(url->port, 443);
  EXPECT_EQ(url->path, "");
  url = parse_base_url("https://10.0.0.1:8443/prefix");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->port, 8443);
  EXPECT_EQ(url->path, "/prefix");
  url = parse_base_url("http://10.0.0.1:8000");
  ASSERT_TRUE(url);
  EXPECT_FALSE(url->tls);
  EXPECT_FALSE(parse_base_url("ftp://10.0.0.1:21"));
}

config::Config one_model(std::vector<config::StaticEndpoint> endpoints, bool verify) {
  config::Config cfg;
  config::Model m;
  m.name = "st";
  m.source = config::ModelSource::kStatic;
  m.static_source.endpoints = std::move(endpoints);
  m.static_source.verify = verify;
  cfg.models.push_back(m);
  return cfg;
}

TEST(ProviderHttpsEndpoints, InstancesCarryTheModelsTlsSettings) {
  const ServingLookup fleet;
  const auto first = build_routing_table(one_model({{"https://10.0.0.1:8443"}, {"http://10.0.0.2:8000"}}, true), fleet);
  const auto& before = first->models[0].instances;
  ASSERT_EQ(before.size(), 2u);
  ASSERT_NE(before[0]->tls, nullptr);
  EXPECT_TRUE(before[0]->tls->verify());
  EXPECT_EQ(before[1]->tls, nullptr);  // plain http

  // The same checks: kept. verify switched off: a new instance without checks.
  const auto same = build_routing_table(one_model({{"https://10.0.0.1:8443"}, {"http://10.0.0.2:8000"}}, true), fleet,
                                        first.get());
  EXPECT_EQ(same->models[0].instances[0], before[0]);
  const auto off = build_routing_table(one_model({{"https://10.0.0.1:8443"}, {"http://10.0.0.2:8000"}}, false), fleet,
                                       same.get());
  const auto& after = off->models[0].instances;
  EXPECT_NE(after[0], before[0]);
  ASSERT_NE(after[0]->tls, nullptr);
  EXPECT_FALSE(after[0]->tls->verify());
  EXPECT_EQ(after[0]->id, before[0]->id);  // the same endpoint keeps its id
  EXPECT_FALSE(before[0]->available.load());
  EXPECT_EQ(after[1], before[1]);
}

}  // namespace
}  // namespace sluice::provider
