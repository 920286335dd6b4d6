/// The double-entry journal (docs/rules.md §5). Every money movement is one entry whose postings sum to
/// zero; debits are positive, credits negative. Liabilities to promoters therefore carry negative
/// balances in the journal and are shown negated (what Tuike owes) wherever people read them.
public enum Account: Hashable, Sendable, CustomStringConvertible {
    case paymentsReceived
    case merchantRevenue
    case commissionExpense
    case promoterPending(String)
    case promoterAvailable(String)
    case promoterWithdrawing(String)
    case taxWithheld
    case payoutClearing
    case payoutFees
    case buyerRefunds

    public var description: String {
        switch self {
        case .paymentsReceived: "payments:received"
        case .merchantRevenue: "merchant:revenue"
        case .commissionExpense: "merchant:commission_expense"
        case .promoterPending(let id): "promoter:\(id):pending"
        case .promoterAvailable(let id): "promoter:\(id):available"
        case .promoterWithdrawing(let id): "promoter:\(id):withdrawing"
        case .taxWithheld: "tax:withheld"
        case .payoutClearing: "payout:clearing"
        case .payoutFees: "merchant:payout_fees"
        case .buyerRefunds: "buyer:refunds"
        }
    }
}

public struct Posting: Equatable, Sendable {
    public let account: Account
    public let amount: Int64

    public init(_ account: Account, _ amount: Int64) {
        self.account = account
        self.amount = amount
    }
}

/// A journal entry a plan books, with what it refers to (an order, a refund).
public struct PlannedEntry: Equatable, Sendable {
    public let entry: JournalEntry
    public let reference: String

    public init(entry: JournalEntry, reference: String) {
        self.entry = entry
        self.reference = reference
    }
}

public struct JournalEntry: Equatable, Sendable {
    public let kind: String
    public let postings: [Posting]

    /// Refuses an entry that does not balance or moves nothing: such an entry is a bug.
    public init(kind: String, postings: [Posting]) throws(TuikeError) {
        let meaningful = postings.filter { $0.amount != 0 }
        guard !meaningful.isEmpty else { throw TuikeError(.unprocessable, code: "empty_entry", "a journal entry must move money") }
        guard Money.exactTotal(meaningful.map(\.amount)) == 0 else {
            throw TuikeError(.unprocessable, code: "unbalanced_entry", "journal entry \(kind) does not sum to zero")
        }
        self.kind = kind
        self.postings = meaningful
    }

    /// A buyer paid: cash in, revenue recognised.
    public static func payment(_ amount: Int64) throws(TuikeError) -> JournalEntry {
        try JournalEntry(kind: "payment", postings: [Posting(.paymentsReceived, amount), Posting(.merchantRevenue, -amount)])
    }

    /// A refund goes back to the buyer.
    public static func refund(_ amount: Int64) throws(TuikeError) -> JournalEntry {
        try JournalEntry(kind: "refund", postings: [Posting(.buyerRefunds, amount), Posting(.paymentsReceived, -amount)])
    }

    /// Commissions earned on a paid order: an expense, owed to each promoter as pending.
    public static func accrual(_ commissions: [(promoterID: String, amount: Int64)]) throws(TuikeError) -> JournalEntry {
        let total = commissions.reduce(0) { $0 + $1.amount }
        return try JournalEntry(kind: "commission_accrual",
                                postings: [Posting(.commissionExpense, total)] + commissions.map { Posting(.promoterPending($0.promoterID), -$0.amount) })
    }

    /// A pending commission reversed (refund, group failure, rejection).
    public static func reversal(promoterID: String, amount: Int64) throws(TuikeError) -> JournalEntry {
        try JournalEntry(kind: "commission_reversal", postings: [Posting(.promoterPending(promoterID), amount), Posting(.commissionExpense, -amount)])
    }

    /// A settled commission taken back after a refund: out of the available balance (may go negative).
    public static func clawback(promoterID: String, amount: Int64) throws(TuikeError) -> JournalEntry {
        try JournalEntry(kind: "commission_clawback", postings: [Posting(.promoterAvailable(promoterID), amount), Posting(.commissionExpense, -amount)])
    }

    /// Settlement: the gross leaves pending; the net becomes available and the tax is withheld.
    public static func settlement(promoterID: String, gross: Int64, tax: Int64) throws(TuikeError) -> JournalEntry {
        try JournalEntry(kind: "settlement", postings: [
            Posting(.promoterPending(promoterID), gross), Posting(.promoterAvailable(promoterID), -(gross - tax)), Posting(.taxWithheld, -tax),
        ])
    }

    /// An admin's manual correction (an appeal upheld, a mistake fixed): straight to or from the
    /// available balance, which a negative adjustment may take below zero like a clawback.
    public static func adjustment(promoterID: String, amount: Int64) throws(TuikeError) -> JournalEntry {
        try JournalEntry(kind: "manual_adjustment", postings: [Posting(.commissionExpense, amount), Posting(.promoterAvailable(promoterID), -amount)])
    }

    /// A withdrawal request moves the amount out of available at once.
    public static func withdrawalRequested(promoterID: String, amount: Int64) throws(TuikeError) -> JournalEntry {
        try JournalEntry(kind: "withdrawal_requested", postings: [
            Posting(.promoterAvailable(promoterID), amount), Posting(.promoterWithdrawing(promoterID), -amount),
        ])
    }

    /// Paid out: the provider sends `amount − fee`, the merchant keeps the fee.
    public static func withdrawalPaid(promoterID: String, amount: Int64, fee: Int64) throws(TuikeError) -> JournalEntry {
        try JournalEntry(kind: "withdrawal_paid", postings: [
            Posting(.promoterWithdrawing(promoterID), amount), Posting(.payoutClearing, -(amount - fee)), Posting(.payoutFees, -fee),
        ])
    }

    /// Rejected or failed: the amount returns to available.
    public static func withdrawalReturned(promoterID: String, amount: Int64) throws(TuikeError) -> JournalEntry {
        try JournalEntry(kind: "withdrawal_returned", postings: [
            Posting(.promoterWithdrawing(promoterID), amount), Posting(.promoterAvailable(promoterID), -amount),
        ])
    }
}

/// Balances from postings: the trial balance and a promoter's view of what it is owed.
public struct Ledger: Sendable {
    public private(set) var balances: [Account: Int64] = [:]

    public init() {}

    public mutating func post(_ entry: JournalEntry) {
        for posting in entry.postings { balances[posting.account, default: 0] += posting.amount }
    }

    public var isBalanced: Bool { balances.values.reduce(0, +) == 0 }

    /// What Tuike owes the promoter, by bucket (journal credits shown as positive amounts).
    public func owed(to promoterID: String) -> (pending: Int64, available: Int64, withdrawing: Int64) {
        (-(balances[.promoterPending(promoterID)] ?? 0), -(balances[.promoterAvailable(promoterID)] ?? 0),
         -(balances[.promoterWithdrawing(promoterID)] ?? 0))
    }
}
