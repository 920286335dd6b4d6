import Foundation
import Hummingbird
import TuikeCore
import TuikeStore

/// Orders, integrator-reported payments, refunds and the courses buyers may open.
struct OrdersController {
    let placement: OrderPlacement
    let orders: OrderRepository
    let refunds: RefundRepository
    let refundService: RefundService
    let fulfilment: FulfilmentRepository
    /// A payment's reads and write share one PostgreSQL connection (`Database.session`).
    let database: any Database
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
        api.add(.get, "/api/v1/buyers/{buyer_id}/entitlements", summary: "Courses a buyer may access", tag: "Orders", access: .admin,
                responses: [(200, "Entitlements.", Schemas.object([("data", Schemas.array(Schemas.object([("product_id", Schemas.string), ("granted_at", Schemas.time)])))]))],
                handler: entitlements)
    }

    struct CreateRequest: RequestBody {
        struct Item: Decodable { let productId: String; let quantity: Int64; let sku: String?
            enum CodingKeys: String, CodingKey { case productId = "product_id", quantity, sku } }
        let buyerId: String
        let shippingAddress: AddressInput?
        let items: [Item]
        let visitorId: String?
        let clickId: String?
        let coupon: String?
        let externalId: String?
        let ip: String?
        let deviceId: String?
        typealias Keys = CodingKeys
        enum CodingKeys: String, CodingKey, CaseIterable {
            case buyerId = "buyer_id", items, visitorId = "visitor_id", clickId = "click_id", coupon, externalId = "external_id"
            case shippingAddress = "shipping_address", ip, deviceId = "device_id"
        }
    }

    @Sendable func create(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(CreateRequest.self, from: request, context: context)
        let (order, created) = try await placement.place(
            .init(buyerID: body.buyerId, items: body.items.map { .init(productID: $0.productId, quantity: $0.quantity, sku: $0.sku) },
                  shippingAddress: body.shippingAddress?.address, visitorID: body.visitorId,
                  clickID: body.clickId, coupon: body.coupon, externalID: body.externalId, ip: body.ip, deviceID: body.deviceId), at: clock.now())
        // A new order has no payments or refunds to read back.
        return created ? try JSONOutput.response(OrderView(order, payments: [], refunds: []), status: .created) : try await view(order, status: .ok)
    }

    @Sendable func list(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let page = try PageRequest(request)
        let query = request.uri.queryParameters
        let status = try ProductsController.parse(query["status"].map(String.init), as: Order.Status.self, field: "status")
        let fetched = try await orders.list(status: status, buyerID: query["buyer_id"].map(String.init), limit: page.limit + 1, before: page.cursor)
        // A page's payments and refunds in one statement each, not two per order.
        let ids = fetched.map(\.id)
        let (payments, refunded) = (try await orders.payments(orderIDs: ids), try await refunds.list(orderIDs: ids))
        let parcels = try await fulfilment.shipments(orderIDs: fetched.filter { $0.fulfilment != nil }.map(\.id))
        let views = fetched.map { OrderView($0, payments: payments[$0.id] ?? [], refunds: refunded[$0.id] ?? [], shipments: parcels[$0.id] ?? []) }
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
        OrderView(order, payments: try await orders.payments(orderID: order.id), refunds: try await refunds.list(orderID: order.id),
                  shipments: order.fulfilment == nil ? [] : try await fulfilment.shipments(orderIDs: [order.id])[order.id] ?? [])
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

    struct EntitlementView: Encodable { let productId: String; let grantedAt: Instant }

    @Sendable func entitlements(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let buyer = try context.parameters.require("buyer_id")
        let rows = try await orders.entitlements(buyerID: buyer).map { EntitlementView(productId: $0.productID, grantedAt: $0.grantedAt) }
        return try JSONOutput.response(["data": rows])
    }

    static let createSchema = Schemas.object([
        ("buyer_id", Schemas.text(1...128)),
        ("items", Schemas.array(Schemas.object([("product_id", Schemas.string), ("quantity", Schemas.integer(in: 1...Order.maxQuantity)),
                                                ("sku", Schemas.text(1...Sku.maxCodeLength, "The variant's code, for a product with SKUs."))],
                                               required: ["product_id", "quantity"]),
                                minItems: 1, maxItems: Order.maxItems)),
        ("visitor_id", Schemas.visitorID), ("click_id", Schemas.string),
        ("coupon", ["type": "string", "description": "A promoter's invite code: attributes the order to that promoter."] as JSONValue),
        ("external_id", Schemas.text(1...128, "Your order number; a second create with it returns the first order.")),
        ("shipping_address", OrderView.addressSchema),
    ] + Schemas.originFields, required: ["buyer_id", "items"])
}

/// An address as sent: missing fields arrive empty, so the check names every one that is missing.
struct AddressInput: Decodable, Sendable {
    let name, phone, province, city, district, line: String?

    var address: ShippingAddress {
        ShippingAddress(fields: ["name": name, "phone": phone, "province": province, "city": city, "district": district, "line": line].compactMapValues { $0 })
    }
}
