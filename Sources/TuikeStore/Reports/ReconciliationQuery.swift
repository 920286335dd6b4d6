import SQLKit
import TuikeCore

/// Finance's proof: what moved in a period according to the operational tables, and
/// whether the journal says the same. Flows are compared over `[from, to)`; positions (what is
/// owed right now) over all time.
public struct ReconciliationReport: Sendable {
    public struct StatusTotal: Sendable, Equatable {
        public let status: String
        public let count: Int64
        public let amount: Int64
    }

    public struct Check: Sendable, Equatable {
        public let name: String
        public let operational: Int64
        public let journal: Int64
        public var agrees: Bool { operational == journal }
    }

    public let from: Instant
    public let to: Instant
    public let revenue: Int64
    public let refunds: Int64
    public let commissionsByStatus: [StatusTotal]
    public let taxWithheld: Int64
    public let payouts: Int64
    public let fees: Int64
    public let adjustments: Int64
    public let checks: [Check]
    /// The latest comparison of the running balances with the journal (`LedgerCheck`), if one ran.
    public let ledgerCheck: LedgerCheck?

    public var consistent: Bool { checks.allSatisfy(\.agrees) && ledgerCheck?.consistent != false }
}

public struct ReconciliationQuery: Sendable {
    let database: any Database

    public init(database: any Database) { self.database = database }

    public func report(from: Instant, to: Instant) async throws -> ReconciliationReport {
        guard from < to else { throw TuikeError.validation("from must be before to") }
        let (start, end) = (from.milliseconds, to.milliseconds)
        return try await database.read { db in
            func sum(_ query: SQLQueryString) async throws -> Int64 {
                try await db.one("SELECT CAST(COALESCE(SUM(v), 0) AS BIGINT) AS total FROM (\(query)) q").decode(column: "total", as: Int64.self)
            }
            func journalFlow(kind: String, account: String, sign: Int64) async throws -> Int64 {
                try await sign * sum("""
                    SELECT p.amount AS v FROM journal_postings p JOIN journal_entries e ON e.id = p.entry_id
                    WHERE e.kind = \(bind: kind) AND p.account = \(bind: account) AND e.created_at >= \(bind: start) AND e.created_at < \(bind: end)
                    """)
            }
            // Positions come from the running balances: one row per account, not per posting.
            func journalPosition(_ pattern: String) async throws -> Int64 {
                try await -AccountBalances.total(matching: pattern, in: db)
            }
            let revenue = try await sum("SELECT amount AS v FROM payments WHERE created_at >= \(bind: start) AND created_at < \(bind: end)")
            let refunds = try await sum("SELECT amount AS v FROM refunds WHERE created_at >= \(bind: start) AND created_at < \(bind: end)")
            let tax = try await sum("""
                SELECT l.tax AS v FROM settlement_lines l JOIN settlements s ON s.id = l.settlement_id
                WHERE s.created_at >= \(bind: start) AND s.created_at < \(bind: end)
                """)
            let paidOut: SQLQueryString = "status = 'paid' AND completed_at >= \(bind: start) AND completed_at < \(bind: end)"
            let fees = try await sum("SELECT fee AS v FROM withdrawals WHERE \(paidOut)")
            let payouts = Withdrawal.payout(amount: try await sum("SELECT amount AS v FROM withdrawals WHERE \(paidOut)"), fee: fees)
            let adjustments = try await sum("SELECT amount AS v FROM adjustments WHERE created_at >= \(bind: start) AND created_at < \(bind: end)")
            let byStatus = try await db.rows("""
                SELECT status, COUNT(*) AS n, CAST(SUM(amount - reversed) AS BIGINT) AS amount FROM commissions
                WHERE created_at >= \(bind: start) AND created_at < \(bind: end) GROUP BY status ORDER BY status
                """).map {
                ReconciliationReport.StatusTotal(status: try $0.decode(column: "status", as: String.self), count: try $0.decode(column: "n", as: Int64.self),
                                                 amount: try $0.decode(column: "amount", as: Int64.self))
            }
            let checks: [ReconciliationReport.Check] = [
                .init(name: "payments", operational: revenue, journal: try await journalFlow(kind: "payment", account: "payments:received", sign: 1)),
                .init(name: "refunds", operational: refunds, journal: try await journalFlow(kind: "refund", account: "buyer:refunds", sign: 1)),
                .init(name: "tax_withheld", operational: tax, journal: try await journalFlow(kind: "settlement", account: "tax:withheld", sign: -1)),
                .init(name: "payouts", operational: payouts, journal: try await journalFlow(kind: "withdrawal_paid", account: "payout:clearing", sign: -1)),
                .init(name: "payout_fees", operational: fees, journal: try await journalFlow(kind: "withdrawal_paid", account: "merchant:payout_fees", sign: -1)),
                .init(name: "pending_commissions",
                      operational: try await sum("SELECT amount - reversed AS v FROM commissions WHERE status IN ('pending', 'held')"),
                      journal: try await journalPosition("promoter:%:pending")),
                .init(name: "withdrawals_in_flight",
                      operational: try await sum("SELECT amount AS v FROM withdrawals WHERE status IN ('requested', 'approved')"),
                      journal: try await journalPosition("promoter:%:withdrawing")),
                .init(name: "journal_total", operational: 0, journal: try await journalPosition("%")),
            ]
            return ReconciliationReport(from: from, to: to, revenue: revenue, refunds: refunds, commissionsByStatus: byStatus, taxWithheld: tax,
                                        payouts: payouts, fees: fees, adjustments: adjustments, checks: checks,
                                        ledgerCheck: try await LedgerCheck.latest(in: db))
        }
    }
}
