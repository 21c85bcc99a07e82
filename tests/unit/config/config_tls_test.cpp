// TLS settings in the config: listen.tls / api_tls / admin_tls (files checked
// at load, relative to the config's directory) and static https endpoints
// (ca_file, verify), with their errors at file:line, their warning, and what
// a reload may change.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>

#include "config_test_util.h"
#include "sluice/config/diff.h"
#include "sluice/config/tls_files.h"
#include "sluice/config/value_text.h"
#include "sluice/config/warnings.h"

namespace sluice::config {
namespace {

using testing::errors_of;
using testing::with_key;

/// A self-signed P-256 certificate and its key, as PEM text.
struct Pem {
  std::string cert;
  std::string key;
};

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  return out;
}

Pem self_signed(const char* common_name) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 7);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(common_name), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509_sign(cert, key, EVP_sha256());
  BIO* cert_bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(cert_bio, cert);
  BIO* key_bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(key_bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  X509_free(cert);
  EVP_PKEY_free(key);
  return {bio_text(cert_bio), bio_text(key_bio)};
}

/// A temp dir holding a.pem/a.key, b.pem/b.key (another pair) and junk.pem.
class TlsFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sluice-tls-test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    const Pem a = self_signed("a");
    const Pem b = self_signed("b");
    write("a.pem", a.cert);
    write("a.key", a.key);
    write("b.pem", b.cert);
    write("b.key", b.key);
    write("junk.pem", "not a certificate\n");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) const { std::ofstream(path(name)) << text; }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }

  /// The config `listen_yaml` (a `listen:` section) plus a valid rest.
  std::string config(const std::string& listen_yaml) const {
    return listen_yaml + "\ntenants:\n  - {id: acme, api_keys: [$KEY]}\nmodels:\n  - {name: m, source: sim, sim: {profile: instant}}\n";
  }
  /// Loads as if from `<dir>/sluice.yaml`.
  std::expected<Config, ConfigErrors> load(const std::string& yaml) const {
    return load_config_text(with_key(yaml), path("sluice.yaml"));
  }
  std::vector<std::string> errors(const std::string& yaml) const {
    std::vector<std::string> out;
    if (auto r = load(yaml); !r) {
      for (const auto& e : r.error()) out.push_back(e.to_string());
    }
    return out;
  }

  std::string dir_;
};

TEST_F(TlsFiles, TlsCoversBothListenersAndEachMayOverrideIt) {
  auto cfg = load(config("listen:\n  tls: {cert_file: a.pem, key_file: a.key}\n  admin_tls: false\n"));
  ASSERT_TRUE(cfg) << testing::render(cfg.error());
  // Relative to the config file's directory, not the working directory.
  EXPECT_EQ(cfg->listen.api_tls.cert_file, path("a.pem"));
  EXPECT_EQ(cfg->listen.api_tls.key_file, path("a.key"));
  EXPECT_FALSE(cfg->listen.admin_tls.enabled());

  cfg = load(config("listen:\n  tls: {cert_file: a.pem, key_file: a.key}\n  api_tls: {cert_file: " + path("b.pem") +
                    ", key_file: " + path("b.key") + "}\n"));
  ASSERT_TRUE(cfg) << testing::render(cfg.error());
  EXPECT_EQ(cfg->listen.api_tls.cert_file, path("b.pem"));
  EXPECT_EQ(cfg->listen.admin_tls.cert_file, path("a.pem"));

  cfg = load(config("listen: {api: 127.0.0.1:8080}\n"));
  ASSERT_TRUE(cfg);
  EXPECT_FALSE(cfg->listen.api_tls.enabled());
  EXPECT_FALSE(cfg->listen.admin_tls.enabled());
}

TEST_F(TlsFiles, FileProblemsAreErrorsAtTheirKey) {
  const std::string file = path("sluice.yaml");
  EXPECT_EQ(errors(config("listen:\n  tls: {cert_file: missing.pem, key_file: a.key}\n")),
            std::vector<std::string>{file + ":2:20: listen.tls.cert_file: cannot read " + path("missing.pem") +
                                     ": No such file or directory"});
  EXPECT_EQ(errors(config("listen:\n  api_tls: {key_file: a.key}\n")),
            std::vector<std::string>{file + ":2:12: listen.api_tls.cert_file: missing required key (the certificate "
                                            "chain, PEM)"});
  EXPECT_EQ(errors(config("listen:\n  admin_tls: {cert_file: a.pem}\n")),
            std::vector<std::string>{file + ":2:14: listen.admin_tls.key_file: missing required key (the private key "
                                            "of the certificate, PEM)"});
  EXPECT_EQ(errors(config("listen:\n  tls: {cert_file: a.pem, key_file: b.key}\n")),
            std::vector<std::string>{file + ":2:37: listen.tls.key_file: the private key in " + path("b.key") +
                                     " does not match the certificate in " + path("a.pem")});
  EXPECT_EQ(errors(config("listen:\n  tls: {cert_file: junk.pem, key_file: a.key}\n")),
            std::vector<std::string>{file + ":2:20: listen.tls.cert_file: " + path("junk.pem") +
                                     " holds no PEM certificate"});
  EXPECT_EQ(errors(config("listen:\n  tls: {cert_file: a.pem, key_file: a.pem}\n")),
            std::vector<std::string>{file + ":2:37: listen.tls.key_file: " + path("a.pem") +
                                     " holds no PEM private key (or an encrypted one, which is not supported)"});
  EXPECT_EQ(errors(config("listen:\n  tls: true\n")),
            std::vector<std::string>{file + ":2:8: listen.tls: expected {cert_file, key_file} or false (plain HTTP), "
                                            "got true"});
  EXPECT_EQ(errors(config("listen:\n  tls: {cert_file: a.pem, key_file: a.key, ca: x}\n")).size(), 1u);
}

