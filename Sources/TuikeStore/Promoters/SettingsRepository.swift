import SQLKit
import TuikeCore

/// Small named values the server keeps between starts (the sandbox clock offset, for one).
public struct SettingsRepository: Sendable {
    let database: any Database

    public init(database: any Database) { self.database = database }

    public func value(_ key: String) async throws -> String? {
        try await database.read { db in
            try await db.first("SELECT value FROM settings WHERE key = \(bind: key)")?.decode(column: "value", as: String.self)
        }
    }

    /// Stores `value` unless the key has one, and returns the stored value: several instances
    /// starting at once agree on one generated secret.
    public func valueOrSet(_ key: String, to value: String, at now: Instant) async throws -> String {
        try await database.write { db in
            try await db.execute("""
                INSERT INTO settings (key, value, updated_at) VALUES (\(bind: key), \(bind: value), \(bind: now.milliseconds))
                ON CONFLICT (key) DO NOTHING
                """)
            return try await db.one("SELECT value FROM settings WHERE key = \(bind: key)").decode(column: "value", as: String.self)
        }
    }

    public func set(_ key: String, to value: String, at now: Instant) async throws {
        try await database.write { db in
            try await db.execute("""
                INSERT INTO settings (key, value, updated_at) VALUES (\(bind: key), \(bind: value), \(bind: now.milliseconds))
                ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
                """)
        }
    }
}
