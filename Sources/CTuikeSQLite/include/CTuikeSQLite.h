#ifndef CTUIKE_SQLITE_H
#define CTUIKE_SQLITE_H

/// Turns on SQLite's query planner stability guarantee (SQLITE_DBCONFIG_ENABLE_QPSG) for one
/// connection of the SQLite library that SQLiteNIO links. Without it SQLite re-prepares a cached
/// statement whenever a bound value that the planner looked at changes, which for our statements
/// meant on every execution. `sqlite3_db_config` is variadic, which Swift cannot call, hence C.
/// Returns SQLite's result code.
int tuike_sqlite_enable_qpsg(void *db);

#endif
