import Foundation
import TuikeCore

/// Physical goods: the fulfilment queue (to ship, shipped, after-sales), the tracking import,
/// the message log to buyers, and videos with their content performance. Operations ship;
/// after-sales pay refunds, so finance answers them too.
extension ConsolePages {
    static let goodsPages: [ConsolePage] = [
        ConsolePage(path: "/admin/fulfilment", title: .navFulfilment, inNavigation: true, summary: "the fulfilment queue and after-sales",
                    roles: ConsoleRole.everyone, build: fulfilment),
        ConsolePage(path: "/admin/videos", title: .navVideos, inNavigation: true, summary: "videos and their performance",
                    roles: ConsoleRole.operations, build: videos),
    ]

    static let goodsActions: [ConsoleAction] = [
        ConsoleAction(path: "/admin/fulfilment/{id}/ship", summary: "ship a parcel of an order", roles: ConsoleRole.operations, back: "/admin/fulfilment") { fields, call in
            post("/api/v1/orders/\(ConsoleCall.encode(try call.parameter("id")))/shipments",
                 ["carrier": try fields.required("carrier"), "tracking_number": try fields.required("tracking_number")])
        },
        ConsoleAction(path: "/admin/fulfilment/tracking", summary: "import tracking numbers (CSV)", roles: ConsoleRole.operations,
                      back: "/admin/fulfilment") { fields, _ in
            post("/api/v1/fulfilment/tracking", ["csv": try fields.required("csv")])
        },
        ConsoleAction(path: "/admin/after-sales/{id}/approve", summary: "approve an after-sale", roles: ConsoleRole.everyone, back: "/admin/fulfilment") { _, call in
            post("/api/v1/after-sales/\(ConsoleCall.encode(try call.parameter("id")))/approve")
        },
        ConsoleAction(path: "/admin/after-sales/{id}/refuse", summary: "refuse an after-sale", roles: ConsoleRole.everyone, back: "/admin/fulfilment") { fields, call in
            post("/api/v1/after-sales/\(ConsoleCall.encode(try call.parameter("id")))/refuse", ["reason": try fields.required("reason")])
        },
        ConsoleAction(path: "/admin/after-sales/{id}/receive", summary: "the returned goods are back: refund", roles: ConsoleRole.everyone,
                      back: "/admin/fulfilment") { _, call in
            post("/api/v1/after-sales/\(ConsoleCall.encode(try call.parameter("id")))/receive-return")
        },
        ConsoleAction(path: "/admin/videos/new", summary: "add a video", roles: ConsoleRole.operations, back: "/admin/videos") { fields, _ in
            var body: [String: Any] = ["title": try fields.required("title"), "url": try fields.required("url")]
            if let products = fields.text("product_ids") { body["product_ids"] = products.split(whereSeparator: { $0 == "," || $0 == " " }).map(String.init) }
            return post("/api/v1/videos", body)
        },
    ]

    struct QueueOrder: Decodable {
        struct Line: Decodable { let title: String; let quantity: Int64; let sku: String?; let kind: String }
        struct Address: Decodable { let name: String; let phone: String; let province: String; let city: String; let district: String; let line: String }
        struct Parcel: Decodable { let carrier: String; let trackingNumber: String }
        let id: String; let buyerId: String; let items: [Line]; let shippingAddress: Address?; let shipments: [Parcel]; let createdAt: String
    }
    struct AfterSaleRow: Decodable { let id: String; let orderId: String; let type: String; let status: String; let amount: Int64; let reason: String }
    struct MessageRow: Decodable { let id: String; let buyerId: String; let channel: String; let template: String; let status: String; let createdAt: String }

