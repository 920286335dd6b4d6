import Hummingbird
import TuikeCore
import TuikeStore

/// Incentives (docs/rules.md §18): badge rules and points rules for admins, each promoter's
/// badges, progress and points for itself.
struct IncentivesController {
    let badges: BadgeRepository
    let promoters: PromoterRepository
    let products: ProductRepository
    let program: ProgramRepository
    let clock: any TuikeClock

    func addRoutes(to api: APIRoutes) {
        let badge = Schemas.ref("Badge"), points = Schemas.ref("PointsRule")
        api.add(.post, "/api/v1/badges", summary: "Define a badge: a threshold on own paid orders or GMV in a day, week or month", tag: "Incentives",
                access: .admin, request: Self.badgeRequestSchema, responses: [(201, "The badge rule.", badge)], handler: createBadge)
        api.add(.get, "/api/v1/badges", summary: "Every badge rule", tag: "Incentives", access: .admin,
                responses: [(200, "The rules.", Schemas.object([("data", Schemas.array(badge))]))]) { _, _ in
            try JSONOutput.response(["data": try await badges.rules().map(BadgeView.init)])
        }
        api.add(.delete, "/api/v1/badges/{id}", summary: "Stop awarding a badge (those awarded stay until they expire)", tag: "Incentives",
                access: .admin, responses: [(204, "Stopped.", nil), (404, "Unknown badge.", Schemas.ref("Error"))]) { _, context in
            let id = try context.parameters.require("id")
            guard try await badges.archive(id) else { throw TuikeError.notFound("badge", id) }
            return Response(status: .noContent)
        }
        api.add(.post, "/api/v1/points-rules", summary: "Points per own paid order, for a product or all, in a window", tag: "Incentives",
                access: .admin, request: Self.pointsRequestSchema, responses: [(201, "The points rule.", points)], handler: createPoints)
        api.add(.get, "/api/v1/points-rules", summary: "Every points rule", tag: "Incentives", access: .admin,
                responses: [(200, "The rules.", Schemas.object([("data", Schemas.array(points))]))]) { _, _ in
            try JSONOutput.response(["data": try await badges.pointsRules().map(PointsView.init)])
        }
        api.add(.delete, "/api/v1/points-rules/{id}", summary: "Remove a points rule (the points it gave go with it)", tag: "Incentives",
                access: .admin, responses: [(204, "Removed.", nil), (404, "Unknown rule.", Schemas.ref("Error"))]) { _, context in
            let id = try context.parameters.require("id")
            guard try await badges.deletePoints(id) else { throw TuikeError.notFound("points rule", id) }
            return Response(status: .noContent)
        }
        api.add(.get, "/api/v1/promoters/{id}/incentives", summary: "The promoter's badges, its progress towards each, and its points",
                tag: "Incentives", access: .promoterSelf, responses: [(200, "Incentives.", Self.incentivesSchema),
                                                                     (404, "Unknown promoter.", Schemas.ref("Error"))], handler: incentives)
    }

    struct BadgeRequest: RequestBody {
        let name: String
        let metric: String
        let period: String
        let threshold: Int64
        let validDays: Int64?
        let bonus: Int64?
        let perk: String?
        let coupon: CouponRequest?
        typealias Keys = CodingKeys
        enum CodingKeys: String, CodingKey, CaseIterable {
            case name, metric, period, threshold, validDays = "valid_days", bonus, perk, coupon
        }
    }

    struct CouponRequest: Decodable, Sendable {
        let type: String
        let value: Int64
        let usageLimit: Int64?
        let minAmount: Int64?
        enum CodingKeys: String, CodingKey { case type, value, usageLimit = "usage_limit", minAmount = "min_amount" }
    }

    static let couponSchema = Schemas.object([
        ("type", Schemas.enumeration(Coupon.Kind.allCases.map(\.rawValue))),
        ("value", Schemas.integer(in: 1...Money.maxAmount, "Fen off (fixed), or bps off (percent: at most 10000).")),
        ("usage_limit", Schemas.nullable(Schemas.integer(in: 1...Coupon.maxUsageLimit))),
        ("min_amount", Schemas.integer(in: 0...Money.maxAmount)),
    ], required: ["type", "value"])

