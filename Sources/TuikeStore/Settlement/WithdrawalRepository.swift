import SQLKit
import TuikeCore

/// Withdrawals (docs/rules.md §7). Every transition is one conditional UPDATE on the current status,
/// so each happens once however many requests race; money moves in the same transaction.
public struct WithdrawalRepository: Sendable {
    public let database: any Database

    public init(database: any Database) { self.database = database }

    /// The job that finishes a payout an instance started and did not see through (a crash
    /// between approval and the provider's answer).
    public static let payoutJob = "withdrawals.payout"
    public static let payoutRecoverySeconds: Int64 = 600

    /// Takes the amount out of `available` in the statement that checks it covers it.
    public func request(promoterID: String, amount: Int64, channel: ProgramSettings.Channel, account: String?,
                        settings: ProgramSettings.Withdrawal, requestedBy: String, at now: Instant) async throws -> Withdrawal {
        let fee = try WithdrawalPolicy.fee(amount: amount, channel: channel, settings: settings)
        return try await database.write { db in
            guard let status = try await db.first("SELECT status FROM promoters WHERE id = \(bind: promoterID)")?.decode(column: "status", as: String.self) else {
                throw TuikeError.notFound("promoter", promoterID)
            }
            guard status == "active" || status == "terminated" else {
                throw TuikeError(.conflict, code: "promoter_not_active", "promoter \(promoterID) is \(status) and cannot withdraw")
            }
            let id = Identifier.make("wdr", at: now)
            try await JournalRepository.post(.withdrawalRequested(promoterID: promoterID, amount: amount), reference: id, at: now,
                                              covering: promoterID, in: db)
            try await db.execute("""
                INSERT INTO withdrawals (id, promoter_id, amount, fee, channel, account, status, requested_by, requested_at)
                VALUES (\(bind: id), \(bind: promoterID), \(bind: amount), \(bind: fee), \(bind: channel.rawValue), \(bind: account), 'requested',
                        \(bind: requestedBy), \(bind: now.milliseconds))
                """)
            try await Outbox.emit(.withdrawal(.requested, withdrawalID: id, promoterID: promoterID, amount: amount), at: now, in: db)
            try await RiskRepository.assessWithdrawal(promoterID: promoterID, channel: channel.rawValue, account: account, at: now, in: db)
            return try await Self.find(id, in: db).required("withdrawal", id)
        }
    }

    /// `requested` → `approved`, with a recovery job in case this instance dies before the
    /// provider answers. Returns the withdrawal and whether this call approved it (only that
    /// caller pays it out).
    public func approve(_ id: String, by admin: String, provider: String, at now: Instant) async throws -> (Withdrawal, approved: Bool) {
        try await database.write { db in
            let approved = try await db.first("""
                UPDATE withdrawals SET status = 'approved', decided_by = \(bind: admin), decided_at = \(bind: now.milliseconds), provider = \(bind: provider)
                WHERE id = \(bind: id) AND status = 'requested' RETURNING id
                """) != nil
            guard let record = try await Self.find(id, in: db) else { throw TuikeError.notFound("withdrawal", id) }
            guard approved else {
                if record.status == .rejected { throw TuikeError(.conflict, code: "withdrawal_rejected", "withdrawal \(id) was rejected") }
                return (record, false)
            }
            try await JobQueue.schedule(kind: Self.payoutJob, at: now.adding(seconds: Self.payoutRecoverySeconds), payload: id,
                                        dedupeKey: "\(Self.payoutJob):\(id)", now: now, in: db)
            try await Outbox.emit(.withdrawal(.approved, withdrawalID: id, promoterID: record.promoterID, amount: record.amount), at: now, in: db)
            return (record, true)
        }
    }

    public enum Outcome: Sendable {
        case paid(reference: String)
        case failed(reason: String)
    }

    /// `approved` → `paid` (the money leaves through the provider; statements it covers become
    /// `withdrawn`) or `failed` (the amount returns to available). A second call changes nothing.
    public func complete(_ id: String, outcome: Outcome, at now: Instant) async throws -> Withdrawal {
        try await database.write { db in
            let status: WithdrawalStatus
            let reference: String?
            let reason: String?
            switch outcome {
            case .paid(let ref): (status, reference, reason) = (.paid, ref, nil)
            case .failed(let why): (status, reference, reason) = (.failed, nil, String(why.prefix(500)))
            }
            let moved = try await db.first("""
                UPDATE withdrawals SET status = \(bind: status.rawValue), provider_reference = \(bind: reference), reason = \(bind: reason),
                    completed_at = \(bind: now.milliseconds)
                WHERE id = \(bind: id) AND status = 'approved' RETURNING id
                """) != nil
            guard let record = try await Self.find(id, in: db) else { throw TuikeError.notFound("withdrawal", id) }
            guard moved else { return record }
            if status == .paid {
                try await JournalRepository.post(.withdrawalPaid(promoterID: record.promoterID, amount: record.amount, fee: record.fee),
                                                  reference: id, at: now, in: db)
                try await Self.markWithdrawn(promoterID: record.promoterID, in: db)
            } else {
                try await JournalRepository.post(.withdrawalReturned(promoterID: record.promoterID, amount: record.amount), reference: id, at: now, in: db)
            }
            try await Outbox.emit(.withdrawal(status, withdrawalID: id, promoterID: record.promoterID, amount: record.amount), at: now, in: db)
            return record
        }
    }

