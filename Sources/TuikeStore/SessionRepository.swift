import Crypto
import Foundation
import SQLKit
import TuikeCore

/// Browser sessions and promoters' passwords. A session token is 32 random characters in an
/// HttpOnly cookie; the table holds its SHA-256 only.
public struct SessionRepository: Sendable {
    let database: any Database
    let cipher: FieldCipher

    public init(database: any Database, cipher: FieldCipher) {
        self.database = database
        self.cipher = cipher
    }

    public static let lifetimeSeconds: Int64 = 7 * 86_400

    public struct Session: Sendable, Equatable {
        public let kind: String
        public let subjectID: String
    }

    static func digest(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Stores a password hash (made by the caller, bcrypt) for a promoter.
    public func setPassword(promoterID: String, hash: String) async throws {
        try await database.write { db in
            guard try await db.first("UPDATE promoters SET password_hash = \(bind: hash) WHERE id = \(bind: promoterID) RETURNING id") != nil else {
                throw TuikeError.notFound("promoter", promoterID)
            }
        }
    }

    /// The promoter with this phone number and its password hash, if it has set one.
    public func credentials(phone raw: String) async throws -> (promoterID: String, status: String, hash: String)? {
        guard let phone = Phone.normalize(raw) else { return nil }
        let hash = cipher.hash(phone)
        return try await database.read { db in
            guard let row = try await db.first("SELECT id, status, password_hash FROM promoters WHERE phone_hash = \(bind: hash)"),
                  let password = try row.decode(column: "password_hash", as: String?.self) else { return nil }
            return (try row.decode(column: "id", as: String.self), try row.decode(column: "status", as: String.self), password)
        }
    }

    public func open(kind: String, subjectID: String, at now: Instant) async throws -> String {
        let token = Identifier.secret(length: 32)
        try await database.write { db in
            try await db.execute("DELETE FROM web_sessions WHERE expires_at < \(bind: now.milliseconds)")
            try await db.execute("""
                INSERT INTO web_sessions (token_hash, kind, subject_id, created_at, expires_at)
                VALUES (\(bind: Self.digest(token)), \(bind: kind), \(bind: subjectID), \(bind: now.milliseconds),
                        \(bind: now.adding(seconds: Self.lifetimeSeconds).milliseconds))
                """)
        }
        return token
    }

    public func find(token: String, at now: Instant) async throws -> Session? {
        try await database.read { db in
            try await db.first("""
                SELECT kind, subject_id FROM web_sessions WHERE token_hash = \(bind: Self.digest(token)) AND expires_at > \(bind: now.milliseconds)
                """).map { Session(kind: try $0.decode(column: "kind", as: String.self), subjectID: try $0.decode(column: "subject_id", as: String.self)) }
        }
    }

    public func close(token: String) async throws {
        try await database.write { db in try await db.execute("DELETE FROM web_sessions WHERE token_hash = \(bind: Self.digest(token))") }
    }
}
