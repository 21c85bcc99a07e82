#pragma once
/// TLS (OpenSSL through Asio) for the gateway's listeners and its https
/// upstreams, TLS 1.2 at least on both sides.
///
/// - `ServerTls`: a listener's certificate and key, re-read on reload; new
///   handshakes use the certificate in effect, open connections keep theirs.
/// - `UpstreamTls`: how an upstream's certificate is checked (a CA bundle or
///   the system's, the host name), one per model, shared by its instances.
#include <atomic>
#include <chrono>
#include <expected>
#include <memory>
#include <string>

#include "sluice/net/stream.h"

namespace sluice::net {

/// A server context from a PEM certificate chain and its private key, or why
/// not ("/etc/sluice/cert.pem: no start line", "… does not match …").
std::expected<std::shared_ptr<ssl::context>, std::string> make_server_context(const std::string& cert_file,
                                                                              const std::string& key_file);

/// "serial 1A2B…, subject CN=…, not after Jan  1 00:00:00 2030 GMT" of the
/// context's certificate, for logs ("" when it has none).
std::string describe_certificate(ssl::context& context);

/// A listener's certificate and key.
/// Thread-safety: current() from any thread; reload() from one thread at a time.
class ServerTls {
 public:
  static std::expected<std::shared_ptr<ServerTls>, std::string> load(const std::string& cert_file,
                                                                     const std::string& key_file);
  explicit ServerTls(std::shared_ptr<ssl::context> context) : current_(std::move(context)) {}

  /// The context new handshakes use; the caller keeps it for the connection.
  std::shared_ptr<ssl::context> current() const { return current_.load(std::memory_order_acquire); }
  /// Re-reads the files (the same paths after a certificate renewal, or new
  /// ones from a reloaded config). On failure the running certificate stays
  /// and the error says why.
  std::expected<void, std::string> reload(const std::string& cert_file, const std::string& key_file);

 private:
  std::atomic<std::shared_ptr<ssl::context>> current_;
};

/// The server side of a handshake on an accepted connection, within `timeout`.
/// An error is the client's failure (it gave up, spoke plain HTTP, refused
/// the certificate); the caller drops the connection.
asio::awaitable<std::expected<Stream, error_code>> tls_accept(tcp::socket socket, ssl::context& context,
                                                              std::chrono::steady_clock::duration timeout);
asio::awaitable<std::expected<SocketStream, error_code>> tls_accept_socket(
    tcp::socket socket, ssl::context& context, std::chrono::steady_clock::duration timeout);

/// Ends a connection: on TLS a close_notify first (waiting at most `timeout`
/// for the peer's), then the TCP send side is shut down.
asio::awaitable<void> close_gracefully(Stream& stream, std::chrono::steady_clock::duration timeout);

/// How an https upstream's certificate is checked.
/// Thread-safety: immutable after make(); its context makes connections on
/// any thread (OpenSSL contexts are safe to share for that).
class UpstreamTls {
 public:
  /// `verify`: check the chain against `ca_file` (a PEM bundle; empty = the
  /// system's CAs) and the host name; off: anything is accepted.
  static std::expected<std::shared_ptr<UpstreamTls>, std::string> make(bool verify, const std::string& ca_file);

  ssl::context& context() { return context_; }
  bool verify() const { return verify_; }
  const std::string& ca_file() const { return ca_file_; }

 private:
  UpstreamTls(bool verify, std::string ca_file);
  ssl::context context_;
  bool verify_;
  std::string ca_file_;
};

/// The client side of a handshake on a connected `tcp` (its expiry bounds
/// the handshake): SNI for host names (not for IP addresses) and, when
/// verifying, `host` checked against the certificate. The error says why:
/// "certificate verify failed: certificate has expired", "… hostname mismatch".
asio::awaitable<std::expected<Stream, std::string>> tls_connect(beast::tcp_stream tcp, UpstreamTls& tls,
                                                                const std::string& host);

}  // namespace sluice::net
