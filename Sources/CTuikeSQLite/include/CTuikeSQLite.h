#ifndef CTUIKE_SQLITE_H
#define CTUIKE_SQLITE_H

/// Turns on SQLite's query planner stability guarantee (SQLITE_DBCONFIG_ENABLE_QPSG) for one
/// connection of the SQLite library that SQLiteNIO links. Without it SQLite re-prepares a cached
/// statement whenever a bound value that the planner looked at changes, which for our statements
/// meant on every execution. `sqlite3_db_config` is variadic, which Swift cannot call, hence C.
/// Returns SQLite's result code.
int tuike_sqlite_enable_qpsg(void *db);

/// Sets how large a statement journal (which also holds each savepoint's undo pages) may grow in
/// memory before SQLite moves it to a temporary file (SQLITE_CONFIG_STMTJRNL_SPILL, default 64 KiB;
/// below 128 KiB, see SQLiteHandle).
/// Process-wide, and only before SQLite is initialised; returns SQLite's result code.
int tuike_sqlite_set_statement_journal_spill(int bytes);

/// After every commit on `db`, stores in `*frames` how many frames the write-ahead log holds
/// (sqlite3_wal_hook; it replaces the automatic checkpoint, which Tuike turns off anyway).
/// `frames` must stay valid until the connection closes.
void tuike_sqlite_track_wal_frames(void *db, int *frames);

#endif
