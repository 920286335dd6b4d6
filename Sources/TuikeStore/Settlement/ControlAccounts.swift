import SQLKit
import TuikeCore

/// Control accounts: the promoters' accounts of each kind summed in one running balance
/// (`promoter:*:pending`, `promoter:*:available`, `promoter:*:withdrawing`), as a ledger keeps a
/// subsidiary ledger's total in a control account. A school with ten thousand promoters has thirty
/// thousand promoter accounts; the trial balance, the reconciliation's journal total and the
/// ledger check's open positions read these three rows instead of scanning them.
///
/// The same trigger that moves a promoter account's running balance moves its control account,
/// in the statement that inserts the posting, so the two can never disagree except by a fault the
/// ledger check reports (it recomputes the control accounts from the postings too). On PostgreSQL
/// a control account is spread over eight rows like the merchant's accounts, with the shard of the
/// transaction: payments already take turns on that shard's merchant rows, so the control rows
/// add no waiting of their own.
public enum ControlAccounts {
    static let prefix = "promoter:*:"

    /// The control account of the promoter account in `column`, in SQL (the same on both databases).
    static func name(of column: String) -> String {
        """
        CASE WHEN \(column) LIKE '%:pending' THEN 'promoter:*:pending' WHEN \(column) LIKE '%:available' THEN 'promoter:*:available' \
        WHEN \(column) LIKE '%:withdrawing' THEN 'promoter:*:withdrawing' ELSE 'promoter:*:other' END
        """
    }

    /// The order in which a transaction's postings are inserted, and so the order in which their
    /// running balances' rows are locked. A promoter posting locks its control account first and
    /// its own row next, so promoter accounts are ordered by kind, then by name: every lock is then
    /// taken in one global order (`promoter:*:pending` before `promoter:*:pending` + the promoters'
    /// pending accounts, before `promoter:*:withdrawing`…), and two transactions cannot deadlock.
    static func lockOrder(_ account: String) -> String {
        let parts = account.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "promoter" else { return account }
        return prefix + parts[2] + "\u{1}" + parts[1]
    }

    /// The accounts a trial balance lists: every account that is not a promoter's, and the control
    /// accounts in their place. Three index ranges (`account` sorts bytewise on both databases).
    static let ranges: [SQLQueryString] = [
        "account < 'promoter:'",
        "account >= 'promoter:*:' AND account < 'promoter:*;'",
        "account >= 'promoter;'",
    ]

    /// The promoters' own accounts, without the control accounts.
    static let subsidiary: SQLQueryString = "account >= 'promoter:' AND account < 'promoter;' AND NOT (account >= 'promoter:*:' AND account < 'promoter:*;')"

    /// Fills the control accounts from the promoters' running balances, once (a migration, or a
    /// bulk load that computed the running balances itself).
    public static let fill = """
        INSERT INTO account_balances (account, shard, debits, credits)
        SELECT \(name(of: "account")), 0, CAST(SUM(debits) AS BIGINT), CAST(SUM(credits) AS BIGINT) FROM account_balances
        WHERE account LIKE 'promoter:%' AND account NOT LIKE 'promoter:*:%' GROUP BY 1
        """

    static let migration = Migration(version: 18, name: "control_accounts", statements: [fill], dialectStatements: [
        .sqlite: [
            """
            CREATE TRIGGER journal_postings_control AFTER INSERT ON journal_postings WHEN NEW.account LIKE 'promoter:%' BEGIN
                INSERT INTO account_balances (account, shard, debits, credits)
                VALUES (\(name(of: "NEW.account")), 0, MAX(NEW.amount, 0), MAX(-NEW.amount, 0))
                ON CONFLICT (account, shard) DO UPDATE SET debits = debits + excluded.debits, credits = credits + excluded.credits;
            END
            """,
        ],
        .postgres: [
            // Account names and scopes are compared as ranges ('promoter:' up to 'promoter;'):
            // bytewise, whatever collation the database was created with.
            #"ALTER TABLE account_balances ALTER COLUMN account TYPE TEXT COLLATE "C""#,
            #"ALTER TABLE day_rollups ALTER COLUMN scope TYPE TEXT COLLATE "C""#,
            #"ALTER TABLE day_sketches ALTER COLUMN scope TYPE TEXT COLLATE "C""#,
            """
            CREATE OR REPLACE FUNCTION tuike_account_balance() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE s BIGINT := txid_current() % 8;
            BEGIN
                IF NEW.account LIKE 'promoter:%' THEN
                    INSERT INTO account_balances (account, shard, debits, credits)
                    VALUES (\(name(of: "NEW.account")), s, GREATEST(NEW.amount, 0), GREATEST(-NEW.amount, 0))
                    ON CONFLICT (account, shard) DO UPDATE
                        SET debits = account_balances.debits + excluded.debits, credits = account_balances.credits + excluded.credits;
                    s := 0;
                END IF;
                INSERT INTO account_balances (account, shard, debits, credits)
                VALUES (NEW.account, s, GREATEST(NEW.amount, 0), GREATEST(-NEW.amount, 0))
                ON CONFLICT (account, shard) DO UPDATE
                    SET debits = account_balances.debits + excluded.debits, credits = account_balances.credits + excluded.credits;
                RETURN NULL;
            END $$
            """,
        ],
    ])
}