TEST_F(TlsFiles, StaticHttpsEndpointsAndTheirChecks) {
  const std::string file = path("sluice.yaml");
  const auto models = [](const std::string& static_map) {
    return "tenants:\n  - {id: acme, api_keys: [$KEY]}\nmodels:\n  - name: m\n    source: static\n    static: " +
           static_map + "\n";
  };
  auto cfg = load(models("{endpoints: [\"https://engine.example/v1\"], ca_file: a.pem}"));
  ASSERT_TRUE(cfg) << testing::render(cfg.error());
  EXPECT_EQ(cfg->models[0].static_source.ca_file, path("a.pem"));
  EXPECT_TRUE(cfg->models[0].static_source.verify);
  EXPECT_TRUE(config_warnings(*cfg).empty());

  cfg = load(models("{endpoints: [\"https://10.0.0.1:8443\"], verify: false}"));
  ASSERT_TRUE(cfg) << testing::render(cfg.error());
  EXPECT_FALSE(cfg->models[0].static_source.verify);
  EXPECT_EQ(config_warnings(*cfg),
            std::vector<std::string>{"models[0].static.verify is false (model m): the certificates of its https "
                                     "endpoints are not checked; anyone on the path can impersonate them"});

  EXPECT_EQ(errors(models("{endpoints: [\"https://e:8443\"], ca_file: junk.pem}")),
            std::vector<std::string>{file + ":6:54: models[0].static.ca_file: " + path("junk.pem") +
                                     " holds no PEM certificate"});
  EXPECT_EQ(errors(models("{endpoints: [\"https://e:8443\"], ca_file: a.pem, verify: false}")),
            std::vector<std::string>{file + ":6:54: models[0].static.ca_file: has no effect with verify: false "
                                            "(certificates are not checked at all)"});
}

TEST(ConfigTlsValues, HttpsEndpointUrls) {
  auto url = parse_endpoint_url("https://engine.example/v1/");
  ASSERT_TRUE(url);
  EXPECT_TRUE(url->tls);
  EXPECT_EQ(url->endpoint.host, "engine.example");
  EXPECT_EQ(url->endpoint.port, 443);
  EXPECT_EQ(url->prefix, "/v1");
  url = parse_endpoint_url("https://[::1]:8443");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->endpoint.port, 8443);
  url = parse_endpoint_url("http://10.0.0.5:8000");
  ASSERT_TRUE(url);
  EXPECT_FALSE(url->tls);
  EXPECT_FALSE(parse_endpoint_url("https://e:0"));
  EXPECT_FALSE(parse_endpoint_url("https://e:8443/?q"));
  EXPECT_FALSE(parse_endpoint_url("http://e"));  // plain http still needs its port
  EXPECT_EQ(resolve_config_path("etc/sluice.yaml", "c.pem"), "etc/c.pem");
  EXPECT_EQ(resolve_config_path("sluice.yaml", "c.pem"), "c.pem");
  EXPECT_EQ(resolve_config_path("/etc/sluice.yaml", "/srv/c.pem"), "/srv/c.pem");
}

TEST_F(TlsFiles, ReloadMayChangeCertificatesButNotTurnTlsOnOrOff) {
  const auto plain = load(config("listen: {api: 127.0.0.1:8080}\n"));
  const auto a = load(config("listen:\n  api: 127.0.0.1:8080\n  tls: {cert_file: a.pem, key_file: a.key}\n"));
  const auto b = load(config("listen:\n  api: 127.0.0.1:8080\n  tls: {cert_file: b.pem, key_file: b.key}\n"));
  ASSERT_TRUE(plain && a && b);
  EXPECT_TRUE(needs_restart(*a, *b).empty());
  const ConfigDiff diff = diff_configs(*a, *b);
  ASSERT_EQ(diff.lines.size(), 2u);
  EXPECT_EQ(diff.lines[0], "listen.api_tls {cert_file: " + path("a.pem") + ", key_file: " + path("a.key") +
                               "} -> {cert_file: " + path("b.pem") + ", key_file: " + path("b.key") + "}");
  EXPECT_EQ(needs_restart(*plain, *a),
            (std::vector<std::string>{
                "listen.api_tls: off -> on needs a restart (a listener speaks https or http from its start)",
                "listen.admin_tls: off -> on needs a restart (a listener speaks https or http from its start)"}));
}

}  // namespace
}  // namespace sluice::config
