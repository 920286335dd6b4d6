import SQLKit
import TuikeCore

extension BadgeRepository {
    /// Awards the periods that are due: a period is awarded once `freezeDays` have passed since
    /// it ended (an order refunded meanwhile no longer counts), to every active promoter whose
    /// figures reach the threshold, with its bonus booked in the same write. Each period is
    /// awarded once: the rule's `awarded_through` moves conditionally with the awards, so several
    /// instances may run this at once. Returns the badges awarded.
    @discardableResult
    public func awardDue(settings: ProgramSettings, now: Instant, periodsPerCall: Int = 12) async throws -> Int {
        var awarded = 0
        for rule in try await rules(activeOnly: true) {
            for _ in 0..<periodsPerCall {
                guard let through = try await database.read({ db in
                    try await db.first("SELECT awarded_through FROM badge_rules WHERE id = \(bind: rule.id) AND active = 1")?
                        .decode(column: "awarded_through", as: Int64.self)
                }) else { break }
                let start = Instant(milliseconds: through)
                let end = try rule.period.bounds(at: start, timeZone: settings.timeZone).end
                let due = end.adding(seconds: settings.freezeDays * 86_400)
                guard due <= now else { break }
                let figures = try await database.read { db in try await Self.figures(from: start, to: end, in: db) }
                let winners = figures.filter { rule.earned(orders: $0.value.orders, gmv: $0.value.gmv) }.sorted { $0.key < $1.key }
                let expires = try rule.expiry(awardedAt: due, periodEnd: end, timeZone: settings.timeZone)
                let moved = try await database.write { db -> Int? in
                    guard try await db.first("""
                        UPDATE badge_rules SET awarded_through = \(bind: end.milliseconds)
                        WHERE id = \(bind: rule.id) AND awarded_through = \(bind: through) AND active = 1 RETURNING id
                        """) != nil else { return nil }
                    var count = 0
                    for (promoter, value) in winners {
                        guard try await db.first("""
                            INSERT INTO promoter_badges (promoter_id, badge_id, period_start, period_end, value, awarded_at, expires_at)
                            VALUES (\(bind: promoter), \(bind: rule.id), \(bind: start.milliseconds), \(bind: end.milliseconds),
                                \(bind: rule.value(orders: value.orders, gmv: value.gmv)), \(bind: due.milliseconds), \(bind: expires.milliseconds))
                            ON CONFLICT DO NOTHING RETURNING promoter_id
                            """) != nil else { continue }
                        count += 1
                        if let reward = rule.coupon {
                            try await Self.giveCoupon(reward, rule: rule, promoterID: promoter, periodStart: start, awardedAt: due, expiresAt: expires,
                                                      now: now, in: db)
                        }
                        if rule.bonus > 0 {
                            let adjustment = try await AppealRepository.book(promoterID: promoter, amount: rule.bonus, reason: "badge \(rule.name)",
                                                                             admin: "badge:\(rule.id)", appealID: nil, at: now, in: db)
                            try await db.execute("""
                                UPDATE promoter_badges SET adjustment_id = \(bind: adjustment.id)
                                WHERE promoter_id = \(bind: promoter) AND badge_id = \(bind: rule.id) AND period_start = \(bind: start.milliseconds)
                                """)
                        }
                    }
                    return count
                }
                // Another instance awarded this period first: it carries on from there.
                guard let moved else { break }
                awarded += moved
            }
        }
        return awarded
    }

    /// The award's coupon, in the award's write: a code drawn at random (drawn again in the
    /// unlikely case it is taken), kept on the award.
    static func giveCoupon(_ reward: BadgeRule.CouponReward, rule: BadgeRule, promoterID: String, periodStart: Instant, awardedAt: Instant,
                           expiresAt: Instant, now: Instant, in db: any SQLDatabase) async throws {
        var random = SystemRandomNumberGenerator()
        for _ in 0..<5 {
            let code = BadgeRule.CouponReward.code(using: &random)
            let coupon = reward.coupon(code: code, promoterID: promoterID, awardedAt: awardedAt, expiresAt: expiresAt)
            guard try await CouponRepository.insert(coupon, at: now, in: db) else { continue }
            try await db.execute("""
                UPDATE promoter_badges SET coupon_code = \(bind: code)
                WHERE promoter_id = \(bind: promoterID) AND badge_id = \(bind: rule.id) AND period_start = \(bind: periodStart.milliseconds)
                """)
            return
        }
        throw TuikeError(.conflict, code: "coupon_exists", "no free coupon code for badge \(rule.id)")
    }