    static let badgeFields: [(String, JSONValue)] = [
        ("name", Schemas.name(maxLength: BadgeRule.maxName)), ("metric", Schemas.enumeration(BadgeRule.Metric.allCases.map(\.rawValue))),
        ("period", Schemas.enumeration(CalendarPeriod.allCases.map(\.rawValue))),
        ("threshold", Schemas.integer(in: 1...Money.maxAmount, "Paid orders (at most \(BadgeRule.maxOrders)) or fen of GMV.")),
        ("valid_days", Schemas.integer(in: 0...BadgeRule.maxValidDays, "Days shown after the award; 0 (default): until the next period's award.")),
        ("bonus", Schemas.integer(in: 0...BadgeRule.maxBonus, "Fen booked to the promoter's available balance with the award.")),
        ("perk", Schemas.text(0...BadgeRule.maxPerk, "What the badge entitles to, as the portal shows it.")),
        ("coupon", Schemas.nullable(couponSchema)),
    ]
    static let badgeRequestSchema = Schemas.object(badgeFields, required: ["name", "metric", "period", "threshold"])

    struct BadgeView: Encodable, Sendable {
        let id: String
        let name: String
        let metric: String
        let period: String
        let threshold: Int64
        let validDays: Int64
        let bonus: Int64
        @ExplicitNull var perk: String?
        @ExplicitNull var coupon: CouponView?
        let active: Bool
        let createdAt: Instant

        struct CouponView: Encodable, Sendable {
            let type: String
            let value: Int64
            @ExplicitNull var usageLimit: Int64?
            let minAmount: Int64
        }

        init(_ rule: BadgeRule) {
            (id, name, metric, period, threshold) = (rule.id, rule.name, rule.metric.rawValue, rule.period.rawValue, rule.threshold)
            (validDays, bonus, perk, active, createdAt) = (rule.validDays, rule.bonus, rule.perk, rule.active, rule.createdAt)
            coupon = rule.coupon.map { CouponView(type: $0.kind.rawValue, value: $0.value, usageLimit: $0.usageLimit, minAmount: $0.minAmount) }
        }

        static let schema = Schemas.object([("id", Schemas.string)] + badgeFields.filter { $0.0 != "perk" }
            + [("perk", Schemas.nullable(Schemas.string)), ("active", Schemas.boolean), ("created_at", Schemas.time)])
    }

    @Sendable func createBadge(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(BadgeRequest.self, from: request, context: context)
        let metric = try ProductsController.parse(body.metric, as: BadgeRule.Metric.self, field: "metric") ?? .paidOrders
        let period = try ProductsController.parse(body.period, as: CalendarPeriod.self, field: "period") ?? .month
        let now = clock.now()
        let perk = body.perk.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.flatMap { $0.isEmpty ? nil : $0 }
        let coupon = try body.coupon.map { request throws(TuikeError) in
            BadgeRule.CouponReward(kind: try ProductsController.parse(required: request.type, as: Coupon.Kind.self, field: "coupon.type"),
                                   value: request.value, usageLimit: request.usageLimit, minAmount: request.minAmount ?? 0)
        }
        let rule = BadgeRule(id: Identifier.make("bdg", at: now), name: body.name.trimmingCharacters(in: .whitespacesAndNewlines), metric: metric,
                             period: period, threshold: body.threshold, validDays: body.validDays ?? 0, bonus: body.bonus ?? 0, perk: perk,
                             coupon: coupon, createdAt: now)
        try await badges.create(rule, timeZone: try await program.current().timeZone)
        return try JSONOutput.response(BadgeView(rule), status: .created)
    }

    struct PointsRequest: RequestBody {
        let productId: String?
        let points: Int64
        let startsAt: Instant?
        let endsAt: Instant?
        typealias Keys = CodingKeys
        enum CodingKeys: String, CodingKey, CaseIterable { case productId = "product_id", points, startsAt = "starts_at", endsAt = "ends_at" }
    }

    static let pointsRequestSchema = Schemas.object([
        ("product_id", Schemas.nullable(Schemas.string)), ("points", Schemas.integer(in: 1...PointsRule.maxPoints)),
        ("starts_at", Schemas.time), ("ends_at", Schemas.nullable(Schemas.time)),
    ], required: ["points"])

