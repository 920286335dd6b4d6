/// Migration 6: logins for the web: promoters' passwords, console users with roles, and
/// browser sessions.
enum WebMigration {
    static let migration = Migration(version: 6, name: "web_sessions", statements: [
        "ALTER TABLE promoters ADD COLUMN password_hash TEXT",
        // Only a SHA-256 of the session token is stored, so a copy of the database opens no session.
        """
        CREATE TABLE web_sessions (
            token_hash TEXT PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('promoter', 'admin')),
            subject_id TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            expires_at BIGINT NOT NULL
        )
        """,
        "CREATE INDEX web_sessions_by_expiry ON web_sessions (expires_at)",
        // Console users: owners do everything, finance alone approves withdrawals, operators run
        // the catalog, promoters and groups.
        """
        CREATE TABLE admin_users (
            id TEXT PRIMARY KEY,
            username TEXT NOT NULL UNIQUE,
            password_hash TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('owner', 'finance', 'operator')),
            created_at BIGINT NOT NULL
        )
        """,
    ])
}
