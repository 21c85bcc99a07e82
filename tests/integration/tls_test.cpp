// TLS end to end, with certificates made by the `openssl` command at run
// time: the API and admin listeners over https (curl --cacert), requests
// proxied to an https engine-sim (health checks included), engines refused
// for an expired certificate and for one from an unknown CA (the client gets
// a clear error, the log says why), and a renewed certificate served after
// SIGHUP while a broken one is refused and the running one stays.
#include <csignal>
#include <filesystem>
#include <fstream>
#include <regex>

#include <fmt/format.h>

#include "harness.h"

namespace sluice::itest {
namespace {

/// A test PKI in a temp dir: a CA; a server key with certificates for
/// 127.0.0.1 and localhost signed by it (serial 1001, and 1002 as its
/// renewal), an expired one (1003), and one signed by another CA (1004).
class Pki {
 public:
  Pki() {
    std::ofstream(path("ext.cnf")) << "subjectAltName=IP:127.0.0.1,DNS:localhost\n";
    ok_ = make_ca("ca") && make_ca("other-ca") &&
          openssl({"req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
                   path("server.key"), "-out", path("server.csr"), "-subj", "/CN=localhost"}) &&
          sign("server.pem", "ca", "0x1001", "2") && sign("renewed.pem", "ca", "0x1002", "2") &&
          sign("expired.pem", "ca", "0x1003", "-1") && sign("foreign.pem", "other-ca", "0x1004", "2");
  }
  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }
  std::string path(std::string_view name) const { return dir_.path() + "/" + std::string(name); }

 private:
  bool openssl(std::vector<std::string> args) {
    args.insert(args.begin(), "openssl");
    const CommandResult r = run_command(args, 20000ms);
    if (r.exit_code != 0) error_ += fmt::format("openssl {} failed: {}\n", args[1], r.err);
    return r.exit_code == 0;
  }
  bool make_ca(const std::string& name) {
    return openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
                    path(name + ".key"), "-out", path(name + ".pem"), "-days", "2", "-subj", "/CN=sluice test " + name});
  }
  /// `days` -1: valid until a day ago (OpenSSL sets notBefore to now).
  bool sign(const std::string& out, const std::string& ca, const std::string& serial, const std::string& days) {
    return openssl({"x509", "-req", "-in", path("server.csr"), "-CA", path(ca + ".pem"), "-CAkey", path(ca + ".key"),
                    "-set_serial", serial, "-days", days, "-extfile", path("ext.cnf"), "-out", path(out)});
  }

  TempDir dir_;
  bool ok_ = false;
  std::string error_;
};

/// The first line of make_config (the listeners) replaced by `listen`.
std::string with_listen(std::string config, const std::string& listen) {
  return config.replace(0, config.find('\n'), listen);
}

const std::string kSmallSim = "  - name: small\n    source: sim\n    sim: {instances: 1, profile: instant}\n";

/// curl with a deadline; `-w` output follows the body.
CommandResult curl(std::vector<std::string> args) {
  args.insert(args.begin(), {"curl", "-sS", "--max-time", "10"});
  return run_command(args, 15000ms);
}

std::string chat_json(std::string_view model) { return chat_body(model, "hello over tls", 4).dump(); }

/// The serial number of the certificate the server at 127.0.0.1:port shows
/// (curl's %{certs}), "" when the connection fails.
std::string served_serial(std::uint16_t port, const Pki& pki) {
  const CommandResult r = curl({"--cacert", pki.path("ca.pem"), "-o", "/dev/null", "-w", "%{certs}",
                                fmt::format("https://127.0.0.1:{}/v1/models", port)});
  static const std::regex kSerial(R"(Serial Number:\s*([0-9A-Fa-f:]+))");
  std::smatch m;
  if (r.exit_code != 0 || !std::regex_search(r.out, m, kSerial)) return "";
  std::string serial = m[1].str();
  std::erase(serial, ':');
  serial.erase(0, std::min(serial.find_first_not_of('0'), serial.size()));
  return serial;
}

