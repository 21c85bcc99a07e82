// Opening a store by URL, and reading result cells.
#include <fmt/format.h>

#include <cstdlib>

#include "sluice/store/sql_connection.h"

namespace sluice::store {

Result<std::unique_ptr<SqlConnection>> open_url(std::string_view url, std::string_view base_dir) {
  if (url.starts_with("postgres://") || url.starts_with("postgresql://")) return open_postgres(std::string(url));
  if (url.starts_with("sqlite:")) {
    std::string path(url.substr(7));
    if (path.empty()) return std::unexpected(StoreError{"store url \"sqlite:\" names no file"});
    if (path != ":memory:" && path.front() != '/' && !base_dir.empty()) path = std::string(base_dir) + "/" + path;
    return open_sqlite(path);
  }
  return std::unexpected(StoreError{fmt::format(
      "store url \"{}\": expected sqlite:PATH, sqlite::memory: or postgresql://user@host:port/db", url)});
}

std::int64_t as_int(const SqlValue& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v)) return *i;
  if (const auto* d = std::get_if<double>(&v)) return static_cast<std::int64_t>(*d);
  if (const auto* s = std::get_if<std::string>(&v)) return std::strtoll(s->c_str(), nullptr, 10);
  return 0;
}

double as_double(const SqlValue& v) {
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
  if (const auto* s = std::get_if<std::string>(&v)) return std::strtod(s->c_str(), nullptr);
  return 0;
}

std::string as_text(const SqlValue& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  if (const auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&v)) return fmt::format("{}", *d);
  return "";
}

bool is_null(const SqlValue& v) { return std::holds_alternative<std::monostate>(v); }

}  // namespace sluice::store
