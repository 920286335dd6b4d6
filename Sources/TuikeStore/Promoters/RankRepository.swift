import SQLKit
import TuikeCore

/// Ranks and their recomputation from the promoters' own paid orders of the trailing 30 days.
public struct RankRepository: Sendable {
    let database: any Database

    public init(database: any Database) { self.database = database }

    public func all() async throws -> [Rank] {
        try await database.read { db in try await Self.all(in: db) }
    }

    static func all(in db: any SQLDatabase) async throws -> [Rank] {
        try await db.rows("SELECT id, name, metric, threshold, bonus_bps FROM ranks ORDER BY bonus_bps, threshold, id").map { row in
            Rank(id: try row.decode(column: "id", as: String.self), name: try row.decode(column: "name", as: String.self),
                 metric: try row.decodeEnum(column: "metric", as: Rank.Metric.self), threshold: try row.decode(column: "threshold", as: Int64.self),
                 bonusBps: try row.decode(column: "bonus_bps", as: Int64.self))
        }
    }

    public func create(_ rank: Rank, at now: Instant) async throws {
        let inserted = try await database.write { db in
            try await db.first("""
                INSERT INTO ranks (id, name, metric, threshold, bonus_bps, created_at)
                VALUES (\(bind: rank.id), \(bind: rank.name), \(bind: rank.metric.rawValue), \(bind: rank.threshold), \(bind: rank.bonusBps), \(bind: now.milliseconds))
                ON CONFLICT DO NOTHING RETURNING id
                """) != nil
        }
        if !inserted { throw TuikeError(.conflict, code: "rank_exists", "a rank named \(rank.name) exists") }
    }

    /// Removes a rank; promoters holding it hold none until the next recomputation.
    public func delete(_ id: String) async throws -> Bool {
        try await database.write { db in
            try await db.execute("UPDATE promoters SET rank_id = NULL WHERE rank_id = \(bind: id)")
            return try await db.first("DELETE FROM ranks WHERE id = \(bind: id) RETURNING id") != nil
        }
    }

    /// Sets every promoter's rank from its own paid, not fully refunded, non-self-referral orders
    /// of the trailing 30 days. Returns how many promoters changed rank.
    ///
    /// The scan runs as a report, outside any write: on SQLite a write holds the one writer, and
    /// every click and payment would wait for a scan of a month's orders. Only the changes are
    /// written, each on the condition that the promoter's rank is still the one the scan saw, so a
    /// rank written in between (by a recompute that overtook this one) stands, and a rank deleted in
    /// between is given to nobody.
    @discardableResult
    public func recompute(at now: Instant) async throws -> Int {
        let since = now.adding(seconds: -Rank.trailingDays * 86_400)
        let changes = try await database.report { [database] in
            try await database.read { db in try await Self.changes(since: since, until: now, in: db) }
        }
        guard !changes.isEmpty else { return 0 }
        return try await database.write { db in try await Self.apply(changes, in: db) }
    }

    /// Writes the changes whose promoter still holds the rank the scan saw, and whose new rank
    /// still exists; returns how many it wrote.
    static func apply(_ changes: [RankChange], in db: any SQLDatabase) async throws -> Int {
        var changed = 0
        for change in changes {
            let current: SQLQueryString = change.from.map { "rank_id = \(bind: $0)" } ?? "rank_id IS NULL"
            let target: SQLQueryString = change.to.map { "EXISTS (SELECT 1 FROM ranks WHERE id = \(bind: $0))" } ?? "1 = 1"
            let row = try await db.first("""
                UPDATE promoters SET rank_id = \(bind: change.to)
                WHERE id = \(bind: change.id) AND \(current) AND status IN ('active', 'suspended') AND \(target) RETURNING id
                """)
            if row != nil { changed += 1 }
        }
        return changed
    }

    struct RankChange: Sendable { let id: String; let from: String?; let to: String? }

    /// The active and suspended promoters whose rank the window's orders move, and where to.
    static func changes(since: Instant, until: Instant, in db: any SQLDatabase) async throws -> [RankChange] {
        let ranks = try await Self.all(in: db)
        var metrics: [String: (orders: Int64, gmv: Int64)] = [:]
        for row in try await db.rows("""
            SELECT promoter_id, COUNT(*) AS orders, CAST(SUM(amount - refunded) AS BIGINT) AS gmv FROM orders
            WHERE \(CountedOrders.condition(from: since, through: until))
            GROUP BY promoter_id
            """) {
            metrics[try row.decode(column: "promoter_id", as: String.self)] = (try row.decode(column: "orders", as: Int64.self), try row.decode(column: "gmv", as: Int64.self))
        }
        var changes: [RankChange] = []
        for row in try await db.rows("SELECT id, rank_id FROM promoters WHERE status IN ('active', 'suspended')") {
            let id = try row.decode(column: "id", as: String.self)
            let current = try row.decode(column: "rank_id", as: String?.self)
            let stats = metrics[id] ?? (0, 0)
            let next = Rank.choose(from: ranks, paidOrders: stats.orders, gmv: stats.gmv)?.id
            if next != current { changes.append(RankChange(id: id, from: current, to: next)) }
        }
        return changes
    }

    /// The bonus the promoter's current rank adds to level 1, in the caller's transaction.
    static func bonusBps(of promoterID: String, in db: any SQLDatabase) async throws -> Int64 {
        try await db.first("""
            SELECT r.bonus_bps FROM promoters p JOIN ranks r ON r.id = p.rank_id WHERE p.id = \(bind: promoterID)
            """)?.decode(column: "bonus_bps", as: Int64.self) ?? 0
    }
}
