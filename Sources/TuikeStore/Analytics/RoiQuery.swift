import SQLKit
import TuikeCore

/// Return on commission (rules §17) of the orders paid in a span, as they stand now: by product,
/// by level-1 promoter or by campaign rule (`RoiTally`). Finished days come from their kept
/// tallies (`RoiCohorts`), summed once per change of them and kept in memory; days marked since
/// they were kept, and the rest of the span (today), are counted from the rows.
public struct RoiQuery: Sendable {
    let database: any Database

    public init(database: any Database) { self.database = database }

    public typealias Grouping = RoiTally.Grouping

    public struct Row: Sendable, Equatable {
        public let key: String
        public var name: String
        public var figures: RoiFigures

        public var orders: Int64 { figures.orders }
        public var gmv: Int64 { figures.gmv }
        public var refunded: Int64 { figures.refunded }
        public var commission: Int64 { figures.commission }
        public var through: Int64 { figures.through }
        public var costPerOrder: Int64? { figures.costPerOrder }
        public var promoterShareBps: Int64? { figures.promoterShareBps }
    }

    /// Every group's row, biggest GMV first, and the whole span's.
    /// `now` splits what is not kept: the part older than `DayRollups.lag`, to the minute, is
    /// counted once and kept in memory until a mark in it or the next minute; only the few minutes
    /// after it are counted from the rows on every read.
    /// `limit`: the groups of greatest GMV returned (all without it); `groups` says how many there are.
    public func report(by grouping: Grouping, from: Instant, to: Instant, now: Instant,
                       limit: Int? = nil) async throws -> (rows: [Row], total: Row, groups: Int) {
        let dialect = database.dialect
        let identity = database.cacheIdentity
        return try await database.report { [database] in
            try await database.read { db in
                var tally = RoiTally()
                let (rolled, spans) = try await DayRollups.split(from: from, to: to, in: db)
                var unkept: [(start: Instant, end: Instant)] = []
                if let rolled {
                    // Days marked since they were kept, or never kept (rolled up by an instance of
                    // an earlier release): counted from the rows below. Read before the version,
                    // never after: a recount between the two then shows as a newer version, so a
                    // key never names a sum from before a mark this read did not see.
                    unkept = try await db.rows("""
                        SELECT f.starts_at, f.ends_at FROM finance_days f WHERE f.starts_at >= \(bind: rolled.start.milliseconds) AND f.ends_at <= \(bind: rolled.end.milliseconds)
                            AND (EXISTS (SELECT 1 FROM roi_changes c WHERE c.paid_at >= f.starts_at AND c.paid_at < f.ends_at)
                                OR NOT EXISTS (SELECT 1 FROM roi_days r WHERE r.kind = 'product:total' AND r.starts_at = f.starts_at))
                        """).map { (start: Instant(milliseconds: try $0.decode(column: "starts_at", as: Int64.self)),
                                    end: Instant(milliseconds: try $0.decode(column: "ends_at", as: Int64.self))) }
                    let version = try await db.first("SELECT roi_version FROM rollup_state WHERE id = 1")?.decode(column: "roi_version", as: Int64.self) ?? 0
                    let key = "\(identity)|\(grouping.rawValue)|\(rolled.start.milliseconds)|\(rolled.end.milliseconds)|\(version)|"
                        + unkept.map { String($0.start.milliseconds) }.joined(separator: ",")
                    // The kept sum is added to, not into: a promoter's month has thousands of groups.
                    tally = try await Self.kept.value(key) {
                        try await Self.kept(grouping, from: rolled.start, to: rolled.end, except: unkept.map(\.start), in: db)
                    }
                }
                // The rest of the span (today) up to the last settled minute is kept too; a day
                // waiting to be kept again is counted as it is (the sweep keeps it within a minute).
                let settled = Instant(milliseconds: (now.milliseconds - DayRollups.lag) / 60_000 * 60_000)
                for span in spans {
                    let middle = min(max(span.start, settled), span.end)
                    if span.start < middle { tally.add(try await Self.settled(from: span.start, to: middle, identity: identity, dialect: dialect, in: db)) }
                    tally.add(try await RoiCohorts.count(from: middle, to: span.end, dialect: dialect, in: db))
                }
                for day in unkept { tally.add(try await RoiCohorts.count(from: day.start, to: day.end, dialect: dialect, in: db)) }
                let groups = tally.groups[grouping] ?? [:]
                var rows = groups.map { key, figures in Row(key: key, name: key, figures: figures) }
                    .sorted { ($0.gmv, $1.key) > ($1.gmv, $0.key) }
                if let limit { rows = Array(rows.prefix(max(0, limit))) }
                // Names of the rows shown only: a month has thousands of promoters.
                let names = try await Self.names(grouping, keys: rows.map(\.key), in: db)
                for index in rows.indices { rows[index].name = names[rows[index].key] ?? (rows[index].key.isEmpty ? "(direct)" : rows[index].key) }
                return (rows, Row(key: "(total)", name: "(total)", figures: tally.totals[grouping] ?? RoiFigures()), groups.count)
            }
        }
    }

