#pragma once
/// One connection to the database behind the store: SQLite (embedded) or
/// PostgreSQL. Statements are written once, in the SQL both understand, with
/// parameters `$1`, `$2`, … always bound (never spliced into the text).
///
/// Thread-safety: a connection is used by one thread at a time.
#include <cstdint>
#include <expected>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace sluice::store {

/// NULL, an integer, a real, or text.
using SqlValue = std::variant<std::monostate, std::int64_t, double, std::string>;
using SqlRow = std::vector<SqlValue>;

struct StoreError {
  std::string message;
  /// The database could not be reached (as opposed to a refused statement):
  /// worth retrying later.
  bool unreachable = false;
  /// The row exists already (an insert under a taken id).
  bool conflict = false;
};

template <typename T>
using Result = std::expected<T, StoreError>;

enum class Dialect { kSqlite, kPostgres };

class SqlConnection {
 public:
  virtual ~SqlConnection() = default;
  virtual Dialect dialect() const = 0;
  /// Runs one statement with `params` bound to $1..$n; the rows it returns
  /// (none for statements that return none).
  virtual Result<std::vector<SqlRow>> query(std::string_view sql, std::span<const SqlValue> params = {}) = 0;
  /// Runs a script of statements without parameters (migrations).
  virtual Result<void> script(std::string_view sql) = 0;
  /// Where it is connected, without credentials, for messages.
  virtual std::string describe() const = 0;
};

/// Opens (creating if missing) the SQLite file at `path` in WAL mode;
/// ":memory:" is a private in-memory database.
Result<std::unique_ptr<SqlConnection>> open_sqlite(const std::string& path);
/// Connects to PostgreSQL with a libpq URI or conninfo string.
Result<std::unique_ptr<SqlConnection>> open_postgres(const std::string& conninfo);

/// Opens the store URL of the config: "sqlite:PATH" (a relative PATH is
/// relative to `base_dir`), "sqlite::memory:", "postgres://…" or
/// "postgresql://…".
Result<std::unique_ptr<SqlConnection>> open_url(std::string_view url, std::string_view base_dir);

/// Accessors for result cells: NULL reads as 0 or "".
std::int64_t as_int(const SqlValue& v);
double as_double(const SqlValue& v);
std::string as_text(const SqlValue& v);
bool is_null(const SqlValue& v);

}  // namespace sluice::store
