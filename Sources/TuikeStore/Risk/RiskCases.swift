import Foundation
import SQLKit
import TuikeCore

/// Risk cases: opened in the transaction that saw the signal (a payment, a withdrawal request) or
/// by the hourly scan, reviewed by finance or the owner.
extension RiskRepository {
    static let caseColumns = "id, promoter_id, order_id, status, signals, score, created_at, resolved_at, resolved_by, resolution"

    /// What a case holds when its rule is in `hold` mode: the order's pending commissions (the
    /// order itself is in doubt, so its upline's share waits too), or all of the promoter's.
    enum Holding {
        case order(String)
        case promoter(String)

        var condition: SQLQueryString {
            switch self {
            case .order(let id): "order_id = \(bind: id)"
            case .promoter(let id): "promoter_id = \(bind: id)"
            }
        }
    }

    /// Opens the case of `fired` signals on `promoterID` about `subject`, once: nothing when the
    /// rules leave nothing (off, or the promoter is excluded) or the subject has a case already.
    @discardableResult
    static func open(_ fired: [RiskSignal], promoterID: String, subject: String, orderID: String?, holding: Holding, rules: [RiskRule],
                     at now: Instant, in db: any SQLDatabase) async throws -> String? {
        guard !fired.isEmpty else { return nil }
        let excluded = Set(try await db.rows("SELECT code FROM risk_exclusions WHERE promoter_id = \(bind: promoterID)")
            .compactMap { RiskCode(rawValue: try $0.decode(column: "code", as: String.self)) })
        guard let verdict = RiskCase.verdict(fired, rules: rules, excluded: excluded) else { return nil }
        let id = Identifier.make("rsk", at: now)
        guard try await db.first("""
            INSERT INTO risk_cases (id, promoter_id, subject, order_id, status, signals, score, created_at)
            VALUES (\(bind: id), \(bind: promoterID), \(bind: subject), \(bind: orderID), \(bind: verdict.status.rawValue),
                    \(bind: try StoredJSON.encode(verdict.signals)), \(bind: verdict.score), \(bind: now.milliseconds))
            ON CONFLICT DO NOTHING RETURNING id
            """) != nil else { return nil }
        if verdict.status == .open {
            try await db.execute("""
                UPDATE commissions SET status = 'held', risk_case_id = \(bind: id) WHERE \(holding.condition) AND status = 'pending'
                """)
        }
        try await Outbox.emit(.riskCase(verdict.status, caseID: id, promoterID: promoterID, orderID: orderID, codes: verdict.signals.map(\.code.rawValue)),
                              at: now, in: db)
        return id
    }

    public func cases(status: RiskCase.Status?, promoterID: String? = nil, limit: Int, before: String?) async throws -> [RiskCase] {
        try await database.read { db in
            try await db.rows("""
                SELECT \(unsafeRaw: Self.caseColumns) FROM risk_cases
                WHERE \(SQLQueryString.all([status.map { "status = \(bind: $0.rawValue)" }, promoterID.map { "promoter_id = \(bind: $0)" },
                                            before.map { "id < \(bind: $0)" }]))
                ORDER BY id DESC LIMIT \(bind: limit)
                """).map(Self.decodeCase)
        }
    }

    public func findCase(_ id: String) async throws -> RiskCase? {
        try await database.read { db in try await Self.findCase(id, in: db) }
    }

    static func findCase(_ id: String, in db: any SQLDatabase) async throws -> RiskCase? {
        try await db.first("SELECT \(unsafeRaw: caseColumns) FROM risk_cases WHERE id = \(bind: id)").map(decodeCase)
    }

    /// Why each held commission is held: its case's signal codes (never the evidence), by
    /// commission id, for the promoter's own view.
    public func holdReasons(commissionIDs: [String]) async throws -> [String: [String]] {
        guard !commissionIDs.isEmpty else { return [:] }
        return try await database.read { db in
            var reasons: [String: [String]] = [:]
            for row in try await db.rows("""
                SELECT c.id, r.signals FROM commissions c JOIN risk_cases r ON r.id = c.risk_case_id
                WHERE c.status = 'held' AND c.id IN (\(SQLList(commissionIDs.map { SQLBind($0) })))
                """) {
                let signals = try StoredJSON.decode([RiskSignal].self, try row.decode(column: "signals", as: String.self))
                reasons[try row.decode(column: "id", as: String.self)] = signals.map(\.code.rawValue)
            }
            return reasons
        }
    }

