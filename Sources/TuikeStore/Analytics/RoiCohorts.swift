import SQLKit
import TuikeCore

/// Return on commission's cohorts kept by day (rules §17): each finished day's tally of the
/// orders paid in it, as they stand now (`RoiTally`), one row per group.
///
/// A refund or a rejected commission changes the tally of its order's payment day, which may
/// have been rolled up long before, so it leaves a mark in the same transaction (`roi_changes`,
/// the payment's time). Readers count a marked day from the rows, so they say what the rows say
/// when they read them; the sweep counts marked days again (at most once a minute, or at once while a backlog
/// is waiting) and clears exactly the marks it read before counting, so a mark made while it
/// counted stays for the next time.
enum RoiCohorts {
    /// Days counted again per call, so one call stays short while a backlog is caught up.
    static let daysPerCall = 31
    /// How often marked days are counted again when there is no backlog.
    static let interval: Int64 = 60_000

    static let insert = RowInsert(into: "roi_days", columns: ["kind", "starts_at", "group_key", "orders", "gmv", "refunded", "commission", "brought"])

    /// The orders paid in `[from, to)` as they stand now, from the rows.
    static func count(from: Instant, to: Instant, dialect: Dialect, in db: any SQLDatabase) async throws -> RoiTally {
        guard from < to else { return RoiTally() }
        let within = MadeWithin(start: from, end: to, dialect: dialect)
        var earned: [String: Int64] = [:]
        for row in try await db.rows("""
            SELECT m.order_item_id, CAST(SUM(m.amount - m.reversed) AS BIGINT) AS c FROM payments p JOIN commissions m ON m.order_id = p.order_id
            WHERE \(within("p", prefix: "pay")) AND m.kind = 'order' GROUP BY m.order_item_id
            """) {
            earned[try row.decode(column: "order_item_id", as: String.self)] = try row.decode(column: "c", as: Int64.self)
        }
        var lines: [RoiTally.Line] = []
        for row in try await db.rows("""
            SELECT o.id, o.promoter_id, o.self_referral, i.id AS item_id, i.product_id, i.rule_source, i.paid, i.refunded
            FROM payments p JOIN orders o ON o.id = p.order_id JOIN order_items i ON i.order_id = o.id WHERE \(within("p", prefix: "pay"))
            """) {
            lines.append(RoiTally.Line(orderID: try row.decode(column: "id", as: String.self), promoterID: try row.decode(column: "promoter_id", as: String?.self),
                                       selfReferral: try row.decode(column: "self_referral", as: Int64.self) != 0,
                                       productID: try row.decode(column: "product_id", as: String.self),
                                       ruleSource: try row.decode(column: "rule_source", as: String?.self), paid: try row.decode(column: "paid", as: Int64.self),
                                       refunded: try row.decode(column: "refunded", as: Int64.self),
                                       commission: earned[try row.decode(column: "item_id", as: String.self)] ?? 0))
        }
        return RoiTally(lines: lines)
    }

    /// Marks the payment day of `orderID` as changed (inside the transaction that changes it).
    static func mark(orderID: String, at now: Instant, in db: any SQLDatabase) async throws {
        try await db.execute("""
            INSERT INTO roi_changes (id, paid_at) SELECT \(bind: Identifier.make("roc", at: now)), created_at FROM payments WHERE order_id = \(bind: orderID) LIMIT 1
            """)
    }

    /// The marks of `[start, end)`, read before the day is counted.
    static func marks(from start: Instant, to end: Instant, in db: any SQLDatabase) async throws -> [String] {
        try await db.rows("SELECT id FROM roi_changes WHERE paid_at >= \(bind: start.milliseconds) AND paid_at < \(bind: end.milliseconds)")
            .map { try $0.decode(column: "id", as: String.self) }
    }

    /// What names the paid orders of `[from, to)` as they stand: the marks in it (a change adds
    /// one) and the tallies' version, which every write that clears marks moves, so that a key
    /// never comes back to an earlier state when marks are cleared.
    static func marksKey(from: Instant, to: Instant, in db: any SQLDatabase) async throws -> String {
        let row = try await db.one("""
            SELECT COUNT(*) AS n, MAX(id) AS last, (SELECT roi_version FROM rollup_state WHERE id = 1) AS version FROM roi_changes
            WHERE paid_at >= \(bind: from.milliseconds) AND paid_at < \(bind: to.milliseconds)
            """)
        return "\(try row.decode(column: "n", as: Int64.self))|\(try row.decode(column: "last", as: String?.self) ?? "")|"
            + "\(try row.decode(column: "version", as: Int64?.self) ?? 0)"
    }

    /// Writes a day's tally in place of what was kept, and forgets the marks it answers.
    static func record(day start: Instant, _ tally: RoiTally, clearing marks: [String], in db: any SQLDatabase) async throws {
        for chunk in marks.chunked(by: 500) {
            try await db.execute("DELETE FROM roi_changes WHERE id IN (\(SQLList(chunk.map { SQLBind($0) })))")
        }
        let kinds = RoiTally.Grouping.allCases.flatMap { [$0.rawValue, totalKind($0)] }
        try await db.execute("DELETE FROM roi_days WHERE kind IN (\(SQLList(kinds.map { SQLBind($0) }))) AND starts_at = \(bind: start.milliseconds)")
        func values(_ kind: String, _ key: String, _ f: RoiFigures) -> [RowValue] {
            [.text(kind), .int(start.milliseconds), .text(key), .int(f.orders), .int(f.gmv), .int(f.refunded), .int(f.commission), .int(f.through)]
        }
        var rows: [[RowValue]] = []
        for grouping in RoiTally.Grouping.allCases {
            for (key, figures) in (tally.groups[grouping] ?? [:]).sorted(by: { $0.key < $1.key }) { rows.append(values(grouping.rawValue, key, figures)) }
            // Written even when empty: a kept day always has its totals.
            rows.append(values(totalKind(grouping), "", tally.totals[grouping] ?? RoiFigures()))
        }
        for chunk in rows.chunked(by: 200) { try await db.insertRows(insert, rows: Array(chunk)) }
        try await db.execute("UPDATE rollup_state SET roi_version = roi_version + 1 WHERE id = 1")
    }

