import Foundation
import Hummingbird
import TuikeCore
import TuikeStore

/// After-sales (售后, docs/rules.md §13): asked per line inside the window, approved or refused
/// by the merchant; a refund is paid on approval, a return when the merchant has the goods back.
/// The money goes back through `RefundService` with the after-sale's id as the refund number.
struct AfterSalesController {
    let afterSales: AfterSaleRepository
    let orders: OrderRepository
    let media: MediaRepository
    let refundService: RefundService
    let program: ProgramRepository
    let clock: any TuikeClock

    func addRoutes(to api: APIRoutes) {
        let view = Schemas.ref("AfterSale")
        api.add(.post, "/api/v1/orders/{id}/after-sales", summary: "Ask for a refund or a return of one line", tag: "Fulfilment",
                access: .adminOrBuyer, request: Self.requestSchema, responses: [(201, "The after-sale, requested.", view)], handler: create)
        api.add(.get, "/api/v1/after-sales", summary: "List after-sales, newest first (a buyer sees their own)", tag: "Fulfilment", access: .adminOrBuyer,
                responses: [(200, "A page of after-sales.", Schemas.page(of: "AfterSale"))],
                parameters: Schemas.pagination + [
                    Schemas.query("status", Schemas.enumeration(AfterSale.Status.allCases.map(\.rawValue)), "Only this status."),
                    Schemas.query("order_id", Schemas.string, "Only this order's."), Schemas.query("buyer_id", Schemas.string, "Only this buyer's."),
                ], handler: list)
        api.add(.get, "/api/v1/after-sales/{id}", summary: "Get an after-sale", tag: "Fulfilment", access: .adminOrBuyer,
                responses: [(200, "The after-sale.", view)], handler: get)
        api.add(.post, "/api/v1/after-sales/{id}/approve", summary: "Approve: a refund is paid now, a return waits for the goods", tag: "Fulfilment",
                access: .admin, responses: [(200, "The after-sale, refunded or approved.", view)], handler: approve)
        api.add(.post, "/api/v1/after-sales/{id}/refuse", summary: "Refuse, with a reason for the buyer", tag: "Fulfilment", access: .admin,
                request: Schemas.object([("reason", Schemas.text(1...AfterSale.maxReasonLength))], required: ["reason"]),
                responses: [(200, "The after-sale, refused.", view)], handler: refuse)
        api.add(.post, "/api/v1/after-sales/{id}/return-shipment", summary: "The buyer sent the goods back", tag: "Fulfilment",
                access: .adminOrBuyer, request: FulfilmentController.parcelSchema, responses: [(200, "The after-sale, returning.", view)], handler: returnShipment)
        api.add(.post, "/api/v1/after-sales/{id}/receive-return", summary: "The goods are back: restock them and pay the refund", tag: "Fulfilment",
                access: .admin, responses: [(200, "The after-sale, refunded.", view)], handler: receiveReturn)
        api.add(.post, "/api/v1/after-sales/{id}/cancel", summary: "The buyer withdraws the request", tag: "Fulfilment", access: .adminOrBuyer,
                responses: [(200, "The after-sale, cancelled.", view)], handler: cancel)
    }

    struct CreateRequest: RequestBody {
        let type: String
        let amount: Int64
        let reason: String
        let itemId: String?
        let quantity: Int64?
        let photos: [String]?
        typealias Keys = CodingKeys
        enum CodingKeys: String, CodingKey, CaseIterable { case type, amount, reason, itemId = "item_id", quantity, photos }
    }

    @Sendable func create(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let body = try await JSONBody.decode(CreateRequest.self, from: request, context: context)
        guard let order = try await orders.find(id) else { throw TuikeError.notFound("order", id) }
        try context.requireOwnOrder(order)
        let afterSale = try await create(orderID: id, body)
        return try JSONOutput.response(AfterSaleView(afterSale), status: .created)
    }