    /// `requested` → `rejected` with a reason; the amount returns to available. Rejecting a
    /// rejected withdrawal again answers it unchanged.
    public func reject(_ id: String, reason: String, by admin: String, at now: Instant) async throws -> Withdrawal {
        try await database.write { db in
            let rejected = try await db.first("""
                UPDATE withdrawals SET status = 'rejected', reason = \(bind: reason), decided_by = \(bind: admin), decided_at = \(bind: now.milliseconds),
                    completed_at = \(bind: now.milliseconds)
                WHERE id = \(bind: id) AND status = 'requested' RETURNING id
                """) != nil
            guard let record = try await Self.find(id, in: db) else { throw TuikeError.notFound("withdrawal", id) }
            guard rejected else {
                guard record.status == .rejected else {
                    throw TuikeError(.conflict, code: "withdrawal_not_pending", "withdrawal \(id) is \(record.status.rawValue) and can no longer be rejected")
                }
                return record
            }
            try await JournalRepository.post(.withdrawalReturned(promoterID: record.promoterID, amount: record.amount), reference: id, at: now, in: db)
            try await Outbox.emit(.withdrawal(.rejected, withdrawalID: id, promoterID: record.promoterID, amount: record.amount), at: now, in: db)
            return record
        }
    }

    /// Statements count as withdrawn, oldest first, once the promoter's paid withdrawals add up
    /// to their nets; their settled commissions become `withdrawn` (docs/rules.md §5).
    static func markWithdrawn(promoterID: String, in db: any SQLDatabase) async throws {
        var paid = try await db.one("""
            SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS paid FROM withdrawals WHERE promoter_id = \(bind: promoterID) AND status = 'paid'
            """).decode(column: "paid", as: Int64.self)
        var covered: [String] = []
        for row in try await db.rows("SELECT settlement_id, net FROM settlement_lines WHERE promoter_id = \(bind: promoterID) ORDER BY settlement_id") {
            let net = try row.decode(column: "net", as: Int64.self)
            guard net <= paid else { break }
            paid -= net
            covered.append(try row.decode(column: "settlement_id", as: String.self))
        }
        for chunk in covered.chunked(by: 500) {
            try await db.execute("""
                UPDATE commissions SET status = 'withdrawn'
                WHERE promoter_id = \(bind: promoterID) AND status = 'settled' AND settlement_id IN (\(SQLList(chunk.map { SQLBind($0) })))
                """)
        }
    }

    public func find(_ id: String) async throws -> Withdrawal? {
        try await database.read { db in try await Self.find(id, in: db) }
    }

    /// Newest first.
    public func list(promoterID: String?, status: WithdrawalStatus?, from: Instant? = nil, to: Instant? = nil, limit: Int?, before: String?) async throws -> [Withdrawal] {
        try await database.read { db in
            let condition = SQLQueryString.all([
                promoterID.map { "promoter_id = \(bind: $0)" }, status.map { "status = \(bind: $0.rawValue)" }, before.map { "id < \(bind: $0)" },
                from.map { "requested_at >= \(bind: $0.milliseconds)" }, to.map { "requested_at < \(bind: $0.milliseconds)" },
            ])
            return try await db.rows("""
                SELECT \(unsafeRaw: Self.columns) FROM withdrawals WHERE \(condition) ORDER BY id DESC \(unsafeRaw: limit.map { "LIMIT \($0)" } ?? "")
                """).map(Self.decode)
        }
    }

    /// What the promoter has been paid out in all.
    public func withdrawn(promoterID: String) async throws -> Int64 {
        try await database.read { db in
            try await db.one("""
                SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS paid FROM withdrawals WHERE promoter_id = \(bind: promoterID) AND status = 'paid'
                """).decode(column: "paid", as: Int64.self)
        }
    }

    static let columns = """
        id, promoter_id, amount, fee, channel, account, status, reason, provider, provider_reference, requested_by, decided_by,
        requested_at, decided_at, completed_at
        """

    static func find(_ id: String, in db: any SQLDatabase) async throws -> Withdrawal? {
        try await db.first("SELECT \(unsafeRaw: columns) FROM withdrawals WHERE id = \(bind: id)").map(decode)
    }

    static func decode(_ row: any SQLRow) throws -> Withdrawal {
        Withdrawal(
            id: try row.decode(column: "id", as: String.self), promoterID: try row.decode(column: "promoter_id", as: String.self),
            amount: try row.decode(column: "amount", as: Int64.self), fee: try row.decode(column: "fee", as: Int64.self),
            channel: try row.decode(column: "channel", as: String.self), account: try row.decode(column: "account", as: String?.self),
            status: try row.decodeEnum(column: "status", as: WithdrawalStatus.self), reason: try row.decode(column: "reason", as: String?.self),
            provider: try row.decode(column: "provider", as: String?.self), providerReference: try row.decode(column: "provider_reference", as: String?.self),
            requestedBy: try row.decode(column: "requested_by", as: String.self), decidedBy: try row.decode(column: "decided_by", as: String?.self),
            requestedAt: try row.decodeInstant(column: "requested_at"), decidedAt: try row.decodeOptionalInstant(column: "decided_at"),
            completedAt: try row.decodeOptionalInstant(column: "completed_at"))
    }
}