    static func totalKind(_ grouping: RoiTally.Grouping) -> String { "\(grouping.rawValue):total" }

    /// Counts again the rolled-up days that marks name (before `through`, in `timeZone`).
    static func refresh(timeZone: String, through: Instant, now: Instant, database: any Database) async throws {
        let dialect = database.dialect
        guard let checked = try await database.read({ db in
            try await db.first("SELECT roi_checked_at FROM rollup_state WHERE id = 1")?.decode(column: "roi_checked_at", as: Int64.self)
        }) else { return }
        if now.milliseconds - checked >= interval {
            // Days rolled up without a tally (by an instance of an earlier release, during an
            // upgrade) are marked, so that they are counted and kept like any changed day.
            try await database.write { db in
                try await db.execute("""
                    INSERT INTO roi_changes (id, paid_at) SELECT 'roc_' || f.day, f.starts_at FROM finance_days f
                    WHERE f.starts_at < \(bind: through.milliseconds)
                        AND NOT EXISTS (SELECT 1 FROM roi_days r WHERE r.kind = 'product:total' AND r.starts_at = f.starts_at)
                        AND NOT EXISTS (SELECT 1 FROM roi_changes c WHERE c.paid_at >= f.starts_at AND c.paid_at < f.ends_at)
                    ON CONFLICT (id) DO NOTHING
                    """)
            }
        }
        let marked = try await database.read { db in
            try await db.rows("SELECT paid_at FROM roi_changes WHERE paid_at < \(bind: through.milliseconds) ORDER BY paid_at LIMIT 5000")
                .map { Instant(milliseconds: try $0.decode(column: "paid_at", as: Int64.self)) }
        }
        guard !marked.isEmpty else { return }
        var days: [CalendarDays.Day] = []
        for at in marked where !(days.last.map { $0.start <= at && at < $0.end } ?? false) {
            if let day = try CalendarDays.days(from: at, to: at, timeZone: timeZone).first { days.append(day) }
        }
        let backlog = days.count > daysPerCall
        guard backlog || now.milliseconds - checked >= interval else { return }
        // One instance per turn: the others find the time moved.
        let claimed = try await database.write { db in
            try await db.first("""
                UPDATE rollup_state SET roi_checked_at = \(bind: now.milliseconds) WHERE id = 1 AND roi_checked_at = \(bind: checked) RETURNING id
                """) != nil
        }
        guard claimed else { return }
        for day in days.prefix(daysPerCall) {
            let (marks, tally) = try await database.read { db in
                let marks = try await Self.marks(from: day.start, to: day.end, in: db)
                return (marks, try await Self.count(from: day.start, to: day.end, dialect: dialect, in: db))
            }
            guard !marks.isEmpty else { continue }
            do {
                try await answer(marks, day: day, tally: tally, timeZone: timeZone, database: database)
            } catch is StaleCount {
                continue
            }
        }
    }

    /// Keeps a day counted again, unless its marks were answered meanwhile (`StaleCount`).
    static func answer(_ marks: [String], day: CalendarDays.Day, tally: RoiTally, timeZone: String, database: any Database) async throws {
        try await database.write { db in
            // Still this time zone's day, and its marks not answered by another instance
            // meanwhile (which may have counted later rows than these).
            guard try await db.first("""
                SELECT id FROM rollup_state WHERE id = 1 AND time_zone = \(bind: timeZone) AND through >= \(bind: day.end.milliseconds)
                """) != nil else { return }
            var gone = 0
            for chunk in marks.chunked(by: 500) {
                gone += try await db.rows("DELETE FROM roi_changes WHERE id IN (\(SQLList(chunk.map { SQLBind($0) }))) RETURNING id").count
            }
            guard gone == marks.count else { throw StaleCount() }
            try await record(day: day.start, tally, clearing: [], in: db)
        }
    }

    /// Rolls the transaction back: another instance answered the marks first.
    struct StaleCount: Error {}

    static let migration = Migration(version: 34, name: "roi_days", statements: [
        """
        CREATE TABLE roi_days (
            kind TEXT NOT NULL,
            starts_at BIGINT NOT NULL,
            group_key TEXT NOT NULL,
            orders BIGINT NOT NULL,
            gmv BIGINT NOT NULL,
            refunded BIGINT NOT NULL,
            commission BIGINT NOT NULL,
            brought BIGINT NOT NULL,
            PRIMARY KEY (kind, starts_at, group_key)
        )
        """,
        "CREATE TABLE roi_changes (id TEXT PRIMARY KEY, paid_at BIGINT NOT NULL)",
        "CREATE INDEX roi_changes_by_time ON roi_changes (paid_at)",
        "ALTER TABLE rollup_state ADD COLUMN roi_version BIGINT NOT NULL DEFAULT 0",
        "ALTER TABLE rollup_state ADD COLUMN roi_checked_at BIGINT NOT NULL DEFAULT 0",
        // Days rolled up before have no tally yet: each is marked, so reads count it from the rows
        // until the sweep has caught up.
        "INSERT INTO roi_changes (id, paid_at) SELECT 'roc_' || day, starts_at FROM finance_days",
    ])
}
