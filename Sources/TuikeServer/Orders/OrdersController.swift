import Foundation
import Hummingbird
import TuikeCore
import TuikeStore

/// Orders, integrator-reported payments, commissions, balances and the trial balance.
struct OrdersController {
    let placement: OrderPlacement
    let orders: OrderRepository
    let refunds: RefundRepository
    let products: ProductRepository
    let productRules: ProductRuleRepository
    let promoters: PromoterRepository
    let program: ProgramRepository
    let commissions: CommissionRepository
    let database: any Database
    let refundService: RefundService
    let clock: any TuikeClock

    func addRoutes(to api: APIRoutes) {
        let order = Schemas.ref("Order")
        api.add(.post, "/api/v1/orders", summary: "Create an order (attributed at creation)", tag: "Orders", access: .admin,
                request: Self.createSchema,
                responses: [(201, "The new order.", order), (200, "An order with this external_id existed: that order.", order)], handler: create)
        api.add(.get, "/api/v1/orders", summary: "List orders, newest first", tag: "Orders", access: .admin,
                responses: [(200, "A page of orders.", Schemas.page(of: "Order"))],
                parameters: Schemas.pagination + [
                    Schemas.query("status", Schemas.enumeration(Order.Status.allCases.map(\.rawValue)), "Filter by status."),
                    Schemas.query("buyer_id", Schemas.string, "Only this buyer's orders."),
                ], handler: list)
        api.add(.get, "/api/v1/orders/{id}", summary: "Get an order with items, payments, refunds and flags", tag: "Orders", access: .admin,
                responses: [(200, "The order.", order)], handler: get)
        api.add(.post, "/api/v1/orders/{id}/paid", summary: "Report a payment (idempotent on payment_id)", tag: "Orders", access: .admin,
                request: Schemas.object([("payment_id", Schemas.text(1...128)), ("provider", Schemas.string)], required: ["payment_id"]),
                responses: [(200, "The paid order.", order)], handler: paid)
        api.add(.post, "/api/v1/orders/{id}/refunds", summary: "Refund part or all of a paid order", tag: "Orders", access: .admin,
                request: Schemas.object([("amount", Schemas.integer(in: 1...Money.maxAmount, "Fen to refund; at most what is left.")),
                                         ("reason", Schemas.text(0...500)),
                                         ("refund_id", ["type": "string", "description": "Your refund number; the same one again returns the first refund."] as JSONValue)],
                                        required: ["amount"]),
                responses: [(201, "The refund, with the order after it.", Schemas.ref("RefundResult"))], handler: refund)
        api.add(.get, "/api/v1/commissions", summary: "List commissions, newest first", tag: "Commissions", access: .adminOrPromoter,
                responses: [(200, "A page of commissions.", Schemas.page(of: "Commission"))],
                parameters: Schemas.pagination + [
                    Schemas.query("promoter_id", Schemas.string, "Only this promoter's (a promoter token sees only its own)."),
                    Schemas.query("order_id", Schemas.string, "Only this order's."),
                    Schemas.query("status", Schemas.enumeration(Commission.Status.allCases.map(\.rawValue)), "Only this status."),
                    Schemas.query("from", Schemas.time, "Created at or after (RFC 3339)."),
                    Schemas.query("to", Schemas.time, "Created before (RFC 3339)."),
                ], handler: listCommissions)
        api.add(.get, "/api/v1/promoters/{id}/balance", summary: "What the promoter is owed, from the journal", tag: "Commissions",
                access: .promoterSelf, responses: [(200, "Balance in fen.", Schemas.ref("Balance"))], handler: balance)
        api.add(.get, "/api/v1/ledger/trial-balance", summary: "Every account's balance; they sum to zero", tag: "Ledger", access: .admin,
                responses: [(200, "The trial balance.", Schemas.ref("TrialBalance"))], handler: trialBalance)
        api.add(.put, "/api/v1/products/{id}/commission", summary: "Set the product's commission rule", tag: "Commissions", access: .admin,
                request: Schemas.ref("CommissionRule"), responses: [(200, "The rule.", Schemas.ref("CommissionRule"))], handler: setRule)
        api.add(.delete, "/api/v1/products/{id}/commission", summary: "Remove the product's rule (the program default applies)", tag: "Commissions",
                access: .admin, responses: [(204, "Removed.", nil)], handler: removeRule)
        api.add(.post, "/api/v1/campaign-rules", summary: "A time-boxed commission override (限时高额返利)", tag: "Commissions", access: .admin,
                request: Schemas.object([("product_id", Schemas.string), ("starts_at", Schemas.time), ("ends_at", Schemas.time),
                                         ("rule", Schemas.ref("CommissionRule"))], required: ["starts_at", "ends_at", "rule"]),
                responses: [(201, "The campaign rule.", Schemas.ref("CampaignRule"))], handler: createCampaign)
        api.add(.get, "/api/v1/campaign-rules", summary: "Campaign rules that have not ended", tag: "Commissions", access: .admin,
                responses: [(200, "Campaign rules, soonest first.", Schemas.object([("data", Schemas.array(Schemas.ref("CampaignRule")))]))],
                handler: listCampaigns)
        api.add(.get, "/api/v1/buyers/{buyer_id}/entitlements", summary: "Courses a buyer may access", tag: "Orders", access: .admin,
                responses: [(200, "Entitlements.", Schemas.object([("data", Schemas.array(Schemas.object([("product_id", Schemas.string), ("granted_at", Schemas.time)])))]))],
                handler: entitlements)
    }

