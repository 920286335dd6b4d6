import SQLKit
import TuikeCore

/// The money flows of a span, from the operational tables and from the journal, which the
/// reconciliation report compares: rolled up per day like `DayFigures` (`DayRollups`), counted
/// from the rows for spans not rolled up yet.
public struct FinanceFigures: Sendable, Equatable {
    public var revenue: Int64 = 0
    public var refunded: Int64 = 0
    public var tax: Int64 = 0
    /// Commissions settled by the span's batches, and their gross.
    public var settledCount: Int64 = 0
    public var settled: Int64 = 0
    public var payouts: Int64 = 0
    public var fees: Int64 = 0
    public var adjustments: Int64 = 0
    /// Commissions earned in the span, and what refunds took back from them.
    public var earnedCount: Int64 = 0
    public var earned: Int64 = 0
    public var reversed: Int64 = 0
    /// The same flows as the journal records them.
    public var journalPayments: Int64 = 0
    public var journalRefunds: Int64 = 0
    public var journalTax: Int64 = 0
    public var journalPayouts: Int64 = 0
    public var journalFees: Int64 = 0

    public init() {}

    /// The columns of `finance_days`, in the order of `values`.
    static let columns = ["revenue", "refunded", "tax", "settled_count", "settled", "payouts", "fees", "adjustments", "earned_count", "earned",
                          "reversed", "journal_payments", "journal_refunds", "journal_tax", "journal_payouts", "journal_fees"]

    var values: [Int64] {
        [revenue, refunded, tax, settledCount, settled, payouts, fees, adjustments, earnedCount, earned, reversed, journalPayments, journalRefunds,
         journalTax, journalPayouts, journalFees]
    }

    init(values: [Int64]) {
        func at(_ index: Int) -> Int64 { index < values.count ? values[index] : 0 }
        (revenue, refunded, tax, settledCount, settled, payouts, fees, adjustments) = (at(0), at(1), at(2), at(3), at(4), at(5), at(6), at(7))
        (earnedCount, earned, reversed, journalPayments, journalRefunds, journalTax, journalPayouts, journalFees) =
            (at(8), at(9), at(10), at(11), at(12), at(13), at(14), at(15))
    }

    mutating func add(_ other: FinanceFigures) {
        self = FinanceFigures(values: zip(values, other.values).map { $0 &+ $1 })
    }

    /// Counts the flows of `[start, end)` from the rows.
    static func count(from start: Instant, to end: Instant, dialect: Dialect, in db: any SQLDatabase) async throws -> FinanceFigures {
        let within = MadeWithin(start: start, end: end, dialect: dialect)
        func sums(_ query: SQLQueryString) async throws -> [Int64] {
            guard let row = try await db.first(query) else { return [] }
            return try row.allColumns.map { try row.decode(column: $0, as: Int64?.self) ?? 0 }
        }
        var figures = FinanceFigures()
        figures.revenue = try await sums("SELECT CAST(SUM(p.amount) AS BIGINT) AS a FROM payments p WHERE \(within("p", prefix: "pay"))").first ?? 0
        figures.refunded = try await sums("SELECT CAST(SUM(r.amount) AS BIGINT) AS a FROM refunds r WHERE \(within("r", prefix: "rfd"))").first ?? 0
        let settled = try await sums("""
            SELECT CAST(SUM(l.tax) AS BIGINT) AS a, CAST(SUM(l.commission_count) AS BIGINT) AS b, CAST(SUM(l.gross) AS BIGINT) AS c
            FROM settlements s JOIN settlement_lines l ON l.settlement_id = s.id WHERE \(within("s", prefix: "stl"))
            """)
        (figures.tax, figures.settledCount, figures.settled) = (settled.first ?? 0, settled.dropFirst().first ?? 0, settled.dropFirst(2).first ?? 0)
        // Paid withdrawals count when they were paid, which their ids do not tell: read by time.
        let paid = try await sums("""
            SELECT CAST(SUM(w.amount) AS BIGINT) AS a, CAST(SUM(w.fee) AS BIGINT) AS b FROM withdrawals w
            WHERE w.completed_at >= \(bind: start.milliseconds) AND w.completed_at < \(bind: end.milliseconds) AND w.status || '' = 'paid'
            """)
        figures.fees = paid.dropFirst().first ?? 0
        figures.payouts = Withdrawal.payout(amount: paid.first ?? 0, fee: figures.fees)
        figures.adjustments = try await sums("SELECT CAST(SUM(a.amount) AS BIGINT) AS a FROM adjustments a WHERE \(within("a", prefix: "adj"))").first ?? 0
        let earned = try await sums("SELECT COUNT(*) AS a, CAST(SUM(m.amount) AS BIGINT) AS b FROM commissions m WHERE \(within("m", prefix: "com"))")
        (figures.earnedCount, figures.earned) = (earned.first ?? 0, earned.dropFirst().first ?? 0)
        for row in try await db.rows("""
            SELECT e.kind, p.account, CAST(SUM(p.amount) AS BIGINT) AS amount FROM journal_entries e JOIN journal_postings p ON p.entry_id = e.id
            WHERE \(within("e", prefix: "jrn")) AND (p.account NOT LIKE 'promoter:%' OR e.kind IN ('commission_reversal', 'commission_clawback'))
            GROUP BY e.kind, p.account
            """) {
            let kind = try row.decode(column: "kind", as: String.self), account = try row.decode(column: "account", as: String.self)
            let amount = try row.decode(column: "amount", as: Int64.self)
            switch (kind, account) {
            case ("payment", "payments:received"): figures.journalPayments &+= amount
            case ("refund", "buyer:refunds"): figures.journalRefunds &+= amount
            case ("settlement", "tax:withheld"): figures.journalTax &-= amount
            case ("withdrawal_paid", "payout:clearing"): figures.journalPayouts &-= amount
            case ("withdrawal_paid", "merchant:payout_fees"): figures.journalFees &-= amount
            case _ where ["commission_reversal", "commission_clawback"].contains(kind) && account.hasPrefix("promoter:"): figures.reversed &+= amount
            default: break
            }
        }
        return figures
    }
}