    /// Shared with the buyer's pages.
    func create(orderID: String, _ body: CreateRequest) async throws -> AfterSale {
        let kind = try ProductsController.parse(required: body.type, as: AfterSale.Kind.self, field: "type")
        let photos = body.photos ?? []
        if let missing = Set(photos).subtracting(try await media.existing(photos)).sorted().first {
            throw TuikeError.validation("photos: media \(missing) does not exist; upload it with POST /api/v1/media")
        }
        return try await afterSales.request(
            .init(orderID: orderID, itemID: body.itemId, kind: kind, amount: body.amount, quantity: body.quantity, reason: body.reason, photos: body.photos ?? []),
            settings: try await program.current(), at: clock.now())
    }

    @Sendable func list(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let page = try PageRequest(request)
        let query = request.uri.queryParameters
        let status = try ProductsController.parse(query["status"].map(String.init), as: AfterSale.Status.self, field: "status")
        let buyer = try context.buyerOrAdmin()
        let fetched = try await afterSales.list(status: status, orderIDs: query["order_id"].map { [String($0)] },
                                                buyerID: buyer ?? query["buyer_id"].map(String.init),
                                                limit: page.limit + 1, before: page.cursor)
        return try JSONOutput.response(Page(fetched: fetched.map(AfterSaleView.init), limit: page.limit, id: \.id))
    }

    @Sendable func get(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        try JSONOutput.response(AfterSaleView(try await find(try context.parameters.require("id"), for: context)))
    }

    func find(_ id: String) async throws -> AfterSale {
        guard let afterSale = try await afterSales.find(id) else { throw TuikeError.notFound("after-sale", id) }
        return afterSale
    }

    /// The after-sale, if the caller is an admin or the buyer who asked for it (404 otherwise).
    func find(_ id: String, for context: TuikeRequestContext) async throws -> AfterSale {
        let afterSale = try await find(id)
        if let buyer = try context.buyerOrAdmin(), afterSale.buyerID != buyer { throw TuikeError.notFound("after-sale", id) }
        return afterSale
    }

    @Sendable func approve(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        try JSONOutput.response(AfterSaleView(try await approve(try context.parameters.require("id"))))
    }

    /// A refund is paid at once; a return is approved and waits for the goods. Approving again
    /// is answered with the after-sale as it is (or, for a refund the provider refused, tries again).
    func approve(_ id: String) async throws -> AfterSale {
        let afterSale = try await find(id)
        let settings = try await program.current()
        switch (afterSale.kind, afterSale.status) {
        case (.refund, .requested):
            // Checked, claimed (`approved` can no longer be withdrawn by the buyer), then paid.
            try await checkLine(afterSale)
            return try await pay(try await afterSales.move(id, from: [.requested], to: .approved, settings: settings, at: clock.now()))
        case (.refund, .approved): return try await pay(afterSale)
        case (.goodsReturn, .requested):
            return try await afterSales.move(id, from: [.requested], to: .approved, settings: settings, at: clock.now())
        case (_, .refunded), (.goodsReturn, .approved), (.goodsReturn, .returning): return afterSale
        default:
            throw TuikeError(.conflict, code: "after_sale_status", "after-sale \(id) is \(afterSale.status.rawValue); it cannot be approved")
        }
    }

    /// Pays a claimed after-sale (a refund `approved`, a return `returning`) through the provider.
    /// The line must still hold the amount: money goes out only when it can be booked.
    func pay(_ afterSale: AfterSale) async throws -> AfterSale {
        try await checkLine(afterSale)
        _ = try await refundService.refund(orderID: afterSale.orderID, amount: afterSale.amount, refundID: afterSale.id,
                                           reason: "after_sale:\(afterSale.kind.rawValue)", afterSale: afterSale, settings: try await program.current())
        return try await find(afterSale.id)
    }

