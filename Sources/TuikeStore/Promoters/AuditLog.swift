import Foundation
import SQLKit
import TuikeCore

/// The audit trail: who did what to whom. Rows are immutable (database triggers).
public enum AuditLog {
    public static func append(actor: String, action: String, subject: String, detail: String, at now: Instant, in db: any SQLDatabase) async throws {
        try await db.execute("""
            INSERT INTO audit_log (id, actor, action, subject, detail, at)
            VALUES (\(bind: Identifier.make("aud", at: now)), \(bind: actor), \(bind: action), \(bind: subject), \(bind: detail), \(bind: now.milliseconds))
            """)
    }

    public struct Entry: Sendable, Equatable {
        public let actor: String
        public let action: String
        public let detail: String
        public let at: Instant
    }

    public static func entries(subject: String, database: any Database) async throws -> [Entry] {
        try await database.read { db in
            try await db.rows("SELECT actor, action, detail, at FROM audit_log WHERE subject = \(bind: subject) ORDER BY id").map { row in
                Entry(actor: try row.decode(column: "actor", as: String.self), action: try row.decode(column: "action", as: String.self),
                      detail: try row.decode(column: "detail", as: String.self), at: try row.decodeInstant(column: "at"))
            }
        }
    }
}
