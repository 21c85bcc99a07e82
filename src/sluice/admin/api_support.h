#pragma once
/// Small pieces every admin API route uses: replies, times, query
/// parameters, and fresh ids and secrets.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "sluice/admin/admin_server.h"
#include "sluice/store/sql_connection.h"

namespace sluice::admin {

AdminReply json_reply(int status, const nlohmann::json& body);
/// 400 invalid_request_error naming `param`.
AdminReply bad_request(std::string_view message, std::string_view param = {}, std::string_view code = "invalid_value");
AdminReply not_found(std::string_view code, std::string_view message);
AdminReply conflict(std::string_view code, std::string_view message);
AdminReply method_not_allowed(std::string_view allowed);
/// 503 when the store failed: the message says what the database said.
AdminReply store_failed(const store::StoreError& error);

/// RFC 3339 UTC ("2026-12-07T08:00:00Z"), or null for 0.
nlohmann::json time_json(std::int64_t unix_ms);
/// Parses "2026-12-07T08:00:00Z" (or a date "2026-12-07") or a duration
/// back from `now_ms` ("7d", "24h"); nullopt when neither.
std::optional<std::int64_t> parse_time_or_ago(std::string_view text, std::int64_t now_ms);

/// The value of `name` in a query string ("a=1&b=2"), percent-decoded.
std::optional<std::string> query_param(std::string_view query, std::string_view name);

/// `n` random bytes as hex.
std::string random_hex(std::size_t bytes);

}  // namespace sluice::admin
