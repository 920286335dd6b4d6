import Hummingbird
import TuikeCore
import TuikeStore

/// Coupons: fixed or percent off, validity, usage limit, min order; a promoter's coupon
/// also attributes the order to the promoter.
struct CouponsController {
    let coupons: CouponRepository
    let clock: any TuikeClock

    func addRoutes(to api: APIRoutes) {
        api.add(.post, "/api/v1/coupons", summary: "Create a coupon", tag: "Orders", access: .admin,
                request: Schemas.object([
                    ("code", ["type": "string", "pattern": "^[A-Za-z0-9_-]{3,32}$"] as JSONValue),
                    ("type", Schemas.enumeration(Coupon.Kind.allCases.map(\.rawValue))),
                    ("value", Schemas.integer(in: 1...Money.maxAmount, "Fen off (fixed), or bps off (percent: at most 10000).")),
                    ("promoter_id", Schemas.string), ("min_amount", Schemas.integer(in: 0...Money.maxAmount)),
                    ("starts_at", Schemas.time), ("ends_at", Schemas.time),
                    ("usage_limit", Schemas.integer(in: 1...Coupon.maxUsageLimit)),
                ], required: ["code", "type", "value"]),
                responses: [(201, "The coupon.", Schemas.ref("Coupon"))], handler: create)
        api.add(.get, "/api/v1/coupons", summary: "All coupons, newest first", tag: "Orders", access: .admin,
                responses: [(200, "Coupons.", Schemas.object([("data", Schemas.array(Schemas.ref("Coupon")))]))]) { _, context in
            return try JSONOutput.response(["data": try await coupons.list().map(CouponView.init)])
        }
    }

    struct CreateRequest: RequestBody {
        let code: String
        let type: String
        let value: Int64
        let promoterId: String?
        let minAmount: Int64?
        let startsAt: Instant?
        let endsAt: Instant?
        let usageLimit: Int64?
        typealias Keys = CodingKeys
        enum CodingKeys: String, CodingKey, CaseIterable {
            case code, type, value, promoterId = "promoter_id", minAmount = "min_amount", startsAt = "starts_at", endsAt = "ends_at", usageLimit = "usage_limit"
        }
    }

    @Sendable func create(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(CreateRequest.self, from: request, context: context)
        let coupon = Coupon(
            code: Coupon.normalize(body.code), kind: try ProductsController.parse(required: body.type, as: Coupon.Kind.self, field: "type"), value: body.value,
            promoterID: body.promoterId, minAmount: body.minAmount ?? 0, startsAt: body.startsAt, endsAt: body.endsAt, usageLimit: body.usageLimit)
        try coupon.validate()
        try await coupons.create(coupon, at: clock.now())
        return try JSONOutput.response(CouponView(coupon), status: .created)
    }

    struct CouponView: Encodable, Sendable {
        let code: String
        let type: String
        let value: Int64
        @ExplicitNull var promoterId: String?
        let minAmount: Int64
        @ExplicitNull var startsAt: Instant?
        @ExplicitNull var endsAt: Instant?
        @ExplicitNull var usageLimit: Int64?
        let used: Int64

        init(_ coupon: Coupon) {
            code = coupon.code
            type = coupon.kind.rawValue
            value = coupon.value
            promoterId = coupon.promoterID
            minAmount = coupon.minAmount
            startsAt = coupon.startsAt
            endsAt = coupon.endsAt
            usageLimit = coupon.usageLimit
            used = coupon.used
        }

        static let schema = Schemas.object([
            ("code", Schemas.string), ("type", Schemas.enumeration(Coupon.Kind.allCases.map(\.rawValue))), ("value", Schemas.integer),
            ("promoter_id", Schemas.nullable(Schemas.string)), ("min_amount", Schemas.integer), ("starts_at", Schemas.nullable(Schemas.time)),
            ("ends_at", Schemas.nullable(Schemas.time)), ("usage_limit", Schemas.nullable(Schemas.integer)), ("used", Schemas.integer),
        ])
    }
}
