#include "sluice/config/tls_files.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace sluice::config {

namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

/// Never prompts on the terminal for a passphrase: encrypted keys fail.
int no_passphrase(char*, int, int, void*) { return 0; }

/// The file opened for reading, or why not ("cannot read …: No such file or directory").
std::unique_ptr<BIO, BioFree> open_file(const std::string& path, std::string& why) {
  errno = 0;
  std::unique_ptr<BIO, BioFree> bio(BIO_new_file(path.c_str(), "r"));
  if (!bio) {
    why = fmt::format("cannot read {}: {}", path, errno != 0 ? std::strerror(errno) : "cannot open the file");
    ERR_clear_error();
  }
  return bio;
}

}  // namespace

std::string resolve_config_path(const std::string& config_file, const std::string& path) {
  if (path.empty() || path.front() == '/') return path;
  const auto slash = config_file.rfind('/');
  if (slash == std::string::npos) return path;
  return config_file.substr(0, slash + 1) + path;
}

std::optional<TlsFileProblem> check_cert_and_key(const std::string& cert_file, const std::string& key_file) {
  std::string why;
  auto cert_bio = open_file(cert_file, why);
  if (!cert_bio) return TlsFileProblem{false, why};
  std::unique_ptr<X509, X509Free> cert(PEM_read_bio_X509(cert_bio.get(), nullptr, no_passphrase, nullptr));
  ERR_clear_error();
  if (!cert) return TlsFileProblem{false, fmt::format("{} holds no PEM certificate", cert_file)};
  auto key_bio = open_file(key_file, why);
  if (!key_bio) return TlsFileProblem{true, why};
  std::unique_ptr<EVP_PKEY, KeyFree> key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, no_passphrase, nullptr));
  ERR_clear_error();
  if (!key) {
    return TlsFileProblem{true, fmt::format("{} holds no PEM private key (or an encrypted one, which is not supported)",
                                            key_file)};
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    return TlsFileProblem{true, fmt::format("the private key in {} does not match the certificate in {}", key_file,
                                            cert_file)};
  }
  return std::nullopt;
}

std::optional<std::string> check_ca_file(const std::string& ca_file) {
  std::string why;
  auto bio = open_file(ca_file, why);
  if (!bio) return why;
  int certs = 0;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, no_passphrase, nullptr)) {
    X509_free(cert);
    ++certs;
  }
  ERR_clear_error();
  if (certs == 0) return fmt::format("{} holds no PEM certificate", ca_file);
  return std::nullopt;
}

}  // namespace sluice::config
