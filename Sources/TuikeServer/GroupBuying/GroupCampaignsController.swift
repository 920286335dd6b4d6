import Hummingbird
import TuikeCore
import TuikeStore

/// Group-buy campaigns (拼团活动): create, change, list; the join list (凑团) and metrics.
struct GroupCampaignsController {
    let campaigns: GroupCampaignRepository
    let groups: GroupRepository
    let products: ProductRepository
    let publicURL: String
    let clock: any TuikeClock

    func addRoutes(to api: APIRoutes) {
        api.add(.post, "/api/v1/group-campaigns", summary: "Create a group-buy campaign", tag: "Groups", access: .admin,
                request: Self.requestSchema(required: ["product_id", "group_price", "group_size"]),
                responses: [(201, "The campaign.", Schemas.ref("GroupCampaign"))], handler: create)
        api.add(.get, "/api/v1/group-campaigns", summary: "Campaigns, newest first", tag: "Groups", access: .publicAccess,
                responses: [(200, "A page of campaigns.", Schemas.page(of: "GroupCampaign"))], parameters: Schemas.pagination, handler: list)
        api.add(.get, "/api/v1/group-campaigns/{id}", summary: "One campaign", tag: "Groups", access: .publicAccess,
                responses: [(200, "The campaign.", Schemas.ref("GroupCampaign"))], handler: show)
        api.add(.patch, "/api/v1/group-campaigns/{id}", summary: "Change a campaign (groups already open keep their size)", tag: "Groups",
                access: .admin, request: Self.requestSchema(required: []), responses: [(200, "The campaign.", Schemas.ref("GroupCampaign"))], handler: patch)
        api.add(.get, "/api/v1/group-campaigns/{id}/groups", summary: "Groups of a campaign; `status=forming` lists those with a free slot, soonest to expire first",
                tag: "Groups", access: .publicAccess, responses: [(200, "Groups.", Schemas.object([("data", Schemas.array(Schemas.ref("Group")))]))],
                parameters: [Schemas.query("status", Schemas.enumeration(GroupStatus.allCases.map(\.rawValue)), "Default forming (joinable); other statuses need an admin token."),
                             Schemas.query("limit", Schemas.integer(in: 1...100), "At most 100, default 20.")], handler: listGroups)
        api.add(.get, "/api/v1/group-campaigns/{id}/metrics", summary: "Groups opened, success rate, average order value, new buyers, viral coefficient, refunds",
                tag: "Groups", access: .admin, responses: [(200, "Metrics.", Schemas.ref("GroupCampaignMetrics"))], handler: metrics)
    }

    static func requestSchema(required: [String]) -> JSONValue {
        Schemas.object([
            ("product_id", Schemas.string), ("group_price", Schemas.integer(in: 0...Product.maxPrice, "Fen, below the list price.")),
            ("leader_price", Schemas.nullable(Schemas.integer(in: 0...Product.maxPrice, "The leader's price (团长价) in fen, at most group_price."))),
            ("group_size", Schemas.integer(in: GroupCampaign.sizes)), ("duration_seconds", Schemas.integer(in: GroupCampaign.durations)),
            ("per_user_limit", Schemas.integer(in: GroupCampaign.perUserLimits)), ("max_groups", Schemas.nullable(Schemas.integer(in: 1...GroupCampaign.maxGroupsLimit))),
            ("virtual_success", Schemas.boolean),
            ("payment_timeout_seconds", Schemas.integer(in: GroupCampaign.paymentTimeouts)),
            ("expiring_soon_seconds", Schemas.integer(in: 60...(GroupCampaign.durations.upperBound - 1), "Below duration_seconds.")), ("starts_at", Schemas.time), ("ends_at", Schemas.time),
            ("status", Schemas.enumeration(GroupCampaign.Status.allCases.map(\.rawValue))),
        ], required: required)
    }

    /// Absent keeps a value; `null` clears `leader_price` and `max_groups`.
    struct Fields: RequestBody {
        var productId: String?
        var groupPrice: Int64?
        var leaderPrice: Int64??
        var groupSize: Int64?
        var durationSeconds: Int64?
        var perUserLimit: Int64?
        var maxGroups: Int64??
        var virtualSuccess: Bool?
        var paymentTimeoutSeconds: Int64?
        var expiringSoonSeconds: Int64?
        var startsAt: Instant?
        var endsAt: Instant?
        var status: String?

