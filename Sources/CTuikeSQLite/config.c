#include "CTuikeSQLite.h"

/* Declared here rather than included: SQLiteNIO's vendored header is not a product we can depend on.
   The symbol is linked through SQLiteNIO. 1007 is SQLITE_DBCONFIG_ENABLE_QPSG. */
int sqlite_nio_sqlite3_db_config(void *db, int op, ...);

int tuike_sqlite_enable_qpsg(void *db) {
    int enabled = 0;
    return sqlite_nio_sqlite3_db_config(db, 1007, 1, &enabled);
}

/* 26 is SQLITE_CONFIG_STMTJRNL_SPILL. */
int sqlite_nio_sqlite3_config(int op, ...);

int tuike_sqlite_set_statement_journal_spill(int bytes) {
    return sqlite_nio_sqlite3_config(26, bytes);
}

int sqlite_nio_sqlite3_wal_hook(void *db, int (*callback)(void *, void *, const char *, int), void *context);

static int tuike_sqlite_note_wal_frames(void *context, void *db, const char *name, int frames) {
    (void)db;
    (void)name;
    *(int *)context = frames;
    return 0;
}

void tuike_sqlite_track_wal_frames(void *db, int *frames) {
    sqlite_nio_sqlite3_wal_hook(db, tuike_sqlite_note_wal_frames, frames);
}
