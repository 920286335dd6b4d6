import SQLKit
import TuikeCore

/// Badge rules, the badges awarded and points rules (`BadgeRule`, `PointsRule`, rules §18).
public struct BadgeRepository: Sendable {
    let database: any Database

    public init(database: any Database) { self.database = database }

    static let columns = "id, name, metric, period, threshold, valid_days, bonus, perk, coupon, active, created_at"

    /// A new rule; its first period is the one it is created in.
    public func create(_ rule: BadgeRule, timeZone: String) async throws {
        try rule.validate()
        let first = try rule.period.bounds(at: rule.createdAt, timeZone: timeZone).start
        let coupon = try rule.coupon.map { try StoredJSON.encode($0) }
        try await database.write { db in
            try await db.execute("""
                INSERT INTO badge_rules (id, name, metric, period, threshold, valid_days, bonus, perk, coupon, active, awarded_through, created_at)
                VALUES (\(bind: rule.id), \(bind: rule.name), \(bind: rule.metric.rawValue), \(bind: rule.period.rawValue), \(bind: rule.threshold),
                    \(bind: rule.validDays), \(bind: rule.bonus), \(bind: rule.perk), \(bind: coupon), 1, \(bind: first.milliseconds),
                    \(bind: rule.createdAt.milliseconds))
                """)
        }
    }

    public func rules(activeOnly: Bool = false) async throws -> [BadgeRule] {
        try await database.read { db in try await Self.rules(activeOnly: activeOnly, in: db) }
    }

    static func rules(activeOnly: Bool, in db: any SQLDatabase) async throws -> [BadgeRule] {
        try await db.rows("SELECT \(unsafeRaw: columns) FROM badge_rules\(unsafeRaw: activeOnly ? " WHERE active = 1" : "") ORDER BY id").map(decode)
    }

    public func rule(_ id: String) async throws -> BadgeRule? {
        try await database.read { db in try await db.first("SELECT \(unsafeRaw: Self.columns) FROM badge_rules WHERE id = \(bind: id)").map(Self.decode) }
    }

    /// The badges a promoter holds at `now` (awarded and not expired), by rule id.
    public func held(promoterID: String, at now: Instant) async throws -> Set<String> {
        try await database.read { db in
            Set(try await db.rows("""
                SELECT DISTINCT badge_id FROM promoter_badges WHERE promoter_id = \(bind: promoterID) AND expires_at > \(bind: now.milliseconds)
                """).map { try $0.decode(column: "badge_id", as: String.self) })
        }
    }

    /// Stops awarding a rule; the badges it gave stay until they expire. False: no such rule.
    public func archive(_ id: String) async throws -> Bool {
        try await database.write { db in
            try await db.first("UPDATE badge_rules SET active = 0 WHERE id = \(bind: id) RETURNING id") != nil
        }
    }

    static func decode(_ row: any SQLRow) throws -> BadgeRule {
        BadgeRule(id: try row.decode(column: "id", as: String.self), name: try row.decode(column: "name", as: String.self),
                  metric: try row.decodeEnum(column: "metric", as: BadgeRule.Metric.self), period: try row.decodeEnum(column: "period", as: CalendarPeriod.self),
                  threshold: try row.decode(column: "threshold", as: Int64.self), validDays: try row.decode(column: "valid_days", as: Int64.self),
                  bonus: try row.decode(column: "bonus", as: Int64.self), perk: try row.decode(column: "perk", as: String?.self),
                  coupon: try row.decode(column: "coupon", as: String?.self).map { try StoredJSON.decode(BadgeRule.CouponReward.self, $0) },
                  active: try row.decode(column: "active", as: Int64.self) != 0, createdAt: try row.decodeInstant(column: "created_at"))
    }

    /// Each active promoter's counted orders paid in `[start, end)` and what they paid less
    /// refunds, as they stand now; only those with any.
    static func figures(from start: Instant, to end: Instant, promoterID: String? = nil,
                        in db: any SQLDatabase) async throws -> [String: (orders: Int64, gmv: Int64)] {
        let only: SQLQueryString = promoterID.map { "promoter_id = \(bind: $0)" } ?? "promoter_id IN (SELECT id FROM promoters WHERE status = 'active')"
        var figures: [String: (orders: Int64, gmv: Int64)] = [:]
        for row in try await db.rows("""
            SELECT promoter_id, COUNT(*) AS n, CAST(SUM(amount - refunded) AS BIGINT) AS g FROM orders
            WHERE \(only) AND \(CountedOrders.condition(from: start, through: end.adding(milliseconds: -1))) GROUP BY promoter_id
            """) {
            figures[try row.decode(column: "promoter_id", as: String.self)] = (try row.decode(column: "n", as: Int64.self), try row.decode(column: "g", as: Int64.self))
        }
        return figures
    }
}