    public struct Awarded: Sendable, Equatable {
        public let badgeID: String
        public let name: String
        public let perk: String?
        /// The coupon the award gave, if the badge gives one.
        public let couponCode: String?
        public let periodStart: Instant
        public let periodEnd: Instant
        public let value: Int64
        public let awardedAt: Instant
        public let expiresAt: Instant
    }

    public struct Progress: Sendable, Equatable {
        public let rule: BadgeRule
        public let start: Instant
        public let end: Instant
        public let value: Int64
    }

    public struct Incentives: Sendable, Equatable {
        /// Badges not expired, newest first.
        public let badges: [Awarded]
        /// This period's figures against each active rule.
        public let progress: [Progress]
        public let points: Int64
    }

    /// A promoter's badges, its progress towards each and its points, at `now`.
    public func incentives(promoterID: String, timeZone: String, now: Instant) async throws -> Incentives {
        try await database.read { db in
            let badges = try await db.rows("""
                SELECT b.badge_id, r.name, r.perk, b.coupon_code, b.period_start, b.period_end, b.value, b.awarded_at, b.expires_at
                FROM promoter_badges b JOIN badge_rules r ON r.id = b.badge_id
                WHERE b.promoter_id = \(bind: promoterID) AND b.expires_at > \(bind: now.milliseconds) ORDER BY b.awarded_at DESC, b.badge_id
                """).map { row in
                Awarded(badgeID: try row.decode(column: "badge_id", as: String.self), name: try row.decode(column: "name", as: String.self),
                        perk: try row.decode(column: "perk", as: String?.self), couponCode: try row.decode(column: "coupon_code", as: String?.self),
                        periodStart: try row.decodeInstant(column: "period_start"),
                        periodEnd: try row.decodeInstant(column: "period_end"), value: try row.decode(column: "value", as: Int64.self),
                        awardedAt: try row.decodeInstant(column: "awarded_at"), expiresAt: try row.decodeInstant(column: "expires_at"))
            }
            var progress: [Progress] = []
            for rule in try await Self.rules(activeOnly: true, in: db) {
                let (start, end) = try rule.period.bounds(at: now, timeZone: timeZone)
                let figures = try await Self.figures(from: start, to: end, promoterID: promoterID, in: db)[promoterID] ?? (0, 0)
                progress.append(Progress(rule: rule, start: start, end: end, value: rule.value(orders: figures.orders, gmv: figures.gmv)))
            }
            let points = try await db.one("""
                SELECT CAST(COALESCE(SUM(r.points), 0) AS BIGINT) AS points FROM points_rules r JOIN orders o
                    ON o.paid_at >= r.starts_at AND (r.ends_at IS NULL OR o.paid_at < r.ends_at)
                    AND (r.product_id IS NULL OR EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = o.id AND i.product_id = r.product_id))
                WHERE o.promoter_id = \(bind: promoterID) AND \(CountedOrders.condition(from: Instant(milliseconds: 0), through: now))
                """).decode(column: "points", as: Int64.self)
            return Incentives(badges: badges, progress: progress, points: points)
        }
    }

    public func createPoints(_ rule: PointsRule) async throws {
        try rule.validate()
        try await database.write { db in
            try await db.execute("""
                INSERT INTO points_rules (id, product_id, points, starts_at, ends_at, created_at)
                VALUES (\(bind: rule.id), \(bind: rule.productID), \(bind: rule.points), \(bind: rule.startsAt.milliseconds),
                    \(bind: rule.endsAt?.milliseconds), \(bind: rule.createdAt.milliseconds))
                """)
        }
    }

    public func pointsRules() async throws -> [PointsRule] {
        try await database.read { db in
            try await db.rows("SELECT id, product_id, points, starts_at, ends_at, created_at FROM points_rules ORDER BY id").map { row in
                PointsRule(id: try row.decode(column: "id", as: String.self), productID: try row.decode(column: "product_id", as: String?.self),
                           points: try row.decode(column: "points", as: Int64.self), startsAt: try row.decodeInstant(column: "starts_at"),
                           endsAt: try row.decodeOptionalInstant(column: "ends_at"), createdAt: try row.decodeInstant(column: "created_at"))
            }
        }
    }

    public func deletePoints(_ id: String) async throws -> Bool {
        try await database.write { db in try await db.first("DELETE FROM points_rules WHERE id = \(bind: id) RETURNING id") != nil }
    }
}
