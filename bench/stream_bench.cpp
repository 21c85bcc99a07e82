// What carrying plain connections in net::Stream (plain or TLS in one type,
// picked by a variant index at each operation) costs against the bare
// beast::tcp_stream the proxy used before: a 256-byte write and read over a
// loopback TCP pair, per iteration, on one thread. The two should be equal
// within noise; the TLS row shows what encrypting the same exchange costs.
#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <array>
#include <memory>

#include "sluice/net/stream.h"
#include "sluice/net/tls.h"

namespace sluice::net {
namespace {

struct Pair {
  asio::io_context io{1};
  tcp::socket a{io};
  tcp::socket b{io};
  Pair() {
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    a.connect(acceptor.local_endpoint());
    acceptor.accept(b);
    a.set_option(tcp::no_delay(true));
    b.set_option(tcp::no_delay(true));
  }
};

/// One write on `from` and the read of it on `to`, run to completion.
template <class S>
void exchange(asio::io_context& io, S& from, S& to, std::array<char, 256>& out, std::array<char, 256>& in) {
  asio::async_write(from, asio::buffer(out), [](const error_code&, std::size_t) {});
  asio::async_read(to, asio::buffer(in), [](const error_code&, std::size_t) {});
  io.run();
  io.restart();
}

void BM_Stream_PlainBeast(benchmark::State& state) {
  Pair p;
  beast::tcp_stream a(std::move(p.a)), b(std::move(p.b));
  std::array<char, 256> out{}, in{};
  for (auto _ : state) exchange(p.io, a, b, out, in);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * 256);
}
BENCHMARK(BM_Stream_PlainBeast);

void BM_Stream_PlainNetStream(benchmark::State& state) {
  Pair p;
  Stream a(beast::tcp_stream(std::move(p.a))), b(beast::tcp_stream(std::move(p.b)));
  std::array<char, 256> out{}, in{};
  for (auto _ : state) exchange(p.io, a, b, out, in);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * 256);
}
BENCHMARK(BM_Stream_PlainNetStream);

/// The same over TLS 1.3 (a throwaway self-signed certificate, no checks).
void BM_Stream_Tls(benchmark::State& state) {
  Pair p;
  ssl::context server_ctx(ssl::context::tls_server);
  {
    // A key and certificate made in memory, so the benchmark needs no files.
    EVP_PKEY* key = EVP_EC_gen("P-256");
    X509* cert = X509_new();
    X509_set_version(cert, 2);
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_set_issuer_name(cert, X509_get_subject_name(cert));
    X509_sign(cert, key, EVP_sha256());
    SSL_CTX_use_certificate(server_ctx.native_handle(), cert);
    SSL_CTX_use_PrivateKey(server_ctx.native_handle(), key);
    X509_free(cert);
    EVP_PKEY_free(key);
  }
  auto client = UpstreamTls::make(false, "");
  if (!client) {
    state.SkipWithError(client.error().c_str());
    return;
  }
  Stream::Tls a(beast::tcp_stream(std::move(p.a)), (*client)->context());
  Stream::Tls b(beast::tcp_stream(std::move(p.b)), server_ctx);
  a.async_handshake(ssl::stream_base::client, [](const error_code&) {});
  b.async_handshake(ssl::stream_base::server, [](const error_code&) {});
  p.io.run();
  p.io.restart();
  Stream sa(std::move(a)), sb(std::move(b));
  std::array<char, 256> out{}, in{};
  for (auto _ : state) exchange(p.io, sa, sb, out, in);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * 256);
}
BENCHMARK(BM_Stream_Tls);

}  // namespace
}  // namespace sluice::net
