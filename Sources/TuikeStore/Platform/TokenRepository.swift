import Crypto
import Foundation
import SQLKit
import TuikeCore

/// Bearer tokens. Only the SHA-256 of a token is stored: tokens are 256-bit random strings, so a
/// fast hash is as safe as a slow one here and costs nothing per request (bcrypt is for passwords).
public struct TokenRepository: Sendable {
    let database: any Database

    public init(database: any Database) { self.database = database }

    public static func hash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Creates a token and returns its plain text, which is never stored.
    public func issue(role: String, subjectID: String?, label: String, at now: Instant) async throws -> String {
        let token = (role == "admin" ? "tka_" : "tkp_") + Identifier.secret(length: 43)
        try await store(token: token, role: role, subjectID: subjectID, label: label, at: now)
        return token
    }

    /// Registers a token chosen by the operator (`--admin-token`); registering it again is a no-op.
    public func store(token: String, role: String, subjectID: String?, label: String, at now: Instant) async throws {
        let id = Identifier.make("tok", at: now)
        let hash = Self.hash(token)
        try await database.write { db in
            try await db.execute("""
                INSERT INTO api_tokens (id, token_hash, role, subject_id, label, created_at)
                VALUES (\(bind: id), \(bind: hash), \(bind: role), \(bind: subjectID), \(bind: label), \(bind: now.milliseconds))
                ON CONFLICT (token_hash) DO NOTHING
                """)
        }
    }

    public func principal(for token: String) async throws -> Principal? {
        let hash = Self.hash(token)
        return try await database.read { db -> Principal? in
            guard let row = try await db.first("""
                SELECT id, role, subject_id FROM api_tokens WHERE token_hash = \(bind: hash) AND revoked_at IS NULL
                """) else { return nil }
            let id = try row.decode(column: "id", as: String.self)
            switch try row.decode(column: "role", as: String.self) {
            case "admin": return .admin(tokenID: id)
            case "promoter":
                guard let subject = try row.decode(column: "subject_id", as: String?.self) else { return nil }
                return .promoter(promoterID: subject, tokenID: id)
            default: return nil
            }
        }
    }

    public func activeAdminTokenCount() async throws -> Int64 {
        try await database.read { db in
            try await db.one("SELECT COUNT(*) AS n FROM api_tokens WHERE role = 'admin' AND revoked_at IS NULL")
                .decode(column: "n", as: Int64.self)
        }
    }
}
