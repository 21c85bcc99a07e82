#include "sluice/net/tls.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <fmt/format.h>

namespace sluice::net {

namespace {

/// OpenSSL's reason for `ec` ("no start line (PEM routines)"); clears
/// OpenSSL's error queue so that the next operation starts clean.
std::string reason(const error_code& ec) {
  std::string text = ec.message();
  ERR_clear_error();
  return text;
}

void set_floor(ssl::context& context) {
  // TLS 1.0 and 1.1 are deprecated (RFC 8996).
  SSL_CTX_set_min_proto_version(context.native_handle(), TLS1_2_VERSION);
  error_code ignored;
  context.set_options(ssl::context::default_workarounds | ssl::context::no_compression, ignored);
}

}  // namespace

std::expected<std::shared_ptr<ssl::context>, std::string> make_server_context(const std::string& cert_file,
                                                                              const std::string& key_file) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  set_floor(*context);
  error_code ec;
  // An encrypted key fails to load instead of prompting on the terminal.
  context->set_password_callback([](std::size_t, ssl::context::password_purpose) { return std::string(); }, ec);
  context->use_certificate_chain_file(cert_file, ec);
  if (ec) return std::unexpected(fmt::format("{}: cannot load the certificate: {}", cert_file, reason(ec)));
  context->use_private_key_file(key_file, ssl::context::pem, ec);
  if (ec) return std::unexpected(fmt::format("{}: cannot load the private key: {}", key_file, reason(ec)));
  if (SSL_CTX_check_private_key(context->native_handle()) != 1) {
    ERR_clear_error();
    return std::unexpected(fmt::format("{}: the private key does not match the certificate in {}", key_file, cert_file));
  }
  return context;
}

std::string describe_certificate(ssl::context& context) {
  X509* cert = SSL_CTX_get0_certificate(context.native_handle());
  if (!cert) return "";
  std::string serial;
  if (BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get_serialNumber(cert), nullptr)) {
    if (char* hex = BN_bn2hex(bn)) {
      serial = hex;
      OPENSSL_free(hex);
    }
    BN_free(bn);
  }
  char subject[256] = {};
  X509_NAME_oneline(X509_get_subject_name(cert), subject, sizeof subject);
  std::string not_after;
  if (BIO* mem = BIO_new(BIO_s_mem())) {
    if (ASN1_TIME_print(mem, X509_get0_notAfter(cert)) == 1) {
      char* data = nullptr;
      const long n = BIO_get_mem_data(mem, &data);
      if (n > 0) not_after.assign(data, static_cast<std::size_t>(n));
    }
    BIO_free(mem);
  }
  return fmt::format("serial {}, subject {}, not after {}", serial, subject, not_after);
}

std::expected<std::shared_ptr<ServerTls>, std::string> ServerTls::load(const std::string& cert_file,
                                                                       const std::string& key_file) {
  auto context = make_server_context(cert_file, key_file);
  if (!context) return std::unexpected(context.error());
  return std::make_shared<ServerTls>(std::move(*context));
}

std::expected<void, std::string> ServerTls::reload(const std::string& cert_file, const std::string& key_file) {
  auto context = make_server_context(cert_file, key_file);
  if (!context) return std::unexpected(context.error());
  current_.store(std::move(*context), std::memory_order_release);
  return {};
}

asio::awaitable<std::expected<Stream, error_code>> tls_accept(tcp::socket socket, ssl::context& context,
                                                              std::chrono::steady_clock::duration timeout) {
  Stream::Tls tls(beast::tcp_stream(std::move(socket)), context);
  tls.next_layer().expires_after(timeout);
  auto [ec] = co_await tls.async_handshake(ssl::stream_base::server, use_nothrow);
  if (ec) co_return std::unexpected(ec);
  tls.next_layer().expires_never();
  co_return Stream(std::move(tls));
}

asio::awaitable<std::expected<SocketStream, error_code>> tls_accept_socket(
    tcp::socket socket, ssl::context& context, std::chrono::steady_clock::duration timeout) {
  SocketStream::Tls tls(std::move(socket), context);
  // The TLS object lives behind a pointer in beast's ssl_stream: the socket
  // stays where it is when `tls` moves.
  tcp::socket& raw = tls.next_layer();
  // `done` guards against a timer that expired just as the handshake ended.
  auto done = std::make_shared<bool>(false);
  asio::steady_timer timer(raw.get_executor(), timeout);
  timer.async_wait([&raw, done](const error_code& ec) {
    if (ec || *done) return;
    error_code ignored;
    raw.close(ignored);
  });
  auto [ec] = co_await tls.async_handshake(ssl::stream_base::server, use_nothrow);
  *done = true;
  timer.cancel();
  if (ec) co_return std::unexpected(ec);
  co_return SocketStream(std::move(tls));
}

asio::awaitable<void> close_gracefully(Stream& stream, std::chrono::steady_clock::duration timeout) {
  if (Stream::Tls* tls = stream.tls()) {
    stream.expires_after(timeout);
    co_await tls->async_shutdown(use_nothrow);
    stream.expires_never();
  }
  error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

UpstreamTls::UpstreamTls(bool verify, std::string ca_file)
    : context_(ssl::context::tls_client), verify_(verify), ca_file_(std::move(ca_file)) {}

std::expected<std::shared_ptr<UpstreamTls>, std::string> UpstreamTls::make(bool verify, const std::string& ca_file) {
  std::shared_ptr<UpstreamTls> tls(new UpstreamTls(verify, ca_file));
  set_floor(tls->context_);
  error_code ec;
  if (!verify) {
    tls->context_.set_verify_mode(ssl::verify_none, ec);
    return tls;
  }
  tls->context_.set_verify_mode(ssl::verify_peer, ec);
  if (ca_file.empty()) {
    tls->context_.set_default_verify_paths(ec);
    if (ec) return std::unexpected(fmt::format("cannot load the system's CA certificates: {}", reason(ec)));
  } else {
    tls->context_.load_verify_file(ca_file, ec);
    if (ec) return std::unexpected(fmt::format("{}: cannot load the CA certificates: {}", ca_file, reason(ec)));
  }
  return tls;
}

asio::awaitable<std::expected<Stream, std::string>> tls_connect(beast::tcp_stream tcp, UpstreamTls& upstream,
                                                                const std::string& host) {
  Stream::Tls tls(std::move(tcp), upstream.context());
  SSL* ssl = tls.native_handle();
  error_code not_ip;
  asio::ip::make_address(host, not_ip);
  // SNI carries host names only (RFC 6066).
  if (not_ip) SSL_set_tlsext_host_name(ssl, host.c_str());
  if (upstream.verify()) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (not_ip) X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
    else X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
  }
  auto [ec] = co_await tls.async_handshake(ssl::stream_base::client, use_nothrow);
  if (ec) {
    const long verified = SSL_get_verify_result(ssl);
    ERR_clear_error();
    if (upstream.verify() && verified != X509_V_OK) {
      co_return std::unexpected(fmt::format("certificate verify failed: {}", X509_verify_cert_error_string(verified)));
    }
    co_return std::unexpected(fmt::format("TLS handshake: {}", ec.message()));
  }
  co_return Stream(std::move(tls));
}

}  // namespace sluice::net