TEST(TlsTest, ListenersServeHttpsWithTheConfiguredCertificate) {
  Pki pki;
  ASSERT_TRUE(pki.ok()) << pki.error();
  Gateway gateway(with_listen(make_config("", kSmallSim),
                              fmt::format("listen: {{api: 127.0.0.1:0, admin: 127.0.0.1:0, tls: {{cert_file: {}, "
                                          "key_file: {}}}}}",
                                          pki.path("server.pem"), pki.path("server.key"))));
  ASSERT_TRUE(gateway.start()) << gateway.error();
  const std::string api = fmt::format("https://127.0.0.1:{}", gateway.api_port());

  const CommandResult chat = curl({"--cacert", pki.path("ca.pem"), "-H", "Authorization: Bearer sk-demo-acme", "-H",
                                   "Content-Type: application/json", "-d", chat_json("small"), "-w", "\n%{http_code}",
                                   api + "/v1/chat/completions"});
  ASSERT_EQ(chat.exit_code, 0) << chat.err;
  EXPECT_TRUE(chat.out.ends_with("\n200")) << chat.out;
  EXPECT_NE(chat.out.find("\"choices\""), std::string::npos) << chat.out;

  // The certificate names localhost too; TLS 1.2 is accepted as well as 1.3.
  const CommandResult by_name =
      curl({"--cacert", pki.path("ca.pem"), "--tls-max", "1.2", "-H", "Authorization: Bearer sk-demo-acme", "-w",
            "\n%{http_code} %{ssl_verify_result}", fmt::format("https://localhost:{}/v1/models", gateway.api_port())});
  ASSERT_EQ(by_name.exit_code, 0) << by_name.err;
  EXPECT_TRUE(by_name.out.ends_with("\n200 0")) << by_name.out;

  const CommandResult health = curl({"--cacert", pki.path("ca.pem"), fmt::format("https://127.0.0.1:{}/healthz",
                                                                                 gateway.admin_port())});
  ASSERT_EQ(health.exit_code, 0) << health.err;
  EXPECT_EQ(health.out, "ok\n");

  // A client that does not trust the CA refuses the connection (curl: 60).
  const CommandResult untrusted = curl({api + "/v1/models"});
  EXPECT_EQ(untrusted.exit_code, 60) << untrusted.out << untrusted.err;
  // Plain HTTP to the https port gets no HTTP answer, and the listener lives on.
  const Response plain = get(gateway.api_port(), "/v1/models", kAcmeKey, 3000ms);
  EXPECT_NE(plain.status, 200);
  EXPECT_EQ(served_serial(gateway.api_port(), pki), "1001");
}

TEST(TlsTest, ProxiesToHttpsEnginesWithHealthChecks) {
  Pki pki;
  ASSERT_TRUE(pki.ok()) << pki.error();
  EngineSim engine({"--profile", "instant", "--served-model-name", "small", "--tls-cert", pki.path("server.pem"),
                    "--tls-key", pki.path("server.key")});
  ASSERT_TRUE(engine.start()) << engine.error();
  // By address (the certificate's IP SAN) and by name (SNI, DNS SAN); both
  // must pass their https health checks before /readyz says ready.
  const std::string models = fmt::format(
      "  - name: small\n"
      "    source: static\n"
      "    static: {{endpoints: [\"https://127.0.0.1:{0}\"], ca_file: {1}}}\n"
      "    health_check: {{interval: 500ms, timeout: 400ms}}\n"
      "  - name: by-name\n"
      "    source: static\n"
      "    upstream_model: small\n"
      "    static: {{endpoints: [\"https://localhost:{0}/v1\"], ca_file: {1}}}\n"
      "    health_check: {{interval: 500ms, timeout: 400ms}}\n",
      engine.port(), pki.path("ca.pem"));
  Gateway gateway(make_config("", models));
  ASSERT_TRUE(gateway.start()) << gateway.error();
  ASSERT_TRUE(wait_until([&] { return get(gateway.admin_port(), "/readyz").status == 200; }, 10000ms))
      << get(gateway.admin_port(), "/readyz").body << gateway.stderr_text();

  for (const std::string model : {"small", "by-name"}) {
    const Response r = post_json(gateway.api_port(), "/v1/chat/completions", chat_body(model, "hello", 5), kAcmeKey);
    ASSERT_EQ(r.status, 200) << model << ": " << r.error << " " << r.body;
    EXPECT_FALSE(r.json()["choices"][0]["message"]["content"].get<std::string>().empty());
  }
  SseStream stream(gateway.api_port(), "/v1/chat/completions", chat_body("small", "stream me", 6, true), kAcmeKey);
  ASSERT_TRUE(stream.ok()) << stream.head().error << stream.head().body;
  const auto events = stream.read_all(5000ms);
  ASSERT_FALSE(events.empty());
  EXPECT_TRUE(events.back().is_done());
  EXPECT_TRUE(stream.clean_end());
}

