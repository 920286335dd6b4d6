import Foundation
import SQLKit
import TuikeCore

/// The proof that the running balances (`AccountBalances`) say what the journal says: every
/// account and control account (`ControlAccounts`) recomputed from its postings and compared; and that what the operational tables hold
/// open (pending commissions, withdrawals in flight) is what the journal owes. It scans the whole
/// journal and every open commission, on purpose, so it runs as an hourly job and on demand, and
/// the reconciliation report shows the latest result.
public struct LedgerCheck: Sendable, Equatable, Codable {
    public struct Difference: Sendable, Equatable, Codable {
        public let account: String
        /// Debits minus credits, summed from the postings.
        public let journal: Int64
        /// Debits minus credits, as the running balance holds it.
        public let running: Int64
    }

    /// An open position as the operational tables and as the journal's accounts hold it.
    public struct Position: Sendable, Equatable, Codable {
        public let name: String
        public let operational: Int64
        public let journal: Int64
        public var agrees: Bool { operational == journal }
    }

    public let checkedAt: Instant
    public let accounts: Int64
    /// At most `listed` of them.
    public let differences: [Difference]
    public let positions: [Position]
    public var consistent: Bool { differences.isEmpty && positions.allSatisfy(\.agrees) }

    public static let listed = 100

    /// Recomputes and compares, then records the result.
    public static func run(database: any Database, at now: Instant) async throws -> LedgerCheck {
        let check = try await database.read { db in
            let accounts = try await db.one("SELECT COUNT(DISTINCT account) AS n FROM account_balances").decode(column: "n", as: Int64.self)
            let differences = try await db.rows("""
                SELECT account, CAST(SUM(j) AS BIGINT) AS journal, CAST(SUM(r) AS BIGINT) AS running FROM (
                    SELECT account, amount AS j, 0 AS r FROM journal_postings
                    UNION ALL SELECT \(unsafeRaw: ControlAccounts.name(of: "account")) AS account, amount AS j, 0 AS r FROM journal_postings
                        WHERE account LIKE 'promoter:%'
                    UNION ALL SELECT account, 0 AS j, debits - credits AS r FROM account_balances
                ) x GROUP BY account HAVING SUM(j) <> SUM(r) ORDER BY account LIMIT \(bind: Int64(listed))
                """).map {
                Difference(account: try $0.decode(column: "account", as: String.self), journal: try $0.decode(column: "journal", as: Int64.self),
                           running: try $0.decode(column: "running", as: Int64.self))
            }
            func sum(_ query: SQLQueryString) async throws -> Int64 {
                try await db.one("SELECT CAST(COALESCE(SUM(v), 0) AS BIGINT) AS total FROM (\(query)) q").decode(column: "total", as: Int64.self)
            }
            let positions = [
                Position(name: "pending_commissions", operational: try await sum("SELECT amount - reversed AS v FROM commissions WHERE status IN ('pending', 'held')"),
                         journal: -(try await AccountBalances.total(of: ControlAccounts.prefix + "pending", in: db))),
                Position(name: "withdrawals_in_flight", operational: try await sum("SELECT amount AS v FROM withdrawals WHERE status IN ('requested', 'approved')"),
                         journal: -(try await AccountBalances.total(of: ControlAccounts.prefix + "withdrawing", in: db))),
            ]
            return LedgerCheck(checkedAt: now, accounts: accounts, differences: differences, positions: positions)
        }
        let differences = String(decoding: try JSONEncoder().encode(check.differences), as: UTF8.self)
        let positions = String(decoding: try JSONEncoder().encode(check.positions), as: UTF8.self)
        try await database.write { db in
            try await db.execute("""
                INSERT INTO ledger_checks (checked_at, accounts, differences, positions)
                VALUES (\(bind: now.milliseconds), \(bind: check.accounts), \(bind: differences), \(bind: positions))
                ON CONFLICT (checked_at) DO NOTHING
                """)
        }
        return check
    }

    /// The latest recorded check, if any ran.
    public static func latest(database: any Database) async throws -> LedgerCheck? {
        try await database.read { db in try await latest(in: db) }
    }

    static func latest(in db: any SQLDatabase) async throws -> LedgerCheck? {
        guard let row = try await db.first("SELECT checked_at, accounts, differences, positions FROM ledger_checks ORDER BY checked_at DESC LIMIT 1") else {
            return nil
        }
        let differences = try JSONDecoder().decode([Difference].self, from: Data(try row.decode(column: "differences", as: String.self).utf8))
        let positions = try JSONDecoder().decode([Position].self, from: Data(try row.decode(column: "positions", as: String.self).utf8))
        return LedgerCheck(checkedAt: try row.decodeInstant(column: "checked_at"), accounts: try row.decode(column: "accounts", as: Int64.self),
                           differences: differences, positions: positions)
    }

    /// What a check records of the open positions, added after the first checks were kept.
    static let migration = Migration(version: 17, name: "ledger_check_positions", statements: [
        "ALTER TABLE ledger_checks ADD COLUMN positions TEXT NOT NULL DEFAULT '[]'",
    ])
}
