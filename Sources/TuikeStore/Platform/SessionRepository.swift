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
        Digest.sha256Hex(token)
    }

    /// Stores a password hash (made by the caller, bcrypt) for a promoter and ends every portal
    /// session it had: whoever knew the old password is signed out.
    public func setPassword(promoterID: String, hash: String) async throws {
        try await database.write { db in
            guard try await db.first("UPDATE promoters SET password_hash = \(bind: hash) WHERE id = \(bind: promoterID) RETURNING id") != nil else {
                throw TuikeError.notFound("promoter", promoterID)
            }
            try await Self.revoke(kind: "promoter", subjectID: promoterID, in: db)
        }
    }

    /// Ends every session of one promoter or console user, inside the caller's transaction.
    static func revoke(kind: String, subjectID: String, in db: any SQLDatabase) async throws {
        try await db.execute("DELETE FROM web_sessions WHERE kind = \(bind: kind) AND subject_id = \(bind: subjectID)")
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

    public struct AdminUser: Sendable, Equatable {
        public let id: String
        public let username: String
        public let role: String
    }

    public static let roles = ["owner", "finance", "operator"]

    /// Creates a console user; a taken username is 409.
    public func createAdmin(username: String, passwordHash: String, role: String, at now: Instant) async throws -> AdminUser {
        let user = AdminUser(id: Identifier.make("adm", at: now), username: username, role: role)
        try await database.write { db in
            guard try await db.first("""
                INSERT INTO admin_users (id, username, password_hash, role, created_at)
                VALUES (\(bind: user.id), \(bind: username), \(bind: passwordHash), \(bind: role), \(bind: now.milliseconds))
                ON CONFLICT DO NOTHING RETURNING id
                """) != nil else { throw TuikeError(.conflict, code: "username_taken", "username \(username) is taken") }
        }
        return user
    }

    /// Changes a console user's role or password hash (either may be nil), ending every session
    /// the user has open, so a lowered role or a leaked password stops working at once; nil when
    /// there is no such user.
    public func updateAdmin(id: String, role: String?, passwordHash: String?) async throws -> AdminUser? {
        try await database.write { db in
            guard let row = try await db.first("""
                UPDATE admin_users SET role = COALESCE(\(bind: role), role), password_hash = COALESCE(\(bind: passwordHash), password_hash)
                WHERE id = \(bind: id) RETURNING id, username, role
                """) else { return nil }
            try await Self.revoke(kind: "admin", subjectID: id, in: db)
            return AdminUser(id: try row.decode(column: "id", as: String.self), username: try row.decode(column: "username", as: String.self),
                             role: try row.decode(column: "role", as: String.self))
        }
    }

    /// Removes a console user and its sessions; false when there is no such user. Its username is
    /// free again afterwards.
    public func removeAdmin(id: String) async throws -> Bool {
        try await database.write { db in
            try await Self.revoke(kind: "admin", subjectID: id, in: db)
            return try await db.first("DELETE FROM admin_users WHERE id = \(bind: id) RETURNING id") != nil
        }
    }

    public func admin(username: String) async throws -> (user: AdminUser, hash: String)? {
        try await database.read { db in
            try await db.first("SELECT id, username, role, password_hash FROM admin_users WHERE username = \(bind: username)").map {
                (AdminUser(id: try $0.decode(column: "id", as: String.self), username: try $0.decode(column: "username", as: String.self),
                           role: try $0.decode(column: "role", as: String.self)), try $0.decode(column: "password_hash", as: String.self))
            }
        }
    }

    public func admin(id: String) async throws -> AdminUser? {
        try await database.read { db in
            try await db.first("SELECT id, username, role FROM admin_users WHERE id = \(bind: id)").map {
                AdminUser(id: try $0.decode(column: "id", as: String.self), username: try $0.decode(column: "username", as: String.self),
                          role: try $0.decode(column: "role", as: String.self))
            }
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
