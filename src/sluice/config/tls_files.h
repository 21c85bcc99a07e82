#pragma once
/// Checks of the TLS files a config names (listen tls, static.ca_file), made
/// at load so that a missing or broken file is a config error with its
/// position, not a failure at start or at the first handshake.
#include <optional>
#include <string>

namespace sluice::config {

/// `path` as given when absolute; else relative to the directory of
/// `config_file` (the config's own directory, wherever sluice runs).
std::string resolve_config_path(const std::string& config_file, const std::string& path);

/// What is wrong with a listener's certificate chain and key.
struct TlsFileProblem {
  bool in_key = false;  // the key file (else the certificate file)
  std::string message;
};

/// Why `cert_file` (PEM chain) and `key_file` (PEM private key, not
/// encrypted) cannot serve TLS, or nothing: unreadable, not PEM, or a key
/// that does not belong to the certificate.
std::optional<TlsFileProblem> check_cert_and_key(const std::string& cert_file, const std::string& key_file);

/// Why `ca_file` is no PEM bundle of CA certificates, or nothing.
std::optional<std::string> check_ca_file(const std::string& ca_file);

}  // namespace sluice::config