    static func fulfilment(_ call: ConsoleCall) async throws -> [V.Node] {
        let t = call.t
        let toShip = try await call.get("/api/v1/fulfilment?status=unfulfilled&limit=100", as: Listing<QueueOrder>.self).data
        let shipped = try await call.get("/api/v1/fulfilment?status=shipped&limit=100", as: Listing<QueueOrder>.self).data
        var open: [AfterSaleRow] = []
        for status in AfterSale.Status.open { open += try await call.get("/api/v1/after-sales?status=\(status.rawValue)&limit=100", as: Listing<AfterSaleRow>.self).data }
        let messages = try await call.get("/api/v1/notifications?limit=50", as: Listing<MessageRow>.self).data
        func goods(_ order: QueueOrder) -> String {
            order.items.filter { $0.kind == "physical" }.map { "\($0.title)\($0.sku.map { " [\($0)]" } ?? "") ×\($0.quantity)" }.joined(separator: "; ")
        }
        func address(_ order: QueueOrder) -> String {
            order.shippingAddress.map { "\($0.name) \($0.phone) \($0.province)\($0.city)\($0.district) \($0.line)" } ?? "—"
        }
        let shipRows = toShip.map { order in
            V.row(order.id, [order.id, goods(order), address(order), V.time(order.createdAt)], actions: [
                V.action(t[.ship], "/admin/fulfilment/\(order.id)/ship", inputs: [V.input("carrier", value: "顺丰"), V.input("tracking_number", value: "")]),
            ])
        }
        let shippedRows = shipped.map { order in
            V.row(order.id, [order.id, goods(order), order.shipments.map { "\($0.carrier) \($0.trackingNumber)" }.joined(separator: ", "), V.time(order.createdAt)])
        }
        let afterSaleRows = open.sorted { $0.id > $1.id }.map { request in
            var actions: [V.Node] = []
            if request.status == "requested" { actions.append(V.action(t[.approve], "/admin/after-sales/\(request.id)/approve")) }
            if request.status == "approved" || request.status == "returning" {
                actions.append(V.action(t[.receiveReturn], "/admin/after-sales/\(request.id)/receive"))
            }
            if request.status == "requested" || request.status == "returning" {
                actions.append(V.action(t[.refuse], "/admin/after-sales/\(request.id)/refuse", inputs: [V.input("reason", value: "")], secondary: true))
            }
            return V.row(request.id, [request.orderId, request.type, Money.format(request.amount), request.reason, request.status], actions: actions)
        }
        let messageRows = messages.map { V.row($0.id, [$0.buyerId, $0.channel, $0.template, $0.status, V.time($0.createdAt)]) }
        return [
            V.section("to-ship", t[.toShip], note: t[.toShipNote], table: V.table(["ID", t[.goods], t[.shipTo], t[.created]], shipRows),
                      links: [V.link(t[.downloadToShip], "/admin/fulfilment/to-ship.csv")]),
            V.section("tracking", t[.importTracking], form: V.form("/admin/fulfilment/tracking", submit: t[.upload], fields: [
                V.field("CSV", "csv", type: "textarea", hint: "order_id,carrier,tracking_number", required: true),
            ])),
            V.section("shipped", t[.shipped], table: V.table(["ID", t[.goods], t[.parcels], t[.created]], shippedRows)),
            V.section("after-sales", t[.afterSales], table: V.table([t[.order], t[.kind], t[.amount], t[.why], t[.status]], afterSaleRows)),
            V.section("messages", t[.buyerMessages], table: V.table([t[.buyer], t[.channel], t[.template], t[.status], t[.created]], messageRows)),
        ]
    }

    struct VideoRow: Decodable { let id: String; let title: String; let url: String; let status: String }
    struct PerformanceRow: Decodable {
        let videoId: String; let title: String; let plays: Int64; let likes: Int64; let comments: Int64; let shares: Int64
        let clicks: Int64; let orders: Int64; let gmv: Int64; let commission: Int64
    }
    struct Performance: Decodable { let from: String; let to: String; let data: [PerformanceRow] }

    static func videos(_ call: ConsoleCall) async throws -> [V.Node] {
        let t = call.t
        let performance = try await call.get("/api/v1/video-performance", as: Performance.self)
        let listed = try await call.get("/api/v1/videos?limit=100", as: Listing<VideoRow>.self).data
        let rows = performance.data.map { row in
            V.row(row.videoId, [row.title, String(row.plays), String(row.likes), String(row.comments), String(row.shares), String(row.clicks),
                                String(row.orders), Money.format(row.gmv), Money.format(row.commission)])
        }
        let videoRows = listed.map { V.row($0.id, [$0.id, V.cell($0.title, link: $0.url), $0.status]) }
        return [
            V.section("performance", "\(t[.contentPerformance]) · \(performance.from) – \(performance.to)", note: t[.contentPerformanceNote],
                      table: V.table([t[.video], t[.plays], t[.likes], t[.comments], t[.shares], t[.clicks], t[.orders], "GMV", t[.commission]], rows)),
            V.section("videos", t[.videos], form: V.form("/admin/videos/new", submit: t[.create], fields: [
                V.field(t[.video], "title", required: true), V.field(t[.videoURL], "url", hint: "https://channels.weixin.qq.com/…", required: true),
                V.field(t[.productIDs], "product_ids", hint: "prod_…, prod_…"),
            ]), table: V.table(["ID", t[.video], t[.status]], videoRows)),
        ]
    }
}
