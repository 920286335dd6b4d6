import SQLKit
import TuikeCore

/// Finance's proof: what moved in a period according to the operational tables, and
/// whether the journal says the same. Flows are compared over `[from, to)`, from the rollups for
/// finished days (`DayRollups.finance`); open positions (pending commissions, withdrawals in
/// flight) as the latest ledger check found them, which scans what this report must not.
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
            let ledgerCheck = try await LedgerCheck.latest(in: db)
            let checks: [ReconciliationReport.Check] = [
                .init(name: "payments", operational: flows.revenue, journal: flows.journalPayments),
                .init(name: "refunds", operational: flows.refunded, journal: flows.journalRefunds),
                .init(name: "tax_withheld", operational: flows.tax, journal: flows.journalTax),
                .init(name: "payouts", operational: flows.payouts, journal: flows.journalPayouts),
                .init(name: "payout_fees", operational: flows.fees, journal: flows.journalFees),
            ] + (ledgerCheck?.positions ?? []).map { .init(name: $0.name, operational: $0.operational, journal: $0.journal) } + [
                // Running balances: a row per account, the promoters' by their control accounts.
                .init(name: "journal_total", operational: 0, journal: -(try await AccountBalances.journalTotal(in: db))),
            ]
            return ReconciliationReport(from: from, to: to, flows: flows, checks: checks, ledgerCheck: ledgerCheck)
        }
    }
}