    /// Ends an open case: `released` (its held commissions back to `pending`, settled in the next
    /// batch) or `rejected` (each reversed in the ledger and `rejected`). The orders of those
    /// commissions are locked first, in id order, as a refund locks its order: a refund and a
    /// review never work on the same commission at once. Answering again with the same decision
    /// returns the case as it is; the other decision is 409.
    public func resolve(_ id: String, release: Bool, reason: String, actor: String, at now: Instant) async throws -> RiskCase {
        let reason = try RiskCase.checkedResolution(reason)
        let dialect = database.dialect
        return try await database.write { db in
            guard let found = try await Self.findCase(id, in: db) else { throw TuikeError.notFound("risk case", id) }
            _ = try await db.rows("""
                SELECT o.id FROM orders o WHERE o.id IN (SELECT order_id FROM commissions WHERE risk_case_id = \(bind: id) AND status = 'held')
                ORDER BY o.id \(unsafeRaw: dialect.forUpdate(of: "o"))
                """)
            let target: RiskCase.Status = release ? .released : .rejected
            guard try await db.first("""
                UPDATE risk_cases SET status = \(bind: target.rawValue), resolved_at = \(bind: now.milliseconds), resolved_by = \(bind: actor),
                    resolution = \(bind: reason)
                WHERE id = \(bind: id) AND status = 'open' RETURNING id
                """) != nil else {
                let current = try await Self.findCase(id, in: db).required("risk case", id)
                if current.status == target { return current }
                throw TuikeError(.conflict, code: "risk_case_closed", "risk case \(id) is \(current.status.rawValue)")
            }
            if release {
                try await db.execute("UPDATE commissions SET status = 'pending' WHERE risk_case_id = \(bind: id) AND status = 'held'")
            } else {
                try await Self.reject(caseID: id, at: now, in: db)
            }
            try await AuditLog.append(actor: actor, action: release ? "risk_case.released" : "risk_case.rejected", subject: "risk_case:\(id)",
                                      detail: reason, at: now, in: db)
            try await Outbox.emit(.riskCase(target, caseID: id, promoterID: found.promoterID, orderID: found.orderID,
                                            codes: found.signals.map(\.code.rawValue)), at: now, in: db)
            return try await Self.findCase(id, in: db).required("risk case", id)
        }
    }

    /// Every commission the case holds is rejected: what is left of it leaves the promoter's
    /// pending balance in one reversal entry each.
    private static func reject(caseID: String, at now: Instant, in db: any SQLDatabase) async throws {
        var bookings = Bookings()
        var orders: Set<String> = []
        for row in try await db.rows("SELECT id, order_id, promoter_id, amount, reversed FROM commissions WHERE risk_case_id = \(bind: caseID) AND status = 'held' ORDER BY id") {
            let id = try row.decode(column: "id", as: String.self), promoterID = try row.decode(column: "promoter_id", as: String.self)
            // What the order's commissions cost changes its payment day's return on commission.
            if let orderID = try row.decode(column: "order_id", as: String?.self), orders.insert(orderID).inserted {
                try await RoiCohorts.mark(orderID: orderID, at: now, in: db)
            }
            let amount = try row.decode(column: "amount", as: Int64.self), left = amount - (try row.decode(column: "reversed", as: Int64.self))
            try await db.execute("UPDATE commissions SET status = 'rejected', reversed = amount WHERE id = \(bind: id)")
            guard left > 0 else { continue }
            bookings.post(try JournalEntry.reversal(promoterID: promoterID, amount: left), reference: id)
            bookings.emit(.commissionReversed(commissionID: id, promoterID: promoterID, amount: left, remaining: 0, status: .rejected))
        }
        try await bookings.write(at: now, in: db)
    }

    static func decodeCase(_ row: any SQLRow) throws -> RiskCase {
        RiskCase(id: try row.decode(column: "id", as: String.self), promoterID: try row.decode(column: "promoter_id", as: String.self),
                 orderID: try row.decode(column: "order_id", as: String?.self), status: try row.decodeEnum(column: "status", as: RiskCase.Status.self),
                 signals: try StoredJSON.decode([RiskSignal].self, try row.decode(column: "signals", as: String.self)),
                 score: try row.decode(column: "score", as: Int64.self), createdAt: try row.decodeInstant(column: "created_at"),
                 resolvedAt: try row.decodeOptionalInstant(column: "resolved_at"), resolvedBy: try row.decode(column: "resolved_by", as: String?.self),
                 resolution: try row.decode(column: "resolution", as: String?.self))
    }
}
