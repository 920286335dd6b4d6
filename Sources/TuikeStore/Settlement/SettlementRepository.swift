import Foundation
import SQLKit
import TuikeCore

public struct SettlementRepository: Sendable {
    let database: any Database

    public init(database: any Database) { self.database = database }

    /// Settles the period in one transaction and returns the batch, or the existing batch of that
    /// period (`created: false`) without booking anything again. Retroactive tier ladders of months
    /// that closed by `periodEnd` are booked first, so their adjustments settle in this batch.
    public func settle(periodEnd: Instant, trigger: SettlementBatch.Trigger, settings: ProgramSettings, at now: Instant) async throws -> (batch: SettlementBatch, created: Bool) {
        guard periodEnd <= now else { throw TuikeError.validation("period_end must not be in the future") }
        let dialect = database.dialect
        return try await database.write { db in
            // Settlements take turns across instances; SQLite's single writer does this already.
            if dialect.kind == .postgres { try await db.execute("SELECT pg_advisory_xact_lock(7368758)") }
            if let existing = try await Self.batch(where: "period_end = \(bind: periodEnd.milliseconds)", in: db) { return (existing, false) }
            try await TierLadderClose.closeMonths(through: periodEnd, settings: settings, dialect: dialect, at: now, in: db)

            let id = Identifier.make("stl", at: now)
            try await db.execute("""
                UPDATE commissions SET status = 'settled', settlement_id = \(bind: id)
                WHERE status = 'pending' AND eligible_at <= \(bind: periodEnd.milliseconds)
                """)
            let settled = try await db.rows("""
                SELECT promoter_id, CAST(SUM(amount - reversed) AS BIGINT) AS gross, COUNT(*) AS n FROM commissions
                WHERE settlement_id = \(bind: id) GROUP BY promoter_id ORDER BY promoter_id
                """).map { (promoterID: try $0.decode(column: "promoter_id", as: String.self), gross: try $0.decode(column: "gross", as: Int64.self),
                            commissions: try $0.decode(column: "n", as: Int64.self)) }
            let plan = try SettlementPlan(id: id, periodEnd: periodEnd, trigger: trigger, taxMode: settings.taxMode, settled: settled, now: now)
            let (batch, lines) = (plan.batch, plan.lines)
            try await db.execute("""
                INSERT INTO settlements (id, period_end, trigger, tax_mode, gross, tax, net, promoter_count, commission_count, created_at)
                VALUES (\(bind: id), \(bind: periodEnd.milliseconds), \(bind: trigger.rawValue), \(bind: batch.taxMode), \(bind: batch.gross),
                        \(bind: batch.tax), \(bind: batch.net), \(bind: batch.promoterCount), \(bind: batch.commissionCount), \(bind: now.milliseconds))
                """)
            for chunk in lines.chunked(by: 400) {
                var insert = db.insert(into: "settlement_lines").columns("settlement_id", "promoter_id", "gross", "tax", "net", "commission_count")
                for line in chunk {
                    insert = insert.values([SQLBind(id), SQLBind(line.promoterID), SQLBind(line.gross), SQLBind(line.tax), SQLBind(line.net),
                                            SQLBind(line.commissionCount)] as [any SQLExpression])
                }
                try await insert.run()
            }
            let entries = plan.entries.map { (id: Identifier.make("jrn", at: now), entry: $0.entry, reference: $0.reference) }
            try await JournalRepository.insert(entries, at: now, in: db)
            try await Outbox.emit(plan.event, at: now, in: db)
            return (batch, true)
        }
    }

    public func find(_ id: String) async throws -> SettlementBatch? {
        try await database.read { db in try await Self.batch(where: "id = \(bind: id)", in: db) }
    }

    /// Newest first; `from` / `to` bound the creation time (`[from, to)`).
    public func list(from: Instant? = nil, to: Instant? = nil, limit: Int?, before: String?) async throws -> [SettlementBatch] {
        try await database.read { db in
            let condition = SQLQueryString.all([
                before.map { "id < \(bind: $0)" }, from.map { "created_at >= \(bind: $0.milliseconds)" }, to.map { "created_at < \(bind: $0.milliseconds)" },
            ])
            return try await db.rows("""
                SELECT \(unsafeRaw: Self.columns) FROM settlements WHERE \(condition) ORDER BY id DESC \(unsafeRaw: limit.map { "LIMIT \($0)" } ?? "")
                """).map(Self.decode)
        }
    }

