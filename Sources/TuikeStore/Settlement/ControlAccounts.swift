import SQLKit
import TuikeCore

/// Control accounts: the promoters' accounts of each kind summed in one running balance
/// (`promoter:*:pending`, `promoter:*:available`, `promoter:*:withdrawing`), as a ledger keeps a
/// subsidiary ledger's total in a control account. A school with ten thousand promoters has thirty
/// thousand promoter accounts; the trial balance, the reconciliation's journal total and the
/// ledger check's open positions read these few rows instead of scanning them.
///
/// The trigger that moves a promoter account's running balance moves its control account too, in
/// the statement that inserts the posting, so the two can never disagree except by a fault the
/// ledger check reports (it recomputes the control accounts from the postings as well).
///
/// On PostgreSQL a control account is never locked by a posting: each posting adds a row of its
/// own (`shard` from a sequence), and `compact` folds those rows into shard 0 every second. A row
/// every posting of a kind had to lock would make concurrent payments, settlements and withdrawals
/// take turns, and a transaction that posts in several statements (a settlement, in chunks) could
/// take such locks in another order than one that posts in one, and deadlock. So postings keep the
/// plain account order, and only promoters' own rows and the merchant's shards are locked. SQLite
/// has one writer: there the control account is one row, moved like any other.
public enum ControlAccounts {
    static let prefix = "promoter:*:"

    /// The control account of the promoter account in `column`, in SQL (the same on both databases).
    static func name(of column: String) -> String {
        """
        CASE WHEN \(column) LIKE '%:pending' THEN 'promoter:*:pending' WHEN \(column) LIKE '%:available' THEN 'promoter:*:available' \
        WHEN \(column) LIKE '%:withdrawing' THEN 'promoter:*:withdrawing' ELSE 'promoter:*:other' END
        """
    }

    /// The accounts a trial balance lists: every account that is not a promoter's, and the control
    /// accounts in their place. Three index ranges (`account` sorts bytewise on both databases).
    static let ranges: [SQLQueryString] = [
        "account < 'promoter:'",
        "account >= 'promoter:*:' AND account < 'promoter:*;'",
        "account >= 'promoter;'",
    ]

    /// Folds the control accounts' posting rows into one row each (PostgreSQL; nothing to do on
    /// SQLite). Two instances compacting at once take turns on the rows: a row deleted by one is
    /// skipped by the other.
    public static func compact(database: any Database) async throws {
        guard database.dialect.kind == .postgres else { return }
        try await database.write { db in
            try await db.execute("""
                WITH folded AS (
                    DELETE FROM account_balances WHERE account >= 'promoter:*:' AND account < 'promoter:*;' AND shard <> 0
                    RETURNING account, debits, credits
                )
                INSERT INTO account_balances (account, shard, debits, credits)
                SELECT account, 0, CAST(SUM(debits) AS BIGINT), CAST(SUM(credits) AS BIGINT) FROM folded GROUP BY account
                ON CONFLICT (account, shard) DO UPDATE
                    SET debits = account_balances.debits + excluded.debits, credits = account_balances.credits + excluded.credits
                """)
        }
    }

    /// Fills the control accounts from the promoters' running balances, once (a migration, or a
    /// bulk load that computed the running balances itself).
    public static let fill = """
        INSERT INTO account_balances (account, shard, debits, credits)
        SELECT \(name(of: "account")), 0, CAST(SUM(debits) AS BIGINT), CAST(SUM(credits) AS BIGINT) FROM account_balances
        WHERE account LIKE 'promoter:%' AND account NOT LIKE 'promoter:*:%' GROUP BY 1
        """

    static let migration = Migration(version: 18, name: "control_accounts", statements: [], dialectStatements: [
        // The migration's transaction is SQLite's one writer: no posting can come in between.
        .sqlite: [
            fill,
            """
            CREATE TRIGGER journal_postings_control AFTER INSERT ON journal_postings WHEN NEW.account LIKE 'promoter:%' BEGIN
                INSERT INTO account_balances (account, shard, debits, credits)
                VALUES (\(name(of: "NEW.account")), 0, MAX(NEW.amount, 0), MAX(-NEW.amount, 0))
                ON CONFLICT (account, shard) DO UPDATE SET debits = debits + excluded.debits, credits = credits + excluded.credits;
            END
            """,
        ],
        .postgres: [
            // Other instances may be posting: they wait until the new trigger is in place, so
            // every posting is either in the fill or counted by the trigger.
            "LOCK TABLE journal_postings IN SHARE ROW EXCLUSIVE MODE",
            // Account names and scopes are compared as ranges ('promoter:' up to 'promoter;'):
            // bytewise, whatever collation the database was created with.
            #"ALTER TABLE account_balances ALTER COLUMN account TYPE TEXT COLLATE "C""#,
            #"ALTER TABLE day_rollups ALTER COLUMN scope TYPE TEXT COLLATE "C""#,
            #"ALTER TABLE day_sketches ALTER COLUMN scope TYPE TEXT COLLATE "C""#,
            "CREATE SEQUENCE control_account_rows",
            """
            CREATE OR REPLACE FUNCTION tuike_account_balance() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.account LIKE 'promoter:%' THEN
                    INSERT INTO account_balances (account, shard, debits, credits)
                    VALUES (\(name(of: "NEW.account")), nextval('control_account_rows'), GREATEST(NEW.amount, 0), GREATEST(-NEW.amount, 0));
                END IF;
                INSERT INTO account_balances (account, shard, debits, credits)
                VALUES (NEW.account, CASE WHEN NEW.account LIKE 'promoter:%' THEN 0 ELSE txid_current() % 8 END,
                        GREATEST(NEW.amount, 0), GREATEST(-NEW.amount, 0))
                ON CONFLICT (account, shard) DO UPDATE
                    SET debits = account_balances.debits + excluded.debits, credits = account_balances.credits + excluded.credits;
                RETURN NULL;
            END $$
            """,
            fill,
        ],
    ])
}
