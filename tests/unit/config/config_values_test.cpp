// The small pure pieces: SHA-256, sizes, host:port, URLs, typo hints.
#include <gtest/gtest.h>

#include <array>

#include "sluice/config/api_key_hash.h"
#include "sluice/config/suggest.h"
#include "sluice/config/value_text.h"

namespace sluice::config {
namespace {

TEST(ConfigApiKeyHash, KnownVectors) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_TRUE(is_sha256_hex(sha256_hex("sk-demo-acme")));
  EXPECT_FALSE(is_sha256_hex("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"));
  EXPECT_FALSE(is_sha256_hex("abc"));
}

TEST(ConfigValues, ByteSizes) {
  EXPECT_EQ(parse_byte_size("4194304"), 4194304u);
  EXPECT_EQ(parse_byte_size("4MiB"), 4u * 1024 * 1024);
  EXPECT_EQ(parse_byte_size("512KiB"), 512u * 1024);
  EXPECT_EQ(parse_byte_size("1GiB"), 1024u * 1024 * 1024);
  EXPECT_EQ(parse_byte_size("2MB"), 2000000u);
  EXPECT_EQ(parse_byte_size("100B"), 100u);
  EXPECT_FALSE(parse_byte_size("4 MiB"));
  EXPECT_FALSE(parse_byte_size("MiB"));
  EXPECT_FALSE(parse_byte_size("-1"));
  EXPECT_FALSE(parse_byte_size("99999999999999999999GiB"));
}

TEST(ConfigValues, HostPort) {
  auto v4 = parse_host_port("10.0.0.1:8080");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->host, "10.0.0.1");
  EXPECT_EQ(v4->port, 8080);
  auto v6 = parse_host_port("[::1]:0");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(format_endpoint(*v6), "[::1]:0");
  EXPECT_FALSE(parse_host_port("localhost"));
  EXPECT_FALSE(parse_host_port(":8080"));
  EXPECT_FALSE(parse_host_port("host:65536"));
  EXPECT_FALSE(parse_host_port("::1:80"));
}

TEST(ConfigValues, HttpUrls) {
  auto url = parse_http_url("http://10.0.0.5:8000/v1/");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->endpoint.host, "10.0.0.5");
  EXPECT_EQ(url->endpoint.port, 8000);
  EXPECT_EQ(url->prefix, "/v1");
  EXPECT_FALSE(parse_http_url("https://10.0.0.5:8000"));
  EXPECT_FALSE(parse_http_url("http://10.0.0.5"));
  EXPECT_FALSE(parse_http_url("http://10.0.0.5:0"));
  EXPECT_FALSE(parse_http_url("http://h:1/?q=1"));
}

TEST(ConfigValues, TypoHints) {
  constexpr std::array<std::string_view, 4> kKeys = {"listen", "server", "tenants", "models"};
  EXPECT_EQ(closest_match("tenents", kKeys), "tenants");
  EXPECT_EQ(closest_match("modles", kKeys), "models");
  EXPECT_EQ(closest_match("lisen", kKeys), "listen");
  EXPECT_FALSE(closest_match("routes", kKeys));
  EXPECT_EQ(edit_distance("ab", "ba"), 1u);
  EXPECT_EQ(quote("say \"hi\""), "\"say \\\"hi\\\"\"");
}

}  // namespace
}  // namespace sluice::config