    struct CreateRequest: RequestBody {
        struct Item: Decodable { let productId: String; let quantity: Int64
            enum CodingKeys: String, CodingKey { case productId = "product_id", quantity } }
        let buyerId: String
        let items: [Item]
        let visitorId: String?
        let clickId: String?
        let coupon: String?
        let externalId: String?
        typealias Keys = CodingKeys
        enum CodingKeys: String, CodingKey, CaseIterable {
            case buyerId = "buyer_id", items, visitorId = "visitor_id", clickId = "click_id", coupon, externalId = "external_id"
        }
    }

    @Sendable func create(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(CreateRequest.self, from: request, context: context)
        let (order, created) = try await placement.place(
            .init(buyerID: body.buyerId, items: body.items.map { ($0.productId, $0.quantity) }, visitorID: body.visitorId,
                  clickID: body.clickId, coupon: body.coupon, externalID: body.externalId), at: clock.now())
        // A new order has no payments or refunds to read back.
        return created ? try JSONOutput.response(OrderView(order, payments: [], refunds: []), status: .created) : try await view(order, status: .ok)
    }

    @Sendable func list(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let page = try PageRequest(request)
        let query = request.uri.queryParameters
        let status = try ProductsController.parse(query["status"].map(String.init), as: Order.Status.self, field: "status")
        let fetched = try await orders.list(status: status, buyerID: query["buyer_id"].map(String.init), limit: page.limit + 1, before: page.cursor)
        var views: [OrderView] = []
        for order in fetched { views.append(try await orderView(order)) }
        return try JSONOutput.response(Page(fetched: views, limit: page.limit, id: \.id))
    }

    @Sendable func get(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        guard let order = try await orders.find(id) else { throw TuikeError.notFound("order", id) }
        return try await view(order, status: .ok)
    }

    struct PaidRequest: RequestBody {
        let paymentId: String
        let provider: String?
        typealias Keys = CodingKeys
        enum CodingKeys: String, CodingKey, CaseIterable { case paymentId = "payment_id", provider }
    }

    @Sendable func paid(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let body = try await JSONBody.decode(PaidRequest.self, from: request, context: context)
        guard (1...128).contains(body.paymentId.count) else { throw TuikeError.validation("payment_id must be 1 to 128 characters") }
        let now = clock.now()
        return try await database.session { [self] in
            let (order, recorded) = try await orders.recordPayment(id, paymentID: body.paymentId, provider: body.provider ?? "external", at: now)
            if let recorded { return try JSONOutput.response(OrderView(order, payments: [recorded], refunds: []), status: .ok) }
            return try await view(order, status: .ok)
        }
    }

    func view(_ order: Order, status: HTTPResponse.Status) async throws -> Response {
        try JSONOutput.response(try await orderView(order), status: status)
    }

    func orderView(_ order: Order) async throws -> OrderView {
        OrderView(order, payments: try await orders.payments(orderID: order.id), refunds: try await refunds.list(orderID: order.id))
    }

    struct RefundRequest: RequestBody {
        let amount: Int64
        let reason: String?
        let refundId: String?
        typealias Keys = CodingKeys
        enum CodingKeys: String, CodingKey, CaseIterable { case amount, reason, refundId = "refund_id" }
    }

    struct RefundResult: Encodable {
        let refund: OrderView.Refund
        let order: OrderView
        static let schema = Schemas.object([("refund", OrderView.Refund.schema), ("order", Schemas.ref("Order"))])
    }

    /// Refunds go back through the provider that took the payment when Tuike talks to it (the
    /// sandbox); integrator-reported payments are refunded by the integrator, who reports it here.
    /// The provider is asked first, outside any transaction; if it refuses, nothing changes.
    @Sendable func refund(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let body = try await JSONBody.decode(RefundRequest.self, from: request, context: context)
        if let reason = body.reason, reason.count > 500 { throw TuikeError.validation("reason is longer than 500 characters") }
        let (record, order) = try await refundService.refund(orderID: id, amount: body.amount, refundID: body.refundId, reason: body.reason)
        return try JSONOutput.response(RefundResult(refund: .init(record), order: try await orderView(order)), status: .created)
    }

    @Sendable func listCommissions(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        let promoterID = try context.promoterScope(asked: query["promoter_id"].map(String.init))
        let page = try PageRequest(request)
        let status = try ProductsController.parse(query["status"].map(String.init), as: Commission.Status.self, field: "status")
        let from = try query["from"].map { try Self.instant(String($0), field: "from") }
        let to = try query["to"].map { try Self.instant(String($0), field: "to") }
        let fetched = try await commissions.list(promoterID: promoterID, orderID: query["order_id"].map(String.init), status: status,
                                                 from: from, to: to, limit: page.limit + 1, before: page.cursor)
        return try JSONOutput.response(Page(fetched: fetched.map(CommissionView.init), limit: page.limit, id: \.id))
    }