TEST(TlsTest, RefusesExpiredAndUnknownCaCertificatesAndSaysWhy) {
  Pki pki;
  ASSERT_TRUE(pki.ok()) << pki.error();
  EngineSim expired({"--profile", "instant", "--served-model-name", "small", "--tls-cert", pki.path("expired.pem"),
                     "--tls-key", pki.path("server.key")});
  EngineSim foreign({"--profile", "instant", "--served-model-name", "small", "--tls-cert", pki.path("foreign.pem"),
                     "--tls-key", pki.path("server.key")});
  ASSERT_TRUE(expired.start()) << expired.error();
  ASSERT_TRUE(foreign.start()) << foreign.error();
  // Without health checks the try itself meets the certificate (502); with
  // them the instance never joins (503) and the prober's log says why.
  const auto model = [&](std::string_view name, std::uint16_t port, std::string_view tls, bool checks) {
    return fmt::format("  - name: {}\n    source: static\n    upstream_model: small\n"
                       "    static: {{endpoints: [\"https://127.0.0.1:{}\"], {}}}\n"
                       "    health_check: {}\n    outlier_detection: {{enabled: false}}\n",
                       name, port, tls, checks ? "{interval: 500ms, timeout: 400ms}" : "{enabled: false}");
  };
  const std::string ca = "ca_file: " + pki.path("ca.pem");
  Gateway gateway(make_config("retry: {retries: 0}", model("expired", expired.port(), ca, false) +
                                                         model("foreign", foreign.port(), ca, false) +
                                                         model("expired-checked", expired.port(), ca, true) +
                                                         model("small", foreign.port(), "verify: false", false)));
  ASSERT_TRUE(gateway.start()) << gateway.error();

  const Response old = post_json(gateway.api_port(), "/v1/chat/completions", chat_body("expired", "hi", 3), kAcmeKey);
  EXPECT_TRUE(is_openai_error(old, 502, "upstream_error")) << old.body;
  EXPECT_NE(old.body.find("certificate has expired"), std::string::npos) << old.body;

  const Response stranger = post_json(gateway.api_port(), "/v1/chat/completions", chat_body("foreign", "hi", 3), kAcmeKey);
  EXPECT_TRUE(is_openai_error(stranger, 502, "upstream_error")) << stranger.body;
  EXPECT_NE(stranger.body.find("unable to get local issuer certificate"), std::string::npos) << stranger.body;

  ASSERT_TRUE(wait_until(
      [&] {
        const std::string log = gateway.stderr_text();
        return log.find("has not passed a health check yet") != std::string::npos &&
               log.find("certificate verify failed: certificate has expired") != std::string::npos;
      },
      10000ms))
      << gateway.stderr_text();
  const Response unchecked =
      post_json(gateway.api_port(), "/v1/chat/completions", chat_body("expired-checked", "hi", 3), kAcmeKey);
  EXPECT_TRUE(is_openai_error(unchecked, 503, "no_instance_available")) << unchecked.body;
  // The log names the instance and the reason for each refused connection.
  const std::string log = gateway.stderr_text();
  EXPECT_NE(log.find("TLS connection refused: certificate verify failed: certificate has expired"), std::string::npos)
      << log;
  EXPECT_NE(log.find("TLS connection refused: certificate verify failed: unable to get local issuer certificate"),
            std::string::npos)
      << log;
  // verify: false accepts the unknown CA (and was warned about at load).
  const Response trusting = post_json(gateway.api_port(), "/v1/chat/completions", chat_body("small", "hi", 3), kAcmeKey);
  EXPECT_EQ(trusting.status, 200) << trusting.body;
  EXPECT_NE(log.find("static.verify is false"), std::string::npos) << log;
}

TEST(TlsTest, SighupServesARenewedCertificateAndKeepsItWhenTheNextIsBroken) {
  Pki pki;
  ASSERT_TRUE(pki.ok()) << pki.error();
  TempDir live;
  const auto install = [&](std::string_view cert) {
    std::filesystem::copy_file(pki.path(cert), live.path() + "/cert.pem",
                               std::filesystem::copy_options::overwrite_existing);
  };
  install("server.pem");
  std::filesystem::copy_file(pki.path("server.key"), live.path() + "/key.pem");
  Gateway gateway(with_listen(make_config("", kSmallSim),
                              fmt::format("listen: {{api: 127.0.0.1:0, admin: 127.0.0.1:0, api_tls: {{cert_file: "
                                          "{0}/cert.pem, key_file: {0}/key.pem}}}}",
                                          live.path())));
  ASSERT_TRUE(gateway.start()) << gateway.error();
  ASSERT_EQ(served_serial(gateway.api_port(), pki), "1001");
  // The admin listener stayed plain: api_tls is the API's alone.
  EXPECT_EQ(get(gateway.admin_port(), "/healthz").status, 200);

  install("renewed.pem");
  ASSERT_TRUE(gateway.signal(SIGHUP));
  EXPECT_TRUE(wait_until([&] { return served_serial(gateway.api_port(), pki) == "1002"; }, 10000ms))
      << gateway.stderr_text();
  EXPECT_NE(gateway.stderr_text().find("certificate reloaded"), std::string::npos);

  live.write("cert.pem", "-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n");
  ASSERT_TRUE(gateway.signal(SIGHUP));
  ASSERT_TRUE(wait_until(
      [&] { return gateway.stderr_text().find("certificate not reloaded, the running one stays") != std::string::npos; },
      10000ms))
      << gateway.stderr_text();
  EXPECT_EQ(served_serial(gateway.api_port(), pki), "1002");
  const CommandResult chat = curl({"--cacert", pki.path("ca.pem"), "-H", "Authorization: Bearer sk-demo-acme", "-H",
                                   "Content-Type: application/json", "-d", chat_json("small"), "-w", "\n%{http_code}",
                                   fmt::format("https://127.0.0.1:{}/v1/chat/completions", gateway.api_port())});
  EXPECT_TRUE(chat.out.ends_with("\n200")) << chat.out << chat.err;
  EXPECT_TRUE(gateway.running());
}

}  // namespace
}  // namespace sluice::itest
