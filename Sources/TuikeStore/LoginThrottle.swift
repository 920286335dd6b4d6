import Crypto
import Foundation
import SQLKit
import TuikeCore

/// Migration 7: login attempts per account and per address, so passwords cannot be guessed at
/// speed. Only SHA-256 digests of what is counted are stored (phone numbers stay out of it).
enum LoginThrottleMigration {
    static let migration = Migration(version: 7, name: "login_throttle", statements: [
        """
        CREATE TABLE login_attempts (
            subject TEXT PRIMARY KEY,
            window_start BIGINT NOT NULL,
            attempts BIGINT NOT NULL
        )
        """,
    ])
}

/// Counts login attempts in fixed windows, in the database, so the limit holds across instances
/// and under concurrent attempts: each attempt is counted by one upsert that returns the count
/// *before* the password is checked, and a success clears the count.
public struct LoginThrottle: Sendable {
    let database: any Database
    /// Attempts allowed per window for one account, and for one client address.
    public let perAccount: Int64
    public let perAddress: Int64
    public let windowSeconds: Int64

    public init(database: any Database, perAccount: Int64 = 5, perAddress: Int64 = 50, windowSeconds: Int64 = 900) {
        self.database = database
        self.perAccount = perAccount
        self.perAddress = perAddress
        self.windowSeconds = windowSeconds
    }

    /// Counts an attempt on `account` (e.g. `admin:finance`) from `address`; false when either is
    /// over its limit in the current window, and then the password must not be checked.
    public func allow(account: String, address: String?, at now: Instant) async throws -> Bool {
        let windowStart = now.milliseconds - now.milliseconds % (windowSeconds * 1000)
        let subjects = [(Self.digest("account:\(account)"), perAccount)] + (address.map { [(Self.digest("address:\($0)"), perAddress)] } ?? [])
        return try await database.write { db in
            var allowed = true
            for (subject, limit) in subjects {
                let count = try await db.first("""
                    INSERT INTO login_attempts (subject, window_start, attempts) VALUES (\(bind: subject), \(bind: windowStart), 1)
                    ON CONFLICT (subject) DO UPDATE SET
                        attempts = CASE WHEN login_attempts.window_start = excluded.window_start THEN login_attempts.attempts + 1 ELSE 1 END,
                        window_start = excluded.window_start
                    RETURNING attempts
                    """)!.decode(column: "attempts", as: Int64.self)
                allowed = allowed && count <= limit
            }
            return allowed
        }
    }

    /// A successful login: the account starts afresh (the address keeps its count).
    public func succeeded(account: String) async throws {
        try await database.write { db in
            try await db.execute("DELETE FROM login_attempts WHERE subject = \(bind: Self.digest("account:\(account)"))")
        }
    }

    static func digest(_ text: String) -> String {
        Digest.sha256Hex(text)
    }
}
