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

/// Counts attempts in fixed windows, in the database, so the limits hold across instances and
/// under concurrent attempts: each attempt is counted by one upsert that returns the count
/// *before* the password is checked (or the application is taken), and a success clears it.
///
/// Logins are counted per account *and* address (5 a window), per address (50) and per account
/// from everywhere (100). Guesses from one address are stopped after five without locking the
/// account's owner out: the owner logs in from another address, whose pair count is its own.
/// Only many addresses together (over 100 guesses a window) hold an account back.
public struct LoginThrottle: Sendable {
    let database: any Database
    public let perAccountAndAddress: Int64
    public let perAddress: Int64
    public let perAccount: Int64
    public let windowSeconds: Int64
    /// Public promoter applications per address and per phone in one window.
    public let applicationsPerAddress: Int64
    public let applicationsPerPhone: Int64

    public init(database: any Database, perAccountAndAddress: Int64 = 5, perAddress: Int64 = 50, perAccount: Int64 = 100,
                windowSeconds: Int64 = 900, applicationsPerAddress: Int64 = 10, applicationsPerPhone: Int64 = 3) {
        self.database = database
        self.perAccountAndAddress = perAccountAndAddress
        self.perAddress = perAddress
        self.perAccount = perAccount
        self.windowSeconds = windowSeconds
        self.applicationsPerAddress = applicationsPerAddress
        self.applicationsPerPhone = applicationsPerPhone
    }

    /// Counts a login attempt on `account` (e.g. `admin:finance`) from `address`; false when any
    /// count is over its limit in the current window, and then the password must not be checked.
    public func allow(account: String, address: String?, at now: Instant) async throws -> Bool {
        var limits = [("account:\(account)", perAccount), ("pair:\(account)|\(address ?? "")", perAccountAndAddress)]
        if let address { limits.append(("address:\(address)", perAddress)) }
        return try await count(limits, at: now)
    }

    /// Counts a public application for `phone` from `address`; false when either is over its limit.
    public func allowApplication(phone: String, address: String?, at now: Instant) async throws -> Bool {
        var limits = [("apply-phone:\(phone)", applicationsPerPhone)]
        if let address { limits.append(("apply-address:\(address)", applicationsPerAddress)) }
        return try await count(limits, at: now)
    }

    /// Seconds until the current window ends: what a refused caller is told to wait.
    public func retryAfter(at now: Instant) -> Int64 {
        windowSeconds - (now.milliseconds / 1000) % windowSeconds
    }

    private func count(_ limits: [(String, Int64)], at now: Instant) async throws -> Bool {
        let windowStart = now.milliseconds - now.milliseconds % (windowSeconds * 1000)
        return try await database.write { db in
            var allowed = true
            for (subject, limit) in limits {
                let row = try await db.first("""
                    INSERT INTO login_attempts (subject, window_start, attempts) VALUES (\(bind: Self.digest(subject)), \(bind: windowStart), 1)
                    ON CONFLICT (subject) DO UPDATE SET
                        attempts = CASE WHEN login_attempts.window_start = excluded.window_start THEN login_attempts.attempts + 1 ELSE 1 END,
                        window_start = excluded.window_start
                    RETURNING attempts
                    """)
                let count = try row?.decode(column: "attempts", as: Int64.self) ?? Int64.max
                allowed = allowed && count <= limit
            }
            return allowed
        }
    }

    /// A successful login from `address`: that pair starts afresh (the account's and the
    /// address's counts stay, so a success cannot be used to reset someone else's guesses).
    public func succeeded(account: String, address: String?) async throws {
        try await database.write { db in
            try await db.execute("DELETE FROM login_attempts WHERE subject = \(bind: Self.digest("pair:\(account)|\(address ?? "")"))")
        }
    }

    static func digest(_ text: String) -> String {
        Digest.sha256Hex(text)
    }
}