        enum Keys: String, CodingKey, CaseIterable {
            case productId = "product_id", groupPrice = "group_price", leaderPrice = "leader_price", groupSize = "group_size"
            case durationSeconds = "duration_seconds", perUserLimit = "per_user_limit", maxGroups = "max_groups", virtualSuccess = "virtual_success"
            case paymentTimeoutSeconds = "payment_timeout_seconds", expiringSoonSeconds = "expiring_soon_seconds", startsAt = "starts_at"
            case endsAt = "ends_at", status
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: Keys.self)
            productId = try c.decodeIfPresent(String.self, forKey: .productId)
            groupPrice = try c.decodeIfPresent(Int64.self, forKey: .groupPrice)
            if c.contains(.leaderPrice) { leaderPrice = .some(try c.decodeNil(forKey: .leaderPrice) ? nil : try c.decode(Int64.self, forKey: .leaderPrice)) }
            groupSize = try c.decodeIfPresent(Int64.self, forKey: .groupSize)
            durationSeconds = try c.decodeIfPresent(Int64.self, forKey: .durationSeconds)
            perUserLimit = try c.decodeIfPresent(Int64.self, forKey: .perUserLimit)
            if c.contains(.maxGroups) { maxGroups = .some(try c.decodeNil(forKey: .maxGroups) ? nil : try c.decode(Int64.self, forKey: .maxGroups)) }
            virtualSuccess = try c.decodeIfPresent(Bool.self, forKey: .virtualSuccess)
            paymentTimeoutSeconds = try c.decodeIfPresent(Int64.self, forKey: .paymentTimeoutSeconds)
            expiringSoonSeconds = try c.decodeIfPresent(Int64.self, forKey: .expiringSoonSeconds)
            startsAt = try c.decodeIfPresent(Instant.self, forKey: .startsAt)
            endsAt = try c.decodeIfPresent(Instant.self, forKey: .endsAt)
            status = try c.decodeIfPresent(String.self, forKey: .status)
        }

