// SQLite behind SqlConnection: one file in WAL mode, prepared statements
// cached by their text (the usage writer runs the same few statements).
#include <sqlite3.h>

#include <fmt/format.h>

#include <unordered_map>

#include "sluice/store/sql_connection.h"

namespace sluice::store {
namespace {

class SqliteConnection final : public SqlConnection {
 public:
  SqliteConnection(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  ~SqliteConnection() override {
    for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
  }

  Dialect dialect() const override { return Dialect::kSqlite; }
  std::string describe() const override { return "sqlite:" + path_; }

  Result<std::vector<SqlRow>> query(std::string_view sql, std::span<const SqlValue> params) override {
    auto stmt = prepare(sql);
    if (!stmt) return std::unexpected(stmt.error());
    sqlite3_stmt* s = *stmt;
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    for (std::size_t i = 0; i < params.size(); ++i) {
      const std::string name = fmt::format("${}", i + 1);
      const int index = sqlite3_bind_parameter_index(s, name.c_str());
      if (index == 0) continue;  // a parameter the statement does not use
      const SqlValue& v = params[i];
      if (std::holds_alternative<std::int64_t>(v)) {
        sqlite3_bind_int64(s, index, std::get<std::int64_t>(v));
      } else if (std::holds_alternative<double>(v)) {
        sqlite3_bind_double(s, index, std::get<double>(v));
      } else if (std::holds_alternative<std::string>(v)) {
        const auto& text = std::get<std::string>(v);
        sqlite3_bind_text(s, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
      } else {
        sqlite3_bind_null(s, index);
      }
    }
    std::vector<SqlRow> rows;
    for (;;) {
      const int rc = sqlite3_step(s);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) {
        StoreError error{fmt::format("{}: {}", describe(), sqlite3_errmsg(db_)), rc == SQLITE_BUSY || rc == SQLITE_IOERR};
        sqlite3_reset(s);
        return std::unexpected(std::move(error));
      }
      SqlRow row;
      const int n = sqlite3_column_count(s);
      row.reserve(static_cast<std::size_t>(n));
      for (int c = 0; c < n; ++c) {
        switch (sqlite3_column_type(s, c)) {
          case SQLITE_INTEGER: row.emplace_back(static_cast<std::int64_t>(sqlite3_column_int64(s, c))); break;
          case SQLITE_FLOAT: row.emplace_back(sqlite3_column_double(s, c)); break;
          case SQLITE_NULL: row.emplace_back(std::monostate{}); break;
          default: {
            const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(s, c));
            row.emplace_back(std::string(text ? text : "", static_cast<std::size_t>(sqlite3_column_bytes(s, c))));
          }
        }
      }
      rows.push_back(std::move(row));
    }
    sqlite3_reset(s);
    return rows;
  }

  Result<void> script(std::string_view sql) override {
    char* message = nullptr;
    const std::string text(sql);
    if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
      StoreError error{fmt::format("{}: {}", describe(), message ? message : "error")};
      sqlite3_free(message);
      return std::unexpected(std::move(error));
    }
    return {};
  }

 private:
  Result<sqlite3_stmt*> prepare(std::string_view sql) {
    const std::string key(sql);
    if (auto it = cache_.find(key); it != cache_.end()) return it->second;
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, key.c_str(), static_cast<int>(key.size()), &stmt, nullptr) != SQLITE_OK) {
      return std::unexpected(StoreError{fmt::format("{}: {}", describe(), sqlite3_errmsg(db_))});
    }
    if (cache_.size() > 256) {  // statements built per batch size: keep the cache bounded
      for (auto& [text, old] : cache_) sqlite3_finalize(old);
      cache_.clear();
    }
    cache_.emplace(key, stmt);
    return stmt;
  }

  sqlite3* db_;
  std::string path_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

}  // namespace

Result<std::unique_ptr<SqlConnection>> open_sqlite(const std::string& path) {
  sqlite3* db = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    StoreError error{fmt::format("sqlite:{}: cannot open: {}", path, db ? sqlite3_errmsg(db) : "out of memory"), true};
    sqlite3_close_v2(db);
    return std::unexpected(std::move(error));
  }
  auto conn = std::make_unique<SqliteConnection>(db, path);
  sqlite3_busy_timeout(db, 5000);  // another connection (the usage writer) holds the write lock briefly
  // WAL: readers never wait for the writer. synchronous=NORMAL: a commit
  // survives the process being killed (the WAL is in the OS), only a power
  // loss can take the last commits back.
  if (path != ":memory:") {
    if (auto r = conn->script("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"); !r)
      return std::unexpected(r.error());
  }
  if (auto r = conn->script("PRAGMA foreign_keys=ON;"); !r) return std::unexpected(r.error());
  return conn;
}

}  // namespace sluice::store