    /// One grouping's kept days in `[from, to)` added up, but for the days starting at `except`.
    static func kept(_ grouping: Grouping, from: Instant, to: Instant, except: [Instant], in db: any SQLDatabase) async throws -> RoiTally {
        var tally = RoiTally()
        let skip: SQLQueryString = except.isEmpty ? "" : "AND starts_at NOT IN (\(SQLList(except.map { SQLBind($0.milliseconds) })))"
        for row in try await db.rows("""
            SELECT kind, group_key, CAST(SUM(orders) AS BIGINT) AS orders, CAST(SUM(gmv) AS BIGINT) AS gmv, CAST(SUM(refunded) AS BIGINT) AS refunded,
                CAST(SUM(commission) AS BIGINT) AS commission, CAST(SUM(brought) AS BIGINT) AS brought
            FROM roi_days WHERE kind IN (\(bind: grouping.rawValue), \(bind: RoiCohorts.totalKind(grouping)))
                AND starts_at >= \(bind: from.milliseconds) AND starts_at < \(bind: to.milliseconds) \(skip)
            GROUP BY kind, group_key
            """) {
            let figures = RoiFigures(orders: try row.decode(column: "orders", as: Int64.self), gmv: try row.decode(column: "gmv", as: Int64.self),
                                     refunded: try row.decode(column: "refunded", as: Int64.self),
                                     commission: try row.decode(column: "commission", as: Int64.self), through: try row.decode(column: "brought", as: Int64.self))
            if try row.decode(column: "kind", as: String.self) == grouping.rawValue {
                tally.add(figures, key: try row.decode(column: "group_key", as: String.self), by: grouping)
            } else {
                tally.addTotal(figures, by: grouping)
            }
        }
        return tally
    }

    private static let kept = KeptValues<RoiTally>()

    /// The cohort of `[from, to)`, a span not kept by day (today up to the last settled minute),
    /// made once and kept under its marks (`RoiCohorts.marksKey`): any refund since adds one.
    static func settled(from: Instant, to: Instant, identity: String, dialect: Dialect, in db: any SQLDatabase) async throws -> RoiTally {
        let key = "\(identity)|\(from.milliseconds)|\(to.milliseconds)|" + (try await RoiCohorts.marksKey(from: from, to: to, in: db))
        return try await spans.value(key) { try await RoiCohorts.count(from: from, to: to, dialect: dialect, in: db) }
    }

    private static let spans = KeptValues<RoiTally>(limit: 64)

    static func names(_ grouping: Grouping, keys: [String], in db: any SQLDatabase) async throws -> [String: String] {
        switch grouping {
        case .promoter: return try await PromoterRepository.names(keys.filter { !$0.isEmpty }, in: db)
        case .campaign: return [:]
        case .product:
            var names: [String: String] = [:]
            for chunk in keys.chunked(by: 500) {
                for row in try await db.rows("SELECT id, title FROM products WHERE id IN (\(SQLList(chunk.map { SQLBind($0) })))") {
                    names[try row.decode(column: "id", as: String.self)] = try row.decode(column: "title", as: String.self)
                }
            }
            return names
        }
    }
}
