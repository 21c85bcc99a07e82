// PostgreSQL behind SqlConnection, through libpq: parameters are sent apart
// from the statement text (PQexecParams) with their types, so nothing a
// client writes is ever parsed as SQL. A lost connection is reported as
// unreachable and re-established on the next statement.
#include <libpq-fe.h>

#include <fmt/format.h>

#include <charconv>

#include "sluice/store/sql_connection.h"

namespace sluice::store {
namespace {

constexpr Oid kInt8 = 20, kInt2 = 21, kInt4 = 23, kText = 25, kFloat4 = 700, kFloat8 = 701, kNumeric = 1700;

void quiet_notices(void*, const char*) {}

/// The conninfo without a password, for messages.
std::string without_password(const PGconn* conn) {
  return fmt::format("postgresql://{}@{}:{}/{}", PQuser(conn), PQhost(conn), PQport(conn), PQdb(conn));
}

class PostgresConnection final : public SqlConnection {
 public:
  explicit PostgresConnection(PGconn* conn) : conn_(conn), name_(without_password(conn)) {
    PQsetNoticeProcessor(conn_, quiet_notices, nullptr);
  }
  ~PostgresConnection() override { PQfinish(conn_); }

  Dialect dialect() const override { return Dialect::kPostgres; }
  std::string describe() const override { return name_; }

  Result<std::vector<SqlRow>> query(std::string_view sql, std::span<const SqlValue> params) override {
    if (auto r = ensure_connected(); !r) return std::unexpected(r.error());
    std::vector<std::string> text(params.size());
    std::vector<const char*> values(params.size());
    std::vector<Oid> types(params.size());
    for (std::size_t i = 0; i < params.size(); ++i) {
      const SqlValue& v = params[i];
      if (std::holds_alternative<std::int64_t>(v)) {
        text[i] = std::to_string(std::get<std::int64_t>(v));
        types[i] = kInt8;
      } else if (std::holds_alternative<double>(v)) {
        text[i] = fmt::format("{:.17g}", std::get<double>(v));
        types[i] = kFloat8;
      } else if (std::holds_alternative<std::string>(v)) {
        text[i] = std::get<std::string>(v);
        types[i] = kText;
      }
      values[i] = std::holds_alternative<std::monostate>(v) ? nullptr : text[i].c_str();
    }
    const std::string statement(sql);
    PGresult* res = PQexecParams(conn_, statement.c_str(), static_cast<int>(params.size()), types.data(),
                                 values.data(), nullptr, nullptr, 0);
    const auto status = PQresultStatus(res);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      StoreError error{fmt::format("{}: {}", name_, trim(PQresultErrorMessage(res))),
                       PQstatus(conn_) != CONNECTION_OK};
      PQclear(res);
      return std::unexpected(std::move(error));
    }
    std::vector<SqlRow> rows;
    const int n = PQntuples(res);
    const int cols = PQnfields(res);
    rows.reserve(static_cast<std::size_t>(n));
    for (int r = 0; r < n; ++r) {
      SqlRow row;
      row.reserve(static_cast<std::size_t>(cols));
      for (int c = 0; c < cols; ++c) {
        if (PQgetisnull(res, r, c)) {
          row.emplace_back(std::monostate{});
          continue;
        }
        const char* cell = PQgetvalue(res, r, c);
        const std::string_view s(cell, static_cast<std::size_t>(PQgetlength(res, r, c)));
        switch (PQftype(res, c)) {
          case kInt8: case kInt2: case kInt4: {
            std::int64_t v = 0;
            std::from_chars(s.data(), s.data() + s.size(), v);
            row.emplace_back(v);
            break;
          }
          case kFloat4: case kFloat8: case kNumeric: row.emplace_back(std::strtod(cell, nullptr)); break;
          default: row.emplace_back(std::string(s));
        }
      }
      rows.push_back(std::move(row));
    }
    PQclear(res);
    return rows;
  }

  Result<void> script(std::string_view sql) override {
    if (auto r = ensure_connected(); !r) return std::unexpected(r.error());
    const std::string text(sql);
    PGresult* res = PQexec(conn_, text.c_str());
    const auto status = PQresultStatus(res);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      StoreError error{fmt::format("{}: {}", name_, trim(PQresultErrorMessage(res))),
                       PQstatus(conn_) != CONNECTION_OK};
      PQclear(res);
      return std::unexpected(std::move(error));
    }
    PQclear(res);
    return {};
  }

 private:
  static std::string trim(const char* message) {
    std::string s = message ? message : "error";
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
  }

  Result<void> ensure_connected() {
    if (PQstatus(conn_) == CONNECTION_OK) return {};
    PQreset(conn_);
    if (PQstatus(conn_) == CONNECTION_OK) return {};
    return std::unexpected(StoreError{fmt::format("{}: {}", name_, trim(PQerrorMessage(conn_))), true});
  }

  PGconn* conn_;
  std::string name_;
};

}  // namespace

Result<std::unique_ptr<SqlConnection>> open_postgres(const std::string& conninfo) {
  // connect_timeout first: the URI's own settings, expanded from dbname, win.
  const char* keys[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* values[] = {"3", "sluice", conninfo.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (!conn) return std::unexpected(StoreError{"postgresql: out of memory", true});
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = PQerrorMessage(conn);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    PQfinish(conn);
    return std::unexpected(StoreError{"cannot connect to PostgreSQL: " + message, true});
  }
  return std::make_unique<PostgresConnection>(conn);
}

}  // namespace sluice::store