    static func instant(_ text: String, field: String) throws(TuikeError) -> Instant {
        guard let instant = Instant(rfc3339: text) else { throw .validation("\(field) must be an RFC 3339 time like 2026-11-21T00:00:00Z") }
        return instant
    }

    struct BalanceView: Encodable { let promoterId: String; let pending: Int64; let available: Int64; let withdrawing: Int64; let withdrawn: Int64 }

    @Sendable func balance(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        guard try await promoters.find(id) != nil else { throw TuikeError.notFound("promoter", id) }
        let owed = try await JournalRepository.owed(to: id, database: database)
        return try JSONOutput.response(BalanceView(promoterId: id, pending: owed.pending, available: owed.available, withdrawing: owed.withdrawing,
                                                   withdrawn: owed.withdrawn))
    }

    struct TrialBalanceView: Encodable {
        struct Line: Encodable { let account: String; let balance: Int64 }
        let balanced: Bool
        let total: Int64
        let accounts: [Line]
    }

    @Sendable func trialBalance(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let accounts = try await database.report { [database] in try await JournalRepository.trialBalance(database: database) }
        let total = accounts.reduce(0) { $0 + $1.balance }
        return try JSONOutput.response(TrialBalanceView(balanced: total == 0, total: total, accounts: accounts.map { .init(account: $0.account, balance: $0.balance) }))
    }

    @Sendable func setRule(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        guard try await products.find(id) != nil else { throw TuikeError.notFound("product", id) }
        let rule = try await JSONBody.decode(CommissionRule.self, from: request, context: context)
        try rule.validate(maxTotalBps: try await program.current().maxTotalBps)
        try await productRules.set(rule, productID: id, at: clock.now())
        return try JSONOutput.response(rule)
    }

    @Sendable func removeRule(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        guard try await productRules.remove(productID: id) else { throw TuikeError.notFound("commission rule of product", id) }
        return Response(status: .noContent)
    }

    struct CampaignRequest: RequestBody {
        let productId: String?
        let startsAt: Instant
        let endsAt: Instant
        let rule: CommissionRule
        typealias Keys = CodingKeys
        enum CodingKeys: String, CodingKey, CaseIterable { case productId = "product_id", startsAt = "starts_at", endsAt = "ends_at", rule }
    }

    struct CampaignView: Encodable, Sendable {
        let id: String
        @ExplicitNull var productId: String?
        let startsAt: Instant
        let endsAt: Instant
        let rule: CommissionRule
        init(_ campaign: CampaignRule) {
            id = campaign.id
            productId = campaign.productID
            startsAt = campaign.startsAt
            endsAt = campaign.endsAt
            rule = campaign.rule
        }
        static let schema = Schemas.object([
            ("id", Schemas.string), ("product_id", Schemas.nullable(Schemas.string)), ("starts_at", Schemas.time),
            ("ends_at", Schemas.time), ("rule", Schemas.ref("CommissionRule")),
        ])
    }

    @Sendable func createCampaign(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(CampaignRequest.self, from: request, context: context)
        guard body.endsAt > body.startsAt else { throw TuikeError.validation("ends_at must be after starts_at") }
        if let productID = body.productId, try await products.find(productID) == nil { throw TuikeError.validation("product_id \(productID) is not a product") }
        try body.rule.validate(maxTotalBps: try await program.current().maxTotalBps)
        let now = clock.now()
        let campaign = CampaignRule(id: Identifier.make("cmp", at: now), productID: body.productId, startsAt: body.startsAt, endsAt: body.endsAt, rule: body.rule)
        try await CampaignRuleRepository(database: database).create(campaign, at: now)
        return try JSONOutput.response(CampaignView(campaign), status: .created)
    }

    @Sendable func listCampaigns(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        return try JSONOutput.response(["data": try await CampaignRuleRepository(database: database).current(at: clock.now()).map(CampaignView.init)])
    }

    struct EntitlementView: Encodable { let productId: String; let grantedAt: Instant }

    @Sendable func entitlements(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let buyer = try context.parameters.require("buyer_id")
        let rows = try await orders.entitlements(buyerID: buyer).map { EntitlementView(productId: $0.productID, grantedAt: $0.grantedAt) }
        return try JSONOutput.response(["data": rows])
    }

    static let createSchema = Schemas.object([
        ("buyer_id", Schemas.text(1...128)),
        ("items", Schemas.array(Schemas.object([("product_id", Schemas.string), ("quantity", Schemas.integer(in: 1...Order.maxQuantity))],
                                               required: ["product_id", "quantity"]),
                                minItems: 1, maxItems: Order.maxItems)),
        ("visitor_id", Schemas.visitorID), ("click_id", Schemas.string),
        ("coupon", ["type": "string", "description": "A promoter's invite code: attributes the order to that promoter."] as JSONValue),
        ("external_id", Schemas.text(1...128, "Your order number; a second create with it returns the first order.")),
    ], required: ["buyer_id", "items"])
}
