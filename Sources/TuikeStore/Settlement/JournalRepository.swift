import SQLKit
import TuikeCore

/// The journal on disk. Entries are written inside the transaction of the change they record and
/// are never updated or deleted (triggers refuse it); corrections are new entries.
public enum JournalRepository {
    /// Writes the entry and keeps `promoter_balances` in step with every `promoter:<id>:available`
    /// posting. With `covering`, a posting that lowers that promoter's available balance is
    /// refused with 409 `insufficient_balance` unless the balance covers it, checked and taken in
    /// one conditional UPDATE so concurrent withdrawals can never overdraw.
    public static func post(_ entry: JournalEntry, reference: String, at now: Instant, covering: String? = nil, in db: any SQLDatabase) async throws {
        try await project(entry, covering: covering, in: db)
        try await insert([(Identifier.make("jrn", at: now), entry, reference)], at: now, in: db)
    }

    /// Several entries at once: the same, their rows added to `batch` (one INSERT per table for
    /// all of them), the balances kept in step at once.
    static func post(_ entries: [(entry: JournalEntry, reference: String)], at now: Instant, into batch: inout StatementBatch,
                     in db: any SQLDatabase) async throws {
        for (entry, _) in entries { try await project(entry, covering: nil, in: db) }
        for chunk in entries.map({ (id: Identifier.make("jrn", at: now), entry: $0.entry, reference: $0.reference) }).chunked(by: 300) {
            insertRows(chunk, at: now, into: &batch)
        }
    }

    /// Whether posting `entry` also updates `promoter_balances` (`project`).
    static func movesAvailableBalance(_ entry: JournalEntry) -> Bool {
        entry.postings.contains { if case .promoterAvailable = $0.account { true } else { false } }
    }

    private static func project(_ entry: JournalEntry, covering: String?, in db: any SQLDatabase) async throws {
        for posting in entry.postings {
            guard case .promoterAvailable(let promoterID) = posting.account else { continue }
            // Journal credits are negative; the projection holds what is owed, so it moves the other way.
            let owedChange = -posting.amount
            if promoterID == covering, owedChange < 0 {
                let taken = try await db.first("""
                    UPDATE promoter_balances SET available = available + \(bind: owedChange)
                    WHERE promoter_id = \(bind: promoterID) AND available + \(bind: owedChange) >= 0 RETURNING available
                    """)
                if taken == nil { throw try await insufficient(promoterID: promoterID, amount: -owedChange, in: db) }
            } else {
                try await db.execute("""
                    INSERT INTO promoter_balances (promoter_id, available) VALUES (\(bind: promoterID), \(bind: owedChange))
                    ON CONFLICT (promoter_id) DO UPDATE SET available = promoter_balances.available + excluded.available
                    """)
            }
        }
    }

    static let entryInsert = RowInsert(into: "journal_entries", columns: ["id", "kind", "reference", "created_at"])
    static let postingInsert = RowInsert(into: "journal_postings", columns: ["entry_id", "account", "amount"])

    /// Entries written together with multi-row INSERTs; the caller keeps `promoter_balances` in step.
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
        batch.insert(postingInsert, rows: entries.flatMap { id, entry, _ in
            entry.postings.map { [.text(id), .text($0.account.description), .int($0.amount)] }
        })
    }

    static func insufficient(promoterID: String, amount: Int64, in db: any SQLDatabase) async throws -> TuikeError {
        let available = try await db.first("SELECT available FROM promoter_balances WHERE promoter_id = \(bind: promoterID)")?
            .decode(column: "available", as: Int64.self) ?? 0
        if available < 0 {
            return TuikeError(.conflict, code: "insufficient_balance",
                              "the available balance is negative (\(available) fen) after a clawback; withdrawals wait until it is positive again")
        }
        return TuikeError(.conflict, code: "insufficient_balance", "\(amount) fen exceeds the available balance of \(available) fen")
    }

    /// Every account with a non-zero balance, by name.
    public static func trialBalance(database: any Database) async throws -> [(account: String, balance: Int64)] {
        try await database.read { db in
            try await db.rows("""
                SELECT account, CAST(SUM(amount) AS BIGINT) AS balance FROM journal_postings GROUP BY account HAVING SUM(amount) <> 0 ORDER BY account
                """).map { (try $0.decode(column: "account", as: String.self), try $0.decode(column: "balance", as: Int64.self)) }
        }
    }

    /// What Tuike owes a promoter per bucket, read from the journal (credits shown positive), and
    /// what has been paid out to it in all.
    public static func owed(to promoterID: String, database: any Database) async throws -> (pending: Int64, available: Int64, withdrawing: Int64, withdrawn: Int64) {
        let accounts = [Account.promoterPending(promoterID), .promoterAvailable(promoterID), .promoterWithdrawing(promoterID)].map(\.description)
        return try await database.read { db in
            let balances = try await db.rows("""
                SELECT account, CAST(SUM(amount) AS BIGINT) AS balance FROM journal_postings
                WHERE account IN (\(SQLList(accounts.map { SQLBind($0) }))) GROUP BY account
                """).reduce(into: [String: Int64]()) { $0[try $1.decode(column: "account", as: String.self)] = try $1.decode(column: "balance", as: Int64.self) }
            let withdrawn = try await db.one("""
                SELECT CAST(COALESCE(SUM(p.amount), 0) AS BIGINT) AS paid FROM journal_postings p JOIN journal_entries e ON e.id = p.entry_id
                WHERE p.account = \(bind: accounts[2]) AND e.kind = 'withdrawal_paid'
                """).decode(column: "paid", as: Int64.self)
            return (-(balances[accounts[0]] ?? 0), -(balances[accounts[1]] ?? 0), -(balances[accounts[2]] ?? 0), withdrawn)
        }
    }
}
