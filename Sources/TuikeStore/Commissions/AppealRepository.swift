import SQLKit
import TuikeCore

/// Appeals (申诉) against a commission or its reversal, and the manual adjustments admins book:
/// a journal entry with a reason and the admin who made it, never an edit of an existing row.
public struct AppealRepository: Sendable {
    let database: any Database

    public init(database: any Database) { self.database = database }

    /// One open appeal per commission; the unique index answers races.
    public func create(commissionID: String, promoterID: String, message: String, at now: Instant) async throws -> Appeal {
        try await database.write { db in
            let id = Identifier.make("apl", at: now)
            let inserted = try await db.first("""
                INSERT INTO appeals (id, promoter_id, commission_id, message, status, created_at)
                VALUES (\(bind: id), \(bind: promoterID), \(bind: commissionID), \(bind: message), 'open', \(bind: now.milliseconds))
                ON CONFLICT DO NOTHING RETURNING id
                """) != nil
            guard inserted else { throw TuikeError(.conflict, code: "appeal_open", "commission \(commissionID) already has an open appeal") }
            try await Outbox.emit(.appealCreated(appealID: id, commissionID: commissionID, promoterID: promoterID), at: now, in: db)
            return try await Self.find(id, in: db).required("appeal", id)
        }
    }

    /// Answers an open appeal, optionally booking an adjustment in the same transaction.
    public func answer(_ id: String, answer: String, adjustment: Int64?, by admin: String, at now: Instant) async throws -> (Appeal, Adjustment?) {
        try await database.write { db in
            guard let appeal = try await Self.find(id, in: db) else { throw TuikeError.notFound("appeal", id) }
            guard appeal.status == .open else { throw TuikeError(.conflict, code: "appeal_answered", "appeal \(id) is answered already") }
            var booked: Adjustment?
            if let adjustment, adjustment != 0 {
                booked = try await Self.book(promoterID: appeal.promoterID, amount: adjustment, reason: "appeal \(id): \(answer)", admin: admin,
                                             appealID: id, at: now, in: db)
            }
            let updated = try await db.first("""
                UPDATE appeals SET status = 'answered', answer = \(bind: answer), answered_by = \(bind: admin), answered_at = \(bind: now.milliseconds),
                    adjustment_id = \(bind: booked?.id)
                WHERE id = \(bind: id) AND status = 'open' RETURNING id
                """) != nil
            guard updated else { throw TuikeError(.conflict, code: "appeal_answered", "appeal \(id) is answered already") }
            try await Outbox.emit(.appealAnswered(appealID: id, promoterID: appeal.promoterID, adjustment: booked?.amount), at: now, in: db)
            return (try await Self.find(id, in: db).required("appeal", id), booked)
        }
    }

    /// A manual adjustment outside an appeal.
    public func adjust(promoterID: String, amount: Int64, reason: String, by admin: String, at now: Instant) async throws -> Adjustment {
        try await database.write { db in
            guard try await db.first("SELECT id FROM promoters WHERE id = \(bind: promoterID)") != nil else { throw TuikeError.notFound("promoter", promoterID) }
            return try await Self.book(promoterID: promoterID, amount: amount, reason: reason, admin: admin, appealID: nil, at: now, in: db)
        }
    }

    static func book(promoterID: String, amount: Int64, reason: String, admin: String, appealID: String?, at now: Instant, in db: any SQLDatabase) async throws -> Adjustment {
        let record = Adjustment(id: Identifier.make("adj", at: now), promoterID: promoterID, amount: amount, reason: reason, admin: admin,
                                      appealID: appealID, createdAt: now)
        try await db.execute("""
            INSERT INTO adjustments (id, promoter_id, amount, reason, admin, appeal_id, created_at)
            VALUES (\(bind: record.id), \(bind: promoterID), \(bind: amount), \(bind: reason), \(bind: admin), \(bind: appealID), \(bind: now.milliseconds))
            """)
        try await JournalRepository.post(.adjustment(promoterID: promoterID, amount: amount), reference: record.id, at: now, in: db)
        try await Outbox.emit(.adjustmentCreated(adjustmentID: record.id, promoterID: promoterID, amount: amount, reason: reason), at: now, in: db)
        return record
    }

    public func find(_ id: String) async throws -> Appeal? {
        try await database.read { db in try await Self.find(id, in: db) }
    }

    public func list(promoterID: String?, status: Appeal.Status?, limit: Int, before: String?) async throws -> [Appeal] {
        try await database.read { db in
            let condition = SQLQueryString.all([
                promoterID.map { "promoter_id = \(bind: $0)" }, status.map { "status = \(bind: $0.rawValue)" }, before.map { "id < \(bind: $0)" },
            ])
            return try await db.rows("SELECT \(unsafeRaw: Self.columns) FROM appeals WHERE \(condition) ORDER BY id DESC LIMIT \(bind: limit)").map(Self.decode)
        }
    }

    public func adjustments(promoterID: String?, limit: Int, before: String?) async throws -> [Adjustment] {
        try await database.read { db in
            let condition = SQLQueryString.all([promoterID.map { "promoter_id = \(bind: $0)" }, before.map { "id < \(bind: $0)" }])
            return try await db.rows("""
                SELECT id, promoter_id, amount, reason, admin, appeal_id, created_at FROM adjustments WHERE \(condition) ORDER BY id DESC LIMIT \(bind: limit)
                """).map { row in
                Adjustment(
                    id: try row.decode(column: "id", as: String.self), promoterID: try row.decode(column: "promoter_id", as: String.self),
                    amount: try row.decode(column: "amount", as: Int64.self), reason: try row.decode(column: "reason", as: String.self),
                    admin: try row.decode(column: "admin", as: String.self), appealID: try row.decode(column: "appeal_id", as: String?.self),
                    createdAt: try row.decodeInstant(column: "created_at"))
            }
        }
    }

    static let columns = "id, promoter_id, commission_id, message, status, answer, answered_by, adjustment_id, created_at, answered_at"

    static func find(_ id: String, in db: any SQLDatabase) async throws -> Appeal? {
        try await db.first("SELECT \(unsafeRaw: columns) FROM appeals WHERE id = \(bind: id)").map(decode)
    }

    static func decode(_ row: any SQLRow) throws -> Appeal {
        Appeal(
            id: try row.decode(column: "id", as: String.self), promoterID: try row.decode(column: "promoter_id", as: String.self),
            commissionID: try row.decode(column: "commission_id", as: String.self), message: try row.decode(column: "message", as: String.self),
            status: try row.decodeEnum(column: "status", as: Appeal.Status.self), answer: try row.decode(column: "answer", as: String?.self),
            answeredBy: try row.decode(column: "answered_by", as: String?.self), adjustmentID: try row.decode(column: "adjustment_id", as: String?.self),
            createdAt: try row.decodeInstant(column: "created_at"), answeredAt: try row.decodeOptionalInstant(column: "answered_at"))
    }
}
