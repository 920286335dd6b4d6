/// Migration 6: logins for the web (F11): promoters' passwords and browser sessions.
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
    ])
}
