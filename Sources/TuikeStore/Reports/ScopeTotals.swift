import SQLKit
import TuikeCore

/// All-time totals of every scope the rollups count (program, link, promoter, product): the sum
/// of its rolled-up days, moved in the write that records each day. A figure "since the start"
/// (a team member's clicks, leaderboards over all time) reads one row plus the rows since the
/// rollups' watermark, instead of a row per day of history.
enum ScopeTotals {
    /// The figures kept: every additive one (visitors are not: they do not add up across days).
    static let columns = ["clicks", "bots", "orders", "paid_orders", "gmv", "refunds", "refunded", "commissions", "reversed"]

    /// Adds a rolled-up day's rows to the totals, in the write that records the day.
    static func add(day label: String, in db: any SQLDatabase) async throws {
        let list = columns.joined(separator: ", ")
        let sums = columns.map { "\($0) = scope_totals.\($0) + excluded.\($0)" }.joined(separator: ", ")
        try await db.execute("""
            INSERT INTO scope_totals (scope, \(unsafeRaw: list)) SELECT scope, \(unsafeRaw: list) FROM day_rollups WHERE day = \(bind: label)
            ON CONFLICT (scope) DO UPDATE SET \(unsafeRaw: sums)
            """)
    }

    static let migration = Migration(version: 19, name: "scope_totals", statements: [
        "CREATE TABLE scope_totals (\n    scope TEXT PRIMARY KEY,\n" + columns.map { "    \($0) BIGINT NOT NULL" }.joined(separator: ",\n") + "\n)",
        """
        INSERT INTO scope_totals (scope, \(columns.joined(separator: ", ")))
        SELECT scope, \(columns.map { "CAST(SUM(\($0)) AS BIGINT)" }.joined(separator: ", ")) FROM day_rollups GROUP BY scope
        """,
    ], dialectStatements: [
        .postgres: [#"ALTER TABLE scope_totals ALTER COLUMN scope TYPE TEXT COLLATE "C""#],
    ])
}