    /// 409 `after_sale_amount` when the line has less left to refund than the after-sale asks
    /// (another refund took part of it meanwhile).
    func checkLine(_ afterSale: AfterSale) async throws {
        guard let order = try await orders.find(afterSale.orderID), let line = order.items.first(where: { $0.id == afterSale.itemID }) else {
            throw TuikeError.notFound("order", afterSale.orderID)
        }
        guard line.refundable >= afterSale.amount else {
            throw TuikeError(.conflict, code: "after_sale_amount",
                             "the line has \(line.refundable) fen left to refund, less than the after-sale's \(afterSale.amount); refuse it and ask for a new one")
        }
    }

    struct ReasonRequest: RequestBody {
        let reason: String
        typealias Keys = CodingKeys
        enum CodingKeys: String, CodingKey, CaseIterable { case reason }
    }

    @Sendable func refuse(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let body = try await JSONBody.decode(ReasonRequest.self, from: request, context: context)
        try AfterSale.validate(reason: body.reason, photos: [])
        return try JSONOutput.response(AfterSaleView(try await afterSales.move(id, from: [.requested, .approved, .returning], to: .refused, answer: body.reason,
                                                                                settings: try await program.current(), at: clock.now())))
    }

    @Sendable func returnShipment(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let body = try await JSONBody.decode(FulfilmentController.ParcelRequest.self, from: request, context: context)
        _ = try await find(id, for: context)
        return try JSONOutput.response(AfterSaleView(try await returnShipment(id, carrier: body.carrier, trackingNumber: body.trackingNumber)))
    }

    func returnShipment(_ id: String, carrier: String, trackingNumber: String) async throws -> AfterSale {
        try Shipment.validate(carrier: carrier, trackingNumber: trackingNumber)
        guard try await find(id).kind == .goodsReturn else {
            throw TuikeError(.conflict, code: "after_sale_status", "after-sale \(id) is a refund only; nothing is sent back")
        }
        return try await afterSales.move(id, from: [.approved], to: .returning, returnParcel: (carrier, trackingNumber),
                                         settings: try await program.current(), at: clock.now())
    }

    @Sendable func receiveReturn(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let afterSale = try await find(id)
        switch (afterSale.kind, afterSale.status) {
        case (.goodsReturn, .refunded): return try JSONOutput.response(AfterSaleView(afterSale))
        case (.goodsReturn, .returning): return try JSONOutput.response(AfterSaleView(try await pay(afterSale)))
        case (.goodsReturn, .approved):
            // Goods handed back without a parcel: claimed as returning (no longer withdrawn), then paid.
            let claimed = try await afterSales.move(id, from: [.approved], to: .returning, settings: try await program.current(), at: clock.now())
            return try JSONOutput.response(AfterSaleView(try await pay(claimed)))
        default:
            throw TuikeError(.conflict, code: "after_sale_status", "after-sale \(id) is not a return waiting for its goods")
        }
    }

    @Sendable func cancel(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let afterSale = try await find(id, for: context)
        // An approved refund is being paid; an approved return may still be withdrawn.
        let from: [AfterSale.Status] = afterSale.kind == .refund ? [.requested] : [.requested, .approved]
        return try JSONOutput.response(AfterSaleView(try await afterSales.move(id, from: from, to: .cancelled,
                                                                                settings: try await program.current(), at: clock.now())))
    }

    static let requestSchema = Schemas.object([
        ("type", Schemas.enumeration(AfterSale.Kind.allCases.map(\.rawValue))),
        ("amount", Schemas.integer(in: 1...Money.maxAmount, "Fen to refund; at most what is left on the line.")),
        ("reason", Schemas.text(1...AfterSale.maxReasonLength)),
        ("item_id", ["type": "string", "description": "The order line; may be left out when the order has one physical line."] as JSONValue),
        ("quantity", Schemas.integer(in: 1...Order.maxQuantity, "Units sent back (returns); default the line's quantity.")),
        ("photos", Schemas.array(Schemas.string, maxItems: AfterSale.maxPhotos, "Media ids of photos (POST /api/v1/media).")),
    ], required: ["type", "amount", "reason"])
}