        func apply(to campaign: inout GroupCampaign) throws(TuikeError) {
            if let groupPrice { campaign.groupPrice = groupPrice }
            if let leaderPrice { campaign.leaderPrice = leaderPrice }
            if let groupSize { campaign.groupSize = groupSize }
            if let durationSeconds { campaign.durationSeconds = durationSeconds }
            if let perUserLimit { campaign.perUserLimit = perUserLimit }
            if let maxGroups { campaign.maxGroups = maxGroups }
            if let virtualSuccess { campaign.virtualSuccess = virtualSuccess }
            if let paymentTimeoutSeconds { campaign.paymentTimeoutSeconds = paymentTimeoutSeconds }
            if let expiringSoonSeconds { campaign.expiringSoonSeconds = expiringSoonSeconds }
            if let startsAt { campaign.startsAt = startsAt }
            if let endsAt { campaign.endsAt = endsAt }
            if let status = try ProductsController.parse(status, as: GroupCampaign.Status.self, field: "status") { campaign.status = status }
        }
    }

    /// A campaign's changes: its fields but its product (a change of product is another campaign).
    struct ChangedFields: RequestBody {
        typealias Keys = Fields.Keys
        static var fieldNames: Set<String> { Fields.fieldNames.subtracting([Fields.Keys.productId.stringValue]) }
        let fields: Fields

        init(from decoder: any Decoder) throws { fields = try Fields(from: decoder) }
    }

    @Sendable func create(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(Fields.self, from: request, context: context)
        guard let productID = body.productId, let groupPrice = body.groupPrice, let groupSize = body.groupSize else {
            throw TuikeError.malformed("product_id, group_price and group_size are required")
        }
        guard let product = try await products.find(productID), product.status == .active else {
            throw TuikeError.validation("product_id \(productID) is not an active product")
        }
        let now = clock.now()
        var campaign = GroupCampaign(id: Identifier.make("gcp", at: now), productID: productID, groupPrice: groupPrice, groupSize: groupSize,
                                     startsAt: now, endsAt: now.adding(seconds: 30 * 86_400))
        try body.apply(to: &campaign)
        // The warning comes an hour before expiry, or half-way through groups shorter than two hours.
        if body.expiringSoonSeconds == nil { campaign.expiringSoonSeconds = min(3_600, campaign.durationSeconds / 2) }
        try campaign.validate(listPrice: product.price)
        try await campaigns.create(campaign, at: now)
        return try JSONOutput.response(CampaignView(campaign), status: .created)
    }

    @Sendable func patch(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let body = try await JSONBody.decode(ChangedFields.self, from: request, context: context).fields
        guard var campaign = try await campaigns.find(id) else { throw TuikeError.notFound("group campaign", id) }
        try body.apply(to: &campaign)
        guard let product = try await products.find(campaign.productID) else { throw TuikeError.notFound("product", campaign.productID) }
        try campaign.validate(listPrice: product.price)
        try await campaigns.update(campaign, at: clock.now())
        return try JSONOutput.response(CampaignView(try await campaigns.find(id).required("group campaign", id)))
    }

    @Sendable func list(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let page = try PageRequest(request)
        let fetched = try await campaigns.list(limit: page.limit + 1, before: page.cursor)
        return try JSONOutput.response(Page(fetched: fetched.map(CampaignView.init), limit: page.limit, id: \.id))
    }

    @Sendable func show(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        guard let campaign = try await campaigns.find(id) else { throw TuikeError.notFound("group campaign", id) }
        return try JSONOutput.response(CampaignView(campaign))
    }

    @Sendable func listGroups(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        guard try await campaigns.find(id) != nil else { throw TuikeError.notFound("group campaign", id) }
        let query = request.uri.queryParameters
        let limit = try query["limit"].map { text throws(TuikeError) -> Int in
            guard let value = Int(String(text)), (1...100).contains(value) else { throw .validation("limit must be between 1 and 100") }
            return value
        } ?? 20
        let status = try ProductsController.parse(query["status"].map(String.init), as: GroupStatus.self, field: "status") ?? .forming
        let found: [Group]
        if status == .forming && query["status"] == nil || !context.isAdmin {
            guard status == .forming else { throw TuikeError(.forbidden, code: "forbidden", "only forming groups are public; other statuses need an admin token") }
            found = try await groups.joinable(campaignID: id, at: clock.now(), limit: limit)
        } else {
            found = try await groups.list(campaignID: id, status: status, limit: limit, before: nil)
        }
        return try JSONOutput.response(["data": found.map { GroupView($0, members: nil, publicURL: publicURL) }])
    }

    struct MetricsView: Encodable, Sendable {
        let campaignId: String
        let groupsOpened: Int64
        let succeeded: Int64
        let failed: Int64
        let successRateBps: Int64
        let paidOrders: Int64
        let averageOrderValue: Int64
        let newBuyers: Int64
        let viralCoefficientBps: Int64
        let refunds: Int64
        let refundedAmount: Int64

        static let schema = Schemas.object([
            ("campaign_id", Schemas.string), ("groups_opened", Schemas.integer), ("succeeded", Schemas.integer), ("failed", Schemas.integer),
            ("success_rate_bps", Schemas.integer), ("paid_orders", Schemas.integer), ("average_order_value", Schemas.integer),
            ("new_buyers", Schemas.money("Members (not leaders) whose first paid order this was.")),
            ("viral_coefficient_bps", Schemas.money("New buyers per group opened, in bps.")), ("refunds", Schemas.integer), ("refunded_amount", Schemas.integer),
        ])
    }

    @Sendable func metrics(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        guard try await campaigns.find(id) != nil else { throw TuikeError.notFound("group campaign", id) }
        let m = try await groups.metrics(campaignID: id)
        return try JSONOutput.response(MetricsView(
            campaignId: id, groupsOpened: m.groupsOpened, succeeded: m.succeeded, failed: m.failed, successRateBps: m.successRateBps,
            paidOrders: m.paidOrders, averageOrderValue: m.averageOrderValue, newBuyers: m.newBuyers, viralCoefficientBps: m.viralCoefficientBps,
            refunds: m.refunds, refundedAmount: m.refundedAmount))
    }

    struct CampaignView: Encodable, Sendable {
        let id: String
        let productId: String
        let groupPrice: Int64
        @ExplicitNull var leaderPrice: Int64?
        let groupSize: Int64
        let durationSeconds: Int64
        let perUserLimit: Int64
        @ExplicitNull var maxGroups: Int64?
        let groupsOpened: Int64
        let virtualSuccess: Bool
        let paymentTimeoutSeconds: Int64
        let expiringSoonSeconds: Int64
        let startsAt: Instant
        let endsAt: Instant
        let status: String

        init(_ c: GroupCampaign) {
            id = c.id
            productId = c.productID
            groupPrice = c.groupPrice
            leaderPrice = c.leaderPrice
            groupSize = c.groupSize
            durationSeconds = c.durationSeconds
            perUserLimit = c.perUserLimit
            maxGroups = c.maxGroups
            groupsOpened = c.groupsOpened
            virtualSuccess = c.virtualSuccess
            paymentTimeoutSeconds = c.paymentTimeoutSeconds
            expiringSoonSeconds = c.expiringSoonSeconds
            startsAt = c.startsAt
            endsAt = c.endsAt
            status = c.status.rawValue
        }

        static let schema = Schemas.object([
            ("id", Schemas.string), ("product_id", Schemas.string), ("group_price", Schemas.integer), ("leader_price", Schemas.nullable(Schemas.integer)),
            ("group_size", Schemas.integer), ("duration_seconds", Schemas.integer), ("per_user_limit", Schemas.integer),
            ("max_groups", Schemas.nullable(Schemas.integer)), ("groups_opened", Schemas.integer), ("virtual_success", Schemas.boolean),
            ("payment_timeout_seconds", Schemas.integer), ("expiring_soon_seconds", Schemas.integer), ("starts_at", Schemas.time),
            ("ends_at", Schemas.time), ("status", Schemas.enumeration(GroupCampaign.Status.allCases.map(\.rawValue))),
        ])
    }
}
