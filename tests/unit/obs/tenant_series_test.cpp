// Per-tenant label cardinality stays bounded: beyond server.max_tenant_series
// tenants share tenant="_other".
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <set>
#include <string>

#include "sluice/config/loader.h"
#include "sluice/obs/gateway_metrics.h"

namespace sluice::obs {
namespace {

/// Distinct values of label `name` among the lines of `text` that start with `metric{`.
std::set<std::string> label_values(const std::string& text, std::string_view metric, std::string_view name) {
  std::set<std::string> out;
  const std::string head = std::string(metric) + "{";
  const std::string key = std::string(name) + "=\"";
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t end = text.find('\n', at);
    const std::string_view line(text.data() + at, (end == std::string::npos ? text.size() : end) - at);
    at = end == std::string::npos ? text.size() : end + 1;
    if (!line.starts_with(head)) continue;
    const auto k = line.find(key);
    if (k == std::string_view::npos) continue;
    const auto v = k + key.size();
    out.emplace(line.substr(v, line.find('"', v) - v));
  }
  return out;
}

TEST(ObsTenantSeries, TenThousandTenantsCostTheLimitPlusOneLabels) {
  GatewayMetrics m;
  m.set_max_tenant_series(100);
  for (int t = 0; t < 10'000; ++t) {
    RequestSeries* s = m.series(fmt::format("tenant-{:05}", t), "model");
    s->count_status(200);
    s->prompt_tokens += 1;
  }
  std::string out;
  m.render(out);
  const auto tenants = label_values(out, "sluice_requests_total", "tenant");
  EXPECT_EQ(tenants.size(), 101u);
  EXPECT_TRUE(tenants.contains("tenant-00000"));
  EXPECT_TRUE(tenants.contains("tenant-00099"));  // the first 100 seen keep their own
  EXPECT_FALSE(tenants.contains("tenant-00100"));
  EXPECT_TRUE(tenants.contains("_other"));
  // Nothing is lost: the 9,900 others are summed under one label.
  EXPECT_NE(out.find("sluice_requests_total{tenant=\"_other\",model=\"model\",status=\"200\"} 9900\n"),
            std::string::npos);
  EXPECT_NE(out.find("sluice_prompt_tokens_total{tenant=\"_other\",model=\"model\"} 9900\n"), std::string::npos);
  EXPECT_EQ(label_values(out, "sluice_prompt_tokens_total", "tenant").size(), 101u);
}

TEST(ObsTenantSeries, ALabelOnceGivenIsKeptAndOthersShareOneSeries) {
  GatewayMetrics m;
  m.set_max_tenant_series(2);
  RequestSeries* a = m.series("a", "x");
  RequestSeries* b = m.series("b", "x");
  RequestSeries* c = m.series("c", "x");
  EXPECT_NE(a, b);
  EXPECT_EQ(c, m.series("d", "x"));  // both over the limit: one shared series
  EXPECT_NE(c, m.series("c", "y"));  // per model still
  EXPECT_EQ(a, m.series("a", "x"));  // a seen again keeps its own
  EXPECT_EQ(m.tenant_label("a"), "a");
  EXPECT_EQ(m.tenant_label("c"), "_other");
  EXPECT_EQ(m.tenant_label(""), "");  // requests without a tenant are not a tenant
  // Raising the limit (a reload) gives labels to tenants not seen yet.
  m.set_max_tenant_series(3);
  EXPECT_EQ(m.tenant_label("e"), "e");
  EXPECT_EQ(m.tenant_label("f"), "_other");
}

TEST(ObsTenantSeries, ZeroMeansNoLimit) {
  GatewayMetrics m;
  m.set_max_tenant_series(0);
  for (int t = 0; t < 500; ++t) m.series(fmt::format("t{}", t), "x")->count_status(200);
  std::string out;
  m.render(out);
  EXPECT_EQ(label_values(out, "sluice_requests_total", "tenant").size(), 500u);
}

TEST(ObsTenantSeries, ConfigSettingDefaultsTo100AndIsChecked) {
  const std::string base =
      "models:\n  - name: m\n    source: static\n    static: {endpoints: [\"http://127.0.0.1:1\"]}\n";
  auto def = config::load_config_text(base, "t.yaml");
  ASSERT_TRUE(def.has_value());
  EXPECT_EQ(def->server.max_tenant_series, 100);
  auto set = config::load_config_text("server: {max_tenant_series: 2500}\n" + base, "t.yaml");
  ASSERT_TRUE(set.has_value());
  EXPECT_EQ(set->server.max_tenant_series, 2500);
  auto off = config::load_config_text("server: {max_tenant_series: 0}\n" + base, "t.yaml");
  ASSERT_TRUE(off.has_value());
  EXPECT_EQ(off->server.max_tenant_series, 0);
  auto bad = config::load_config_text("server: {max_tenant_series: -1}\n" + base, "t.yaml");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().front().to_string().find("server.max_tenant_series"), std::string::npos)
      << bad.error().front().to_string();
}

}  // namespace
}  // namespace sluice::obs
