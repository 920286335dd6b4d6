import Foundation
import SQLKit
import TuikeCore

/// Risk cases: opened in the payment's transaction, reviewed by finance or the owner.
extension RiskRepository {
    /// Whether a payment of the order is looked at: it pays a promoter, and its origin is known.
    /// Other payments take the one-statement way (`OrderRepository.recordPayment`).
    static func mayAssess(_ order: Order) -> Bool {
        !order.levelOne.isEmpty && (order.originIPHash != nil || order.originDeviceHash != nil)
    }

    static let caseColumns = "id, promoter_id, order_id, status, signals, score, created_at, resolved_at, resolved_by, resolution"

    /// Inside the payment's transaction, once its commissions are booked: the signals of the
    /// order's level-1 promoters. A hold turns every pending commission of the order to `held`
    /// (the order itself is in doubt, so its upline's share waits too); shadow rules only record.
    static func assessPayment(_ order: Order, at now: Instant, in db: any SQLDatabase) async throws {
        guard mayAssess(order) else { return }
        let ipHash = order.originIPHash, deviceHash = order.originDeviceHash
        let rules = try await rules(in: db)
        let window = rules.filter { $0.code == .selfPurchaseIP || $0.code == .selfPurchaseDevice }.map(\.threshold).max() ?? 24
        let since = now.adding(seconds: -Money.times(window, 3_600)).milliseconds
        for promoterID in order.levelOne {
            let sightings = try await db.rows("""
                SELECT kind, value_hash, source, seen_at FROM promoter_sightings WHERE promoter_id = \(bind: promoterID) AND seen_at >= \(bind: since)
                """).map { row in
                RiskSignals.Sighting(kind: try row.decodeEnum(column: "kind", as: RiskSignals.Sighting.Kind.self),
                                     valueHash: try row.decode(column: "value_hash", as: String.self), source: try row.decode(column: "source", as: String.self),
                                     seenAt: try row.decodeInstant(column: "seen_at"))
            }
            guard !sightings.isEmpty else { continue }
            let hours = { (code: RiskCode) in rules.first { $0.code == code }?.threshold ?? 24 }
            let fired = [
                RiskSignals.selfPurchase(.ip, orderValueHash: ipHash, sightings: sightings, orderAt: now, hours: hours(.selfPurchaseIP)),
                RiskSignals.selfPurchase(.device, orderValueHash: deviceHash, sightings: sightings, orderAt: now, hours: hours(.selfPurchaseDevice)),
            ].compactMap { $0 }
            guard !fired.isEmpty else { continue }
            let excluded = Set(try await db.rows("SELECT code FROM risk_exclusions WHERE promoter_id = \(bind: promoterID)")
                .compactMap { RiskCode(rawValue: try $0.decode(column: "code", as: String.self)) })
            guard let verdict = RiskCase.verdict(fired, rules: rules, excluded: excluded) else { continue }
            let id = Identifier.make("rsk", at: now)
            guard try await db.first("""
                INSERT INTO risk_cases (id, promoter_id, order_id, status, signals, score, created_at)
                VALUES (\(bind: id), \(bind: promoterID), \(bind: order.id), \(bind: verdict.status.rawValue), \(bind: try StoredJSON.encode(verdict.signals)),
                        \(bind: verdict.score), \(bind: now.milliseconds))
                ON CONFLICT DO NOTHING RETURNING id
                """) != nil else { continue }
            if verdict.status == .open {
                try await db.execute("UPDATE commissions SET status = 'held' WHERE order_id = \(bind: order.id) AND status = 'pending'")
            }
            try await Outbox.emit(.riskCase(verdict.status, caseID: id, promoterID: promoterID, orderID: order.id, codes: verdict.signals.map(\.code.rawValue)),
                                  at: now, in: db)
        }
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

    /// The held commissions' reasons by commission id, for the promoter's view (codes only, no evidence).
    public func holdReasons(orderIDs: [String]) async throws -> [String: [String]] {
        guard !orderIDs.isEmpty else { return [:] }
        return try await database.read { db in
            var reasons: [String: [String]] = [:]
            for row in try await db.rows("""
                SELECT order_id, signals FROM risk_cases WHERE status = 'open' AND order_id IN (\(SQLList(orderIDs.map { SQLBind($0) })))
                """) {
                let signals = try StoredJSON.decode([RiskSignal].self, try row.decode(column: "signals", as: String.self))
                reasons[try row.decode(column: "order_id", as: String.self), default: []] += signals.map(\.code.rawValue)
            }
            return reasons
        }
    }

    /// Ends an open case: `released` (its held commissions back to `pending`) or `rejected`
    /// (each reversed in the ledger and `rejected`). The order is locked first, as refunds lock
    /// it, so a refund and a review never work on the same commissions at once. Answering again
    /// with the same decision returns the case as it is; the other decision is 409.
    public func resolve(_ id: String, release: Bool, reason: String, actor: String, at now: Instant) async throws -> RiskCase {
        let reason = try RiskCase.checkedResolution(reason)
        let dialect = database.dialect
        return try await database.write { db in
            guard let found = try await Self.findCase(id, in: db) else { throw TuikeError.notFound("risk case", id) }
            if let orderID = found.orderID { _ = try await OrderRepository.find(orderID, in: db, lock: dialect.forUpdate(of: "o")) }
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
            if let orderID = found.orderID {
                if release {
                    try await db.execute("UPDATE commissions SET status = 'pending' WHERE order_id = \(bind: orderID) AND status = 'held'")
                } else {
                    try await Self.reject(orderID: orderID, at: now, in: db)
                }
            }
            try await AuditLog.append(actor: actor, action: release ? "risk_case.released" : "risk_case.rejected", subject: "risk_case:\(id)",
                                      detail: reason, at: now, in: db)
            try await Outbox.emit(.riskCase(target, caseID: id, promoterID: found.promoterID, orderID: found.orderID,
                                            codes: found.signals.map(\.code.rawValue)), at: now, in: db)
            return try await Self.findCase(id, in: db).required("risk case", id)
        }
    }

    /// Every held commission of the order is rejected: what is left of it leaves the promoter's
    /// pending balance in one reversal entry each.
    private static func reject(orderID: String, at now: Instant, in db: any SQLDatabase) async throws {
        var bookings = Bookings()
        for row in try await db.rows("SELECT id, promoter_id, amount, reversed FROM commissions WHERE order_id = \(bind: orderID) AND status = 'held' ORDER BY id") {
            let id = try row.decode(column: "id", as: String.self), promoterID = try row.decode(column: "promoter_id", as: String.self)
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