    /// A batch's lines, by promoter.
    /// A batch's lines by promoter: a page of `limit` after the promoter `after`.
    public func lines(settlementID: String, after: String? = nil, limit: Int? = nil) async throws -> [Statement] {
        try await statements(where: .all(["l.settlement_id = \(bind: settlementID)", after.map { "l.promoter_id > \(bind: $0)" }]),
                             order: "l.promoter_id", limit: limit)
    }

    /// A promoter's statements, newest first.
    public func statements(promoterID: String, limit: Int, before: String?) async throws -> [Statement] {
        try await statements(where: .all(["l.promoter_id = \(bind: promoterID)", before.map { "l.settlement_id < \(bind: $0)" }]),
                             order: "l.settlement_id DESC", limit: limit)
    }

    public func statement(settlementID: String, promoterID: String) async throws -> Statement? {
        try await statements(where: "l.settlement_id = \(bind: settlementID) AND l.promoter_id = \(bind: promoterID)", order: "l.promoter_id", limit: 1).first
    }

    /// Statements of batches created in `[from, to)` (or of one batch), oldest batch first, by
    /// promoter: a page of `limit` after the statement `after` (CSV exports read page by page).
    public func statements(from: Instant, to: Instant, settlementID: String? = nil, after: Statement?, limit: Int) async throws -> [Statement] {
        let scope: SQLQueryString = settlementID.map { "l.settlement_id = \(bind: $0)" }
            ?? "s.created_at >= \(bind: from.milliseconds) AND s.created_at < \(bind: to.milliseconds)"
        return try await statements(where: .all([
            scope, after.map { "(l.settlement_id > \(bind: $0.settlementID) OR (l.settlement_id = \(bind: $0.settlementID) AND l.promoter_id > \(bind: $0.promoterID)))" },
        ]), order: "l.settlement_id, l.promoter_id", limit: limit)
    }

    private func statements(where condition: SQLQueryString, order: String, limit: Int?) async throws -> [Statement] {
        try await database.read { db in
            try await db.rows("""
                SELECT l.settlement_id, s.period_end, l.promoter_id, l.gross, l.tax, l.net, l.commission_count, s.created_at
                FROM settlement_lines l JOIN settlements s ON s.id = l.settlement_id
                WHERE \(condition) ORDER BY \(unsafeRaw: order) \(unsafeRaw: limit.map { "LIMIT \($0)" } ?? "")
                """).map { row in
                Statement(
                    settlementID: try row.decode(column: "settlement_id", as: String.self), periodEnd: try row.decodeInstant(column: "period_end"),
                    promoterID: try row.decode(column: "promoter_id", as: String.self), gross: try row.decode(column: "gross", as: Int64.self),
                    tax: try row.decode(column: "tax", as: Int64.self), net: try row.decode(column: "net", as: Int64.self),
                    commissionCount: try row.decode(column: "commission_count", as: Int64.self), createdAt: try row.decodeInstant(column: "created_at"))
            }
        }
    }

    static let columns = "id, period_end, trigger, tax_mode, gross, tax, net, promoter_count, commission_count, created_at"

    static func batch(where condition: SQLQueryString, in db: any SQLDatabase) async throws -> SettlementBatch? {
        try await db.first("SELECT \(unsafeRaw: columns) FROM settlements WHERE \(condition)").map(decode)
    }

    static func decode(_ row: any SQLRow) throws -> SettlementBatch {
        SettlementBatch(
            id: try row.decode(column: "id", as: String.self), periodEnd: try row.decodeInstant(column: "period_end"),
            trigger: try row.decodeEnum(column: "trigger", as: SettlementBatch.Trigger.self), taxMode: try row.decode(column: "tax_mode", as: String.self),
            gross: try row.decode(column: "gross", as: Int64.self), tax: try row.decode(column: "tax", as: Int64.self),
            net: try row.decode(column: "net", as: Int64.self), promoterCount: try row.decode(column: "promoter_count", as: Int64.self),
            commissionCount: try row.decode(column: "commission_count", as: Int64.self), createdAt: try row.decodeInstant(column: "created_at"))
    }
}