    struct PointsView: Encodable, Sendable {
        let id: String
        @ExplicitNull var productId: String?
        let points: Int64
        let startsAt: Instant
        @ExplicitNull var endsAt: Instant?
        let createdAt: Instant

        init(_ rule: PointsRule) {
            (id, productId, points, startsAt, endsAt, createdAt) = (rule.id, rule.productID, rule.points, rule.startsAt, rule.endsAt, rule.createdAt)
        }

        static let schema = Schemas.object([
            ("id", Schemas.string), ("product_id", Schemas.nullable(Schemas.string)), ("points", Schemas.integer(in: 1...PointsRule.maxPoints)),
            ("starts_at", Schemas.time), ("ends_at", Schemas.nullable(Schemas.time)), ("created_at", Schemas.time),
        ])
    }

    @Sendable func createPoints(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(PointsRequest.self, from: request, context: context)
        if let id = body.productId, try await products.find(id) == nil { throw TuikeError.validation("product_id \(id) is not a product") }
        let now = clock.now()
        let rule = PointsRule(id: Identifier.make("pts", at: now), productID: body.productId, points: body.points, startsAt: body.startsAt ?? now,
                              endsAt: body.endsAt, createdAt: now)
        try await badges.createPoints(rule)
        return try JSONOutput.response(PointsView(rule), status: .created)
    }

    struct AwardedView: Encodable, Sendable {
        let badgeId: String
        let name: String
        @ExplicitNull var perk: String?
        @ExplicitNull var couponCode: String?
        let periodStart: Instant
        let periodEnd: Instant
        let value: Int64
        let awardedAt: Instant
        let expiresAt: Instant
    }

    struct ProgressView: Encodable, Sendable {
        let badgeId: String
        let name: String
        let metric: String
        let period: String
        let from: Instant
        let to: Instant
        let value: Int64
        let threshold: Int64
        let reached: Bool
    }

    struct IncentivesView: Encodable, Sendable {
        let points: Int64
        let badges: [AwardedView]
        let progress: [ProgressView]
    }

    static let incentivesSchema = Schemas.object([
        ("points", Schemas.integer(atLeast: 0)),
        ("badges", Schemas.array(Schemas.object([
            ("badge_id", Schemas.string), ("name", Schemas.string), ("perk", Schemas.nullable(Schemas.string)),
            ("coupon_code", Schemas.nullable(Schemas.string)), ("period_start", Schemas.time),
            ("period_end", Schemas.time), ("value", Schemas.integer), ("awarded_at", Schemas.time), ("expires_at", Schemas.time),
        ]))),
        ("progress", Schemas.array(Schemas.object([
            ("badge_id", Schemas.string), ("name", Schemas.string), ("metric", Schemas.enumeration(BadgeRule.Metric.allCases.map(\.rawValue))),
            ("period", Schemas.enumeration(CalendarPeriod.allCases.map(\.rawValue))), ("from", Schemas.time), ("to", Schemas.time),
            ("value", Schemas.integer), ("threshold", Schemas.integer), ("reached", Schemas.boolean),
        ]))),
    ], required: ["points", "badges", "progress"])

    @Sendable func incentives(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        guard try await promoters.find(id) != nil else { throw TuikeError.notFound("promoter", id) }
        let found = try await badges.incentives(promoterID: id, timeZone: try await program.current().timeZone, now: clock.now())
        return try JSONOutput.response(IncentivesView(
            points: found.points,
            badges: found.badges.map {
                AwardedView(badgeId: $0.badgeID, name: $0.name, perk: $0.perk, couponCode: $0.couponCode, periodStart: $0.periodStart, periodEnd: $0.periodEnd, value: $0.value,
                            awardedAt: $0.awardedAt, expiresAt: $0.expiresAt)
            },
            progress: found.progress.map {
                ProgressView(badgeId: $0.rule.id, name: $0.rule.name, metric: $0.rule.metric.rawValue, period: $0.rule.period.rawValue, from: $0.start,
                             to: $0.end, value: $0.value, threshold: $0.rule.threshold, reached: $0.value >= $0.rule.threshold)
            }))
    }
}
