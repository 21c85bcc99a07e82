#pragma once
/// SHA-256 of API keys. Keys are stored and compared only as this digest, so
/// neither the config nor memory dumps of the gateway hold a usable key.
#include <string>
#include <string_view>

namespace sluice::config {

/// SHA-256 of `data` as 64 lower-case hex digits. Thread-safe, no exceptions.
/// Returns "" only if OpenSSL fails, which never matches a stored hash.
std::string sha256_hex(std::string_view data);

/// True if `text` is exactly 64 lower-case hex digits (the form sha256_hex returns).
bool is_sha256_hex(std::string_view text);

}  // namespace sluice::config
