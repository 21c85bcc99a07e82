#pragma once
/// The store's schema, as numbered migrations applied in order at start
/// (and by `sluice migrate`). One schema for SQLite and PostgreSQL: types
/// both accept (BIGINT, DOUBLE PRECISION, TEXT), times as unix milliseconds.
/// A database whose schema is newer than this sluice is refused: an older
/// binary must not write into tables it does not know.
#include "sluice/config/config.h"
#include "sluice/store/sql_connection.h"

namespace sluice::store {

/// The schema version this sluice writes.
int current_schema_version();

/// The version the database is at: 0 for an empty database.
Result<int> schema_version(SqlConnection& db);

/// What migrate() did.
struct MigrationReport {
  int from = 0;
  int to = 0;
};

/// Applies every migration above the database's version, each in its own
/// transaction; refuses a database newer than current_schema_version().
Result<MigrationReport> migrate(SqlConnection& db);

/// Whether the store of `config` can be used, without writing anything: a
/// SQLite file that does not exist yet must be creatable; an existing one,
/// or PostgreSQL, must answer and not be newer than this sluice. Says what
/// it found ("sqlite:/x/sluice.db, schema version 1").
Result<std::string> check_store(const config::StoreConfig& config, std::string_view base_dir);

}  // namespace sluice::store
