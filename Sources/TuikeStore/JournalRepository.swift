import SQLKit
import TuikeCore

/// The journal on disk. Entries are written inside the transaction of the change they record and
/// are never updated or deleted (triggers refuse it); corrections are new entries.
public enum JournalRepository {
    public static func post(_ entry: JournalEntry, reference: String, at now: Instant, in db: any SQLDatabase) async throws {
        let id = Identifier.make("jrn", at: now)
        try await db.execute("""
            INSERT INTO journal_entries (id, kind, reference, created_at)
            VALUES (\(bind: id), \(bind: entry.kind), \(bind: reference), \(bind: now.milliseconds))
            """)
        var insert = db.insert(into: "journal_postings").columns("entry_id", "account", "amount")
        for posting in entry.postings {
            insert = insert.values([SQLBind(id), SQLBind(posting.account.description), SQLBind(posting.amount)] as [any SQLExpression])
        }
        try await insert.run()
    }

    /// Every account with a non-zero balance, by name.
    public static func trialBalance(database: any Database) async throws -> [(account: String, balance: Int64)] {
        try await database.read { db in
            try await db.rows("""
                SELECT account, CAST(SUM(amount) AS BIGINT) AS balance FROM journal_postings GROUP BY account HAVING SUM(amount) <> 0 ORDER BY account
                """).map { (try $0.decode(column: "account", as: String.self), try $0.decode(column: "balance", as: Int64.self)) }
        }
    }

    /// What Tuike owes a promoter per bucket, read from the journal (credits shown positive).
    public static func owed(to promoterID: String, database: any Database) async throws -> (pending: Int64, available: Int64, withdrawing: Int64) {
        let accounts = [Account.promoterPending(promoterID), .promoterAvailable(promoterID), .promoterWithdrawing(promoterID)].map(\.description)
        let balances = try await database.read { db in
            try await db.rows("""
                SELECT account, CAST(SUM(amount) AS BIGINT) AS balance FROM journal_postings
                WHERE account IN (\(SQLList(accounts.map { SQLBind($0) }))) GROUP BY account
                """).reduce(into: [String: Int64]()) { $0[try $1.decode(column: "account", as: String.self)] = try $1.decode(column: "balance", as: Int64.self) }
        }
        return (-(balances[accounts[0]] ?? 0), -(balances[accounts[1]] ?? 0), -(balances[accounts[2]] ?? 0))
    }
}
