import Foundation
import Hummingbird
import TuikeCore
import TuikeStore

/// Shipping and receipt (docs/rules.md §13): parcels with tracking numbers, the buyer's receipt,
/// the warehouse's queue, a CSV of orders to ship and a CSV import of tracking numbers.
struct FulfilmentController {
    let fulfilment: FulfilmentRepository
    let orders: OrdersController
    let program: ProgramRepository
    let clock: any TuikeClock

    func addRoutes(to api: APIRoutes) {
        let order = Schemas.ref("Order")
        api.add(.post, "/api/v1/orders/{id}/shipments", summary: "Ship a parcel of an order with physical goods", tag: "Fulfilment", access: .admin,
                request: Self.parcelSchema,
                responses: [(201, "The order, shipped.", order), (200, "This tracking number was on the order already: the order, unchanged.", order)],
                handler: ship)
        api.add(.post, "/api/v1/orders/{id}/receipt", summary: "Confirm receipt of the goods", tag: "Fulfilment", access: .adminOrBuyer,
                responses: [(200, "The order, received.", order)], handler: receive)
        api.add(.get, "/api/v1/fulfilment", summary: "The fulfilment queue: paid orders with goods by fulfilment status", tag: "Fulfilment", access: .admin,
                responses: [(200, "A page of orders, oldest first.", Schemas.page(of: "Order"))],
                parameters: Schemas.pagination + [Schemas.query("status", Schemas.enumeration(FulfilmentStatus.allCases.map(\.rawValue)),
                                                                "Default unfulfilled (to ship).")],
                handler: queue)
        api.add(.get, "/api/v1/fulfilment/export.csv", summary: "CSV: orders to ship, with their addresses and empty tracking columns", tag: "Fulfilment",
                access: .admin, responses: [(200, "text/csv; charset=utf-8, with a byte-order mark.", nil)], handler: export)
        api.add(.post, "/api/v1/fulfilment/tracking", summary: "Import tracking numbers from CSV (order_id, carrier, tracking_number)", tag: "Fulfilment",
                access: .admin, request: Schemas.object([("csv", Schemas.text(1...(2 << 20), "The file's text, when sent as JSON; or send the file itself as text/csv."))]),
                responses: [(200, "What was applied, what was there already, and each refused row with its reason.", Self.importSchema)],
                handler: importTracking)
    }

    struct ParcelRequest: RequestBody {
        let carrier: String
        let trackingNumber: String
        typealias Keys = CodingKeys
        enum CodingKeys: String, CodingKey, CaseIterable { case carrier, trackingNumber = "tracking_number" }
    }

    @Sendable func ship(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let body = try await JSONBody.decode(ParcelRequest.self, from: request, context: context)
        let (order, added) = try await fulfilment.ship(orderID: id, carrier: body.carrier, trackingNumber: body.trackingNumber,
                                                       settings: try await program.current(), at: clock.now())
        return try await orders.view(order, status: added ? .created : .ok)
    }

    @Sendable func receive(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        guard let found = try await orders.orders.find(id) else { throw TuikeError.notFound("order", id) }
        try context.requireOwnOrder(found)
        let order = try await fulfilment.receive(orderID: id, settings: try await program.current(), at: clock.now())
        guard context.isAdmin else {
            let parcels = try await fulfilment.shipments(orderIDs: [id])[id] ?? []
            return try JSONOutput.response(OrderView(order, payments: [], refunds: [], shipments: parcels, forBuyer: true))
        }
        return try await orders.view(order, status: .ok)
    }

    @Sendable func queue(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        let status = try ProductsController.parse(query["status"].map(String.init), as: FulfilmentStatus.self, field: "status") ?? .unfulfilled
        let page = try PageRequest(request)
        let fetched = try await fulfilment.queue(status, limit: page.limit + 1, after: page.cursor)
        let parcels = try await fulfilment.shipments(orderIDs: fetched.map(\.id))
        let views = fetched.map { OrderView($0, payments: [], refunds: [], shipments: parcels[$0.id] ?? []) }
        return try JSONOutput.response(Page(fetched: views, limit: page.limit, id: \.id))
    }

    static let exportHeader = ["order_id", "created_at", "buyer_id", "items", "name", "phone", "province", "city", "district", "line", "carrier", "tracking_number"]

