import TuikeCore
import TuikeStore

/// The demo school's incentives: 每日开单 (a sale a day) since three weeks ago, awarded for the days
/// whose refund window has passed, with a perk; 金牌推广大使 (50 own paid orders in a month) to work
/// towards; ten points per paid order.
struct DemoIncentives {
    let app: TuikeApp

    func load() async throws {
        let now = app.clock.now(), badges = BadgeRepository(database: app.database)
        let settings = try await ProgramRepository(database: app.database).current()
        let start = now.adding(seconds: -21 * 86_400)
        try await badges.create(BadgeRule(id: Identifier.make("bdg", at: start), name: "每日开单", metric: .paidOrders, period: .day, threshold: 1,
                                          validDays: 30, perk: "专属海报模板", createdAt: start), timeZone: settings.timeZone)
        try await badges.create(BadgeRule(id: Identifier.make("bdg", at: now), name: "金牌推广大使", metric: .paidOrders, period: .month, threshold: 50,
                                          bonus: 20_000, perk: "一级佣金另加 2%，专属素材",
                                          coupon: .init(kind: .fixed, value: 2_000, usageLimit: 100, minAmount: 10_000), createdAt: now),
                                timeZone: settings.timeZone)
        try await badges.createPoints(PointsRule(id: Identifier.make("pts", at: start), productID: nil, points: 10, startsAt: start, endsAt: nil, createdAt: start))
        try await badges.awardDue(settings: settings, now: now, periodsPerCall: 31)
    }
}
