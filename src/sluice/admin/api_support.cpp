#include "sluice/admin/api_support.h"

#include <fmt/format.h>
#include <openssl/rand.h>

#include <cctype>
#include <ctime>

#include "sluice/admin/admin_auth.h"
#include "sluice/store/tenant_json.h"

namespace sluice::admin {

AdminReply json_reply(int status, const nlohmann::json& body) {
  return {status, "application/json", body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"};
}

AdminReply bad_request(std::string_view message, std::string_view param, std::string_view code) {
  return {400, "application/json", admin_error_json("invalid_request_error", code, message, param)};
}

AdminReply not_found(std::string_view code, std::string_view message) {
  return {404, "application/json", admin_error_json("not_found_error", code, message)};
}

AdminReply conflict(std::string_view code, std::string_view message) {
  return {409, "application/json", admin_error_json("invalid_request_error", code, message)};
}

AdminReply method_not_allowed(std::string_view allowed) {
  return {405, "application/json",
          admin_error_json("invalid_request_error", "method_not_allowed", fmt::format("use {} here", allowed))};
}

AdminReply store_failed(const store::StoreError& error) {
  return {503, "application/json",
          admin_error_json("server_error", "store_unavailable", "The store did not answer: " + error.message)};
}

nlohmann::json time_json(std::int64_t unix_ms) {
  if (unix_ms == 0) return nullptr;
  const std::time_t secs = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return std::string(buf);
}

std::optional<std::int64_t> parse_time_or_ago(std::string_view text, std::int64_t now_ms) {
  if (auto ago = store::parse_duration_ms(text)) return now_ms - *ago;
  std::tm tm{};
  const std::string s(text);
  const char* end = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (!end || *end != '\0') {
    tm = {};
    end = strptime(s.c_str(), "%Y-%m-%d", &tm);
    if (!end || *end != '\0') return std::nullopt;
  }
  return static_cast<std::int64_t>(timegm(&tm)) * 1000;
}

std::optional<std::string> query_param(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const std::size_t eq = pair.find('=');
    if (pair.substr(0, eq) != name) continue;
    const std::string_view raw = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    std::string out;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '+') {
        out += ' ';
      } else if (raw[i] == '%' && i + 2 < raw.size() &&
                 std::isxdigit(static_cast<unsigned char>(raw[i + 1])) &&
                 std::isxdigit(static_cast<unsigned char>(raw[i + 2]))) {
        out += static_cast<char>(std::stoi(std::string(raw.substr(i + 1, 2)), nullptr, 16));
        i += 2;
      } else {
        out += raw[i];
      }
    }
    return out;
  }
  return std::nullopt;
}

std::string random_hex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes));
  std::string hex;
  hex.reserve(bytes * 2);
  for (unsigned char c : raw) hex += fmt::format("{:02x}", c);
  return hex;
}

}  // namespace sluice::admin
