import SQLKit
import TuikeCore

/// Finance's proof: what moved in a period according to the operational tables, and
/// whether the journal says the same. Flows are compared over `[from, to)`, from the rollups for
/// finished days (`DayRollups.finance`); positions (what is owed right now) from the running
/// balances and the open commissions and withdrawals.
public struct ReconciliationReport: Sendable {
    public struct Check: Sendable, Equatable {
        public let name: String
        public let operational: Int64
        public let journal: Int64
        public var agrees: Bool { operational == journal }
    }

    public let from: Instant
    public let to: Instant
    public let flows: FinanceFigures
    public var revenue: Int64 { flows.revenue }
    public var refunds: Int64 { flows.refunded }
    public var taxWithheld: Int64 { flows.tax }
    public var payouts: Int64 { flows.payouts }
    public var fees: Int64 { flows.fees }
    public var adjustments: Int64 { flows.adjustments }
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
        let flows = try await DayRollups(database: database).finance(from: from, to: to)
        return try await database.read { db in
            func sum(_ query: SQLQueryString) async throws -> Int64 {
                try await db.one("SELECT CAST(COALESCE(SUM(v), 0) AS BIGINT) AS total FROM (\(query)) q").decode(column: "total", as: Int64.self)
            }
            // Positions come from the running balances: one row per account, not per posting.
            func journalPosition(_ pattern: String) async throws -> Int64 {
                try await -AccountBalances.total(matching: pattern, in: db)
            }
            let checks: [ReconciliationReport.Check] = [
                .init(name: "payments", operational: flows.revenue, journal: flows.journalPayments),
                .init(name: "refunds", operational: flows.refunded, journal: flows.journalRefunds),
                .init(name: "tax_withheld", operational: flows.tax, journal: flows.journalTax),
                .init(name: "payouts", operational: flows.payouts, journal: flows.journalPayouts),
                .init(name: "payout_fees", operational: flows.fees, journal: flows.journalFees),
                // Open commissions only, through the index of those still pending.
                .init(name: "pending_commissions",
                      operational: try await sum("SELECT amount - reversed AS v FROM commissions WHERE status IN ('pending', 'held')"),
                      journal: try await journalPosition("promoter:%:pending")),
                .init(name: "withdrawals_in_flight",
                      operational: try await sum("SELECT amount AS v FROM withdrawals WHERE status IN ('requested', 'approved')"),
                      journal: try await journalPosition("promoter:%:withdrawing")),
                .init(name: "journal_total", operational: 0, journal: try await journalPosition("%")),
            ]
            return ReconciliationReport(from: from, to: to, flows: flows, checks: checks, ledgerCheck: try await LedgerCheck.latest(in: db))
        }
    }
}