    @Sendable func export(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        CSVExport.response(filename: "to-ship.csv", header: Self.exportHeader, page: { [fulfilment] (after: Order?, limit) in
            try await fulfilment.queue(.unfulfilled, limit: limit, after: after?.id)
        }, cells: { order in
            let address = order.shippingAddress
            let goods = order.items.filter { $0.kind == .physical && $0.refundable > 0 }
                .map { "\($0.title)\($0.sku.map { " [\($0)]" } ?? "") ×\($0.quantity)" }.joined(separator: "; ")
            return [.text(order.id), .text(order.createdAt.rfc3339), .text(order.buyerID), .text(goods), .text(address?.name), .text(address?.phone),
                    .text(address?.province), .text(address?.city), .text(address?.district), .text(address?.line), .text(nil), .text(nil)]
        })
    }

    struct ImportResult: Encodable, Sendable {
        struct RowError: Encodable, Sendable { let row: Int; @ExplicitNull var orderId: String?; let code: String; let message: String }
        let applied: Int
        let repeated: Int
        let errors: [RowError]
    }

    static let maxImportRows = 5_000

    struct CSVBody: RequestBody {
        let csv: String
        typealias Keys = CodingKeys
        enum CodingKeys: String, CodingKey, CaseIterable { case csv }
    }

    /// Each row is applied on its own, so one bad row refuses only itself; a row whose parcel is
    /// on the order already counts as `repeated` (the file uploaded twice changes nothing).
    /// Rows name their columns by the header: `order_id`, `carrier`, `tracking_number` (others
    /// are ignored, so the export can be filled in and sent back).
    @Sendable func importTracking(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let buffer: ByteBuffer
        do { buffer = try await request.body.collect(upTo: 2 << 20) } catch {
            throw TuikeError(.tooLarge, code: "payload_too_large", "a tracking file is at most 2 MiB")
        }
        guard var text = String(validating: buffer.readableBytesView, as: UTF8.self) else { throw TuikeError.validation("the file must be UTF-8 text") }
        // The console's form sends the file's text as JSON `{"csv": "..."}`.
        if request.headers[.contentType]?.hasPrefix("application/json") == true {
            text = try JSONBody.decode(CSVBody.self, from: Data(buffer: buffer)).csv
        }
        let rows = CSV.parse(text)
        guard let header = rows.first?.map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }),
              let orderColumn = header.firstIndex(of: "order_id"), let carrierColumn = header.firstIndex(of: "carrier"),
              let trackingColumn = header.firstIndex(of: "tracking_number") else {
            throw TuikeError.validation("the first row must name the columns order_id, carrier and tracking_number")
        }
        guard rows.count - 1 <= Self.maxImportRows else { throw TuikeError.validation("a file has at most \(Self.maxImportRows) rows") }
        let settings = try await program.current()
        var applied = 0, repeated = 0
        var errors: [ImportResult.RowError] = []
        for (index, row) in rows.enumerated().dropFirst() {
            func cell(_ column: Int) -> String { column < row.count ? row[column].trimmingCharacters(in: .whitespaces) : "" }
            let orderID = cell(orderColumn), carrier = cell(carrierColumn), tracking = cell(trackingColumn)
            if carrier.isEmpty && tracking.isEmpty { continue }
            do {
                let (_, added) = try await fulfilment.ship(orderID: orderID, carrier: carrier, trackingNumber: tracking, settings: settings, at: clock.now())
                if added { applied += 1 } else { repeated += 1 }
            } catch let error as TuikeError {
                errors.append(.init(row: index + 1, orderId: orderID.isEmpty ? nil : orderID, code: error.code, message: error.message))
            }
        }
        return try JSONOutput.response(ImportResult(applied: applied, repeated: repeated, errors: errors))
    }

    static let parcelSchema = Schemas.object([
        ("carrier", Schemas.text(1...40, "The carrier's name: 顺丰, 中通, SF…")),
        ("tracking_number", Schemas.text(4...40, "Letters, digits and dashes.")),
    ], required: ["carrier", "tracking_number"])
    static let importSchema = Schemas.object([
        ("applied", Schemas.integer), ("repeated", Schemas.integer),
        ("errors", Schemas.array(Schemas.object([("row", Schemas.integer), ("order_id", Schemas.nullable(Schemas.string)), ("code", Schemas.string),
                                                 ("message", Schemas.string)]))),
    ])
}
