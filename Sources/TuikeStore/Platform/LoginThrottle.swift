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
/// Failed logins are counted per account *and* address (5 a window), per address (50) and per
/// account from everywhere (100), in that order, and an attempt refused by one count is not
/// counted by the next: guesses from one address stop at five and never reach the account's
/// count, so they cannot lock the owner out, who logs in from another address with a pair count
/// of its own. Only guesses from twenty addresses or more hold an account back. IPv6 addresses
/// count by their /64 (`AddressRanges.limitKey`).
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
        let address = address.map(AddressRanges.limitKey)
        var limits = [("pair:\(account)|\(address ?? "")", perAccountAndAddress)]
        if let address { limits.append(("address:\(address)", perAddress)) }
        limits.append(("account:\(account)", perAccount))
        return try await count(limits, at: now)
    }

    /// Counts a public application for `phone` from `address`; false when either is over its limit.
    public func allowApplication(phone: String, address: String?, at now: Instant) async throws -> Bool {
        var limits = [("apply-phone:\(phone)", applicationsPerPhone)]
        if let address { limits.append(("apply-address:\(AddressRanges.limitKey(address))", applicationsPerAddress)) }
        return try await count(limits, at: now)
    }

    /// Seconds until the current window ends: what a refused caller is told to wait.
    public func retryAfter(at now: Instant) -> Int64 {
        windowSeconds - (now.milliseconds / 1000) % windowSeconds
    }

    private func count(_ limits: [(String, Int64)], at now: Instant) async throws -> Bool {
        let windowStart = now.milliseconds - now.milliseconds % (windowSeconds * 1000)
        return try await database.write { db in
            for (subject, limit) in limits {
                let row = try await db.first("""
                    INSERT INTO login_attempts (subject, window_start, attempts) VALUES (\(bind: Self.digest(subject)), \(bind: windowStart), 1)
                    ON CONFLICT (subject) DO UPDATE SET
                        attempts = CASE WHEN login_attempts.window_start = excluded.window_start THEN login_attempts.attempts + 1 ELSE 1 END,
                        window_start = excluded.window_start
                    RETURNING attempts
                    """)
                let count = try row?.decode(column: "attempts", as: Int64.self) ?? Int64.max
                // Refused here: the later counts do not see this attempt.
                if count > limit { return false }
            }
            return true
        }
    }

    /// A successful login from `address`: that pair starts afresh, and the attempt is taken back
    /// from the address's and the account's counts, so that only failures fill them (earlier
    /// failures stay counted: a success cannot wipe someone else's guesses).
    public func succeeded(account: String, address: String?) async throws {
        let address = address.map(AddressRanges.limitKey)
        try await database.write { db in
            try await db.execute("DELETE FROM login_attempts WHERE subject = \(bind: Self.digest("pair:\(account)|\(address ?? "")"))")
            var others = [Self.digest("account:\(account)")]
            if let address { others.append(Self.digest("address:\(address)")) }
            try await db.execute("""
                UPDATE login_attempts SET attempts = attempts - 1 WHERE attempts > 0 AND subject IN (\(SQLList(others.map { SQLBind($0) })))
                """)
        }
    }

    static func digest(_ text: String) -> String {
        Digest.sha256Hex(text)
    }
}
