import SQLKit
import TuikeCore

/// Running balances: every account's debits and credits posted so far, kept by the database
/// itself. A trigger on `journal_postings` adds each posting to its account's row in the statement
/// that inserts the posting, with one upsert (`debits = debits + …`), so no write path can forget
/// it, concurrent postings to one account stay exact (the row is locked, never read and written
/// back), and a balance is one indexed read however long the journal grows. The journal stays the
/// truth: `LedgerCheck` recomputes every account from its postings.
///
/// On PostgreSQL the merchant's own accounts, which nearly every payment posts to, are spread
/// over eight rows (`shard`, chosen per transaction), so concurrent payments do not queue on one
/// row lock; a promoter's accounts stay on one row, which a withdrawal's cover check relies on.
/// Postings are inserted in account order (`JournalRepository`), so two transactions take these
/// row locks in the same order and cannot deadlock on them.
public enum AccountBalances {
    /// Debits minus credits of each account named (zero for an account never posted to).
    static func balances(_ accounts: [Account], in db: any SQLDatabase) async throws -> [Account: Int64] {
        guard !accounts.isEmpty else { return [:] }
        let names = Dictionary(accounts.map { ($0.description, $0) }, uniquingKeysWith: { first, _ in first })
        var result = Dictionary(uniqueKeysWithValues: accounts.map { ($0, Int64(0)) })
        for row in try await db.rows("""
            SELECT account, CAST(SUM(debits) - SUM(credits) AS BIGINT) AS balance FROM account_balances
            WHERE account IN (\(SQLList(names.keys.sorted().map { SQLBind($0) }))) GROUP BY account
            """) {
            if let account = names[try row.decode(column: "account", as: String.self)] {
                result[account] = try row.decode(column: "balance", as: Int64.self)
            }
        }
        return result
    }

    /// Every account with a non-zero balance, by name: one row per account (and shard), however
    /// many postings it has. With `promotersTogether`, the promoters' accounts are shown by their
    /// control accounts (`promoter:*:pending` and so on, `ControlAccounts`), as a trial balance
    /// shows a subsidiary ledger: a school with ten thousand promoters has thirty thousand of them.
    static func nonZero(promotersTogether: Bool, in db: any SQLDatabase) async throws -> [(account: String, balance: Int64)] {
        let ranges = promotersTogether ? ControlAccounts.ranges : ["NOT (account >= 'promoter:*:' AND account < 'promoter:*;')"]
        var result: [(account: String, balance: Int64)] = []
        for range in ranges {
            result += try await db.rows("""
                SELECT account, CAST(SUM(debits) - SUM(credits) AS BIGINT) AS balance FROM account_balances
                WHERE \(range) GROUP BY account HAVING SUM(debits) <> SUM(credits) ORDER BY account
                """).map { (try $0.decode(column: "account", as: String.self), try $0.decode(column: "balance", as: Int64.self)) }
        }
        return result
    }

    /// The balance of one account (a control account included) over all its shards.
    static func total(of account: String, in db: any SQLDatabase) async throws -> Int64 {
        try await db.one("""
            SELECT CAST(COALESCE(SUM(debits) - SUM(credits), 0) AS BIGINT) AS balance FROM account_balances WHERE account = \(bind: account)
            """).decode(column: "balance", as: Int64.self)
    }

    /// Debits minus credits of the whole journal (zero when it balances), from the control
    /// accounts and every account that is not a promoter's.
    static func journalTotal(in db: any SQLDatabase) async throws -> Int64 {
        var total: Int64 = 0
        for range in ControlAccounts.ranges {
            total &+= try await db.one("""
                SELECT CAST(COALESCE(SUM(debits) - SUM(credits), 0) AS BIGINT) AS balance FROM account_balances WHERE \(range)
                """).decode(column: "balance", as: Int64.self)
        }
        return total
    }

    /// Running balances, computed once from the journal as it stands, then kept by the trigger.
    /// `promoter_balances`, which kept only the available accounts in step (by code on each write
    /// path), is replaced by them.
    static let migration = Migration(version: 15, name: "running_balances", statements: [
        """
        CREATE TABLE account_balances (
            account TEXT NOT NULL,
            shard BIGINT NOT NULL DEFAULT 0,
            debits BIGINT NOT NULL DEFAULT 0,
            credits BIGINT NOT NULL DEFAULT 0,
            PRIMARY KEY (account, shard)
        )
        """,
        """
        INSERT INTO account_balances (account, shard, debits, credits)
        SELECT account, 0, SUM(CASE WHEN amount > 0 THEN amount ELSE 0 END), SUM(CASE WHEN amount < 0 THEN -amount ELSE 0 END)
        FROM journal_postings GROUP BY account
        """,
        "DROP TABLE promoter_balances",
        """
        CREATE TABLE ledger_checks (
            checked_at BIGINT PRIMARY KEY,
            accounts BIGINT NOT NULL,
            differences TEXT NOT NULL
        )
        """,
    ], dialectStatements: [
        .sqlite: [
            """
            CREATE TRIGGER journal_postings_balance AFTER INSERT ON journal_postings BEGIN
                INSERT INTO account_balances (account, shard, debits, credits)
                VALUES (NEW.account, 0, MAX(NEW.amount, 0), MAX(-NEW.amount, 0))
                ON CONFLICT (account, shard) DO UPDATE SET debits = debits + excluded.debits, credits = credits + excluded.credits;
            END
            """,
        ],
        .postgres: [
            """
            CREATE FUNCTION tuike_account_balance() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO account_balances (account, shard, debits, credits)
                VALUES (NEW.account, CASE WHEN NEW.account LIKE 'promoter:%' THEN 0 ELSE txid_current() % 8 END,
                        GREATEST(NEW.amount, 0), GREATEST(-NEW.amount, 0))
                ON CONFLICT (account, shard) DO UPDATE
                    SET debits = account_balances.debits + excluded.debits, credits = account_balances.credits + excluded.credits;
                RETURN NULL;
            END $$
            """,
            "CREATE TRIGGER journal_postings_balance AFTER INSERT ON journal_postings FOR EACH ROW EXECUTE FUNCTION tuike_account_balance()",
        ],
    ])
}
