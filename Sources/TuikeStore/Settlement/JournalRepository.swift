import SQLKit
import TuikeCore

/// The journal on disk. Entries are written inside the transaction of the change they record and
/// are never updated or deleted (triggers refuse it); corrections are new entries. Each posting
/// moves its account's running balance in the same statement (`AccountBalances`).
public enum JournalRepository {
    /// Writes the entry. With `covering`, an entry that lowers that promoter's available balance
    /// is refused with 409 `insufficient_balance` (and the caller's transaction rolls back) unless
    /// the balance covers it. The balance is read after the posting moved it: the posting's upsert
    /// holds the account's row until the transaction ends, so concurrent withdrawals take turns
    /// and can never overdraw.
    public static func post(_ entry: JournalEntry, reference: String, at now: Instant, covering: String? = nil, in db: any SQLDatabase) async throws {
        try await insert([(Identifier.make("jrn", at: now), entry, reference)], at: now, in: db)
        guard let covering else { return }
        let account = Account.promoterAvailable(covering)
        // Journal credits are negative; what is owed to the promoter is their opposite.
        let taken = entry.postings.filter { $0.account == account }.reduce(Int64(0)) { $0 &+ $1.amount }
        guard taken > 0 else { return }
        let owed = -(try await AccountBalances.balances([account], in: db)[account] ?? 0)
        if owed < 0 { throw insufficient(available: owed &+ taken, amount: taken) }
    }

    /// Several entries at once: the same, their rows added to `batch` (one INSERT per table for
    /// all of them).
    static func post(_ entries: [(entry: JournalEntry, reference: String)], at now: Instant, into batch: inout StatementBatch) {
        for chunk in entries.map({ (id: Identifier.make("jrn", at: now), entry: $0.entry, reference: $0.reference) }).chunked(by: 300) {
            insertRows(chunk, at: now, into: &batch)
        }
    }

    static let entryInsert = RowInsert(into: "journal_entries", columns: ["id", "kind", "reference", "created_at"])
    static let postingInsert = RowInsert(into: "journal_postings", columns: ["entry_id", "account", "amount"])

    /// Entries written together with multi-row INSERTs.
    static func insert(_ entries: [(id: String, entry: JournalEntry, reference: String)], at now: Instant, in db: any SQLDatabase) async throws {
        for chunk in entries.chunked(by: 300) {
            var batch = StatementBatch()
            insertRows(chunk, at: now, into: &batch)
            try await batch.run(in: db)
        }
    }

    private static func insertRows(_ entries: some Collection<(id: String, entry: JournalEntry, reference: String)>, at now: Instant,
                                   into batch: inout StatementBatch) {
        batch.insert(entryInsert, rows: entries.map { id, entry, reference in
            [.text(id), .text(entry.kind), .text(reference), .int(now.milliseconds)]
        })
        // In account order: each posting locks its account's running balance, and transactions
        // that take their locks in one order cannot deadlock on them.
        let postings = entries.flatMap { id, entry, _ in entry.postings.map { (id: id, account: $0.account.description, amount: $0.amount) } }
        batch.insert(postingInsert, rows: postings.sorted { $0.account < $1.account }.map { [.text($0.id), .text($0.account), .int($0.amount)] })
    }

    static func insufficient(available: Int64, amount: Int64) -> TuikeError {
        if available < 0 {
            return TuikeError(.conflict, code: "insufficient_balance",
                              "the available balance is negative (\(available) fen) after a clawback; withdrawals wait until it is positive again")
        }
        return TuikeError(.conflict, code: "insufficient_balance", "\(amount) fen exceeds the available balance of \(available) fen")
    }

    /// Every account with a non-zero balance, by name, from the running balances; the promoters'
    /// summed per kind unless `everyPromoter`.
    public static func trialBalance(everyPromoter: Bool = false, database: any Database) async throws -> [(account: String, balance: Int64)] {
        try await database.read { db in try await AccountBalances.nonZero(promotersTogether: !everyPromoter, in: db) }
    }

    /// What Tuike owes a promoter per bucket (credits shown positive), from the running balances,
    /// and what has been paid out to it in all, from its paid withdrawals.
    public static func owed(to promoterID: String, database: any Database) async throws -> (pending: Int64, available: Int64, withdrawing: Int64, withdrawn: Int64) {
        let (pending, available, withdrawing) = (Account.promoterPending(promoterID), Account.promoterAvailable(promoterID), Account.promoterWithdrawing(promoterID))
        return try await database.read { db in
            let balances = try await AccountBalances.balances([pending, available, withdrawing], in: db)
            // `status || ''` keeps the planner on the promoter's index (a dozen rows a year)
            // instead of the index of every paid withdrawal.
            let withdrawn = try await db.one("""
                SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS paid FROM withdrawals WHERE promoter_id = \(bind: promoterID) AND status || '' = 'paid'
                """).decode(column: "paid", as: Int64.self)
            return (-(balances[pending] ?? 0), -(balances[available] ?? 0), -(balances[withdrawing] ?? 0), withdrawn)
        }
    }
}
