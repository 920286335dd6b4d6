import Foundation
import TuikeCore
import TuikeStore

/// The demo school's physical goods: a T-shirt in four variants sold through 推客阿强's video
/// and links, a signed-up buyer (phone 13900139000, address in the book) with orders in every
/// fulfilment state — to ship, shipped, received (commissions waiting out the after-sale window
/// or settled after it), and received with a return on its way back — and the video's daily
/// numbers from the platform.
struct DemoGoods {
    let app: TuikeApp

    static let buyerPhone = "13900139000"
    static let address = ShippingAddress(name: "王小明", phone: "13900139000", province: "浙江省", city: "杭州市", district: "西湖区", line: "文三路 90 号 3 幢 501")

    func load(promoterID: String) async throws {
        let now = app.clock.now()
        let skus = SkuRepository(database: app.database)
        let product = Product(id: Identifier.make("prod", at: now), title: "推客学堂定制 T 恤", description: "纯棉短袖，印学堂 logo，白黑两色。",
                              kind: .physical, price: 9_900, createdAt: now, updatedAt: now)
        let variants = [("TS-W-M", "白", "M", 9_900, 30), ("TS-W-L", "白", "L", 9_900, 25), ("TS-B-M", "黑", "M", 10_900, 0), ("TS-B-L", "黑", "L", 10_900, 12)]
            .enumerated().map { index, spec in
                Sku(id: Identifier.make("sku", at: now.adding(milliseconds: Int64(index))), productID: product.id, code: spec.0,
                    attributes: ["颜色": spec.1, "尺码": spec.2], price: Int64(spec.3), stock: Int64(spec.4), position: Int64(index))
            }
        try await skus.create(product, skus: variants, at: now)

        // The video and 推客阿强's link to it, with two weeks of the platform's numbers.
        let videos = VideoRepository(database: app.database)
        let video = Video(id: Identifier.make("vid", at: now), title: "T 恤上身实拍：白色 L 码", url: "https://channels.weixin.qq.com/demo/tshirt",
                          coverMediaID: nil, productIDs: [product.id], status: .active, createdAt: now.adding(seconds: -14 * 86_400))
        try await videos.create(video, at: now)
        let link = try await LinkRepository(database: app.database).create(promoterID: promoterID, productID: product.id, targetURL: nil, videoID: video.id,
                                                                             at: now.adding(seconds: -14 * 86_400))
        let zone = try await ProgramRepository(database: app.database).current().timeZone
        for (index, day) in try CalendarDays.days(from: now.adding(seconds: -13 * 86_400), to: now, timeZone: zone).enumerated() {
            let plays = Int64(300 + index * 120)
            try await videos.record(VideoDayStats(videoID: video.id, promoterID: nil, day: day.label, plays: plays, likes: plays / 12, comments: plays / 60,
                                                  shares: plays / 25), at: now)
            try await videos.record(VideoDayStats(videoID: video.id, promoterID: promoterID, day: day.label, plays: plays / 3, likes: plays / 40,
                                                  comments: plays / 200, shares: plays / 70), at: now)
        }

        // The buyer signs up the way the storefront does: a code, then sign-in.
        let buyers = BuyerRepository(database: app.database, cipher: app.cipher)
        let code = try await buyers.issueCode(phone: Self.buyerPhone, address: "demo", at: now.adding(seconds: -20 * 86_400))
        let (buyer, _) = try await buyers.signIn(phone: Self.buyerPhone, code: code, at: now.adding(seconds: -20 * 86_400))
        _ = try await buyers.addAddress(Self.address, isDefault: true, buyerID: buyer.id, at: now)

        // Orders through the video link, days ago: (days ago, variant, shipped days ago, received days ago, after-sale)
        let settings = try await ProgramRepository(database: app.database).current()
        let fulfilment = FulfilmentRepository(database: app.database)
        let afterSales = AfterSaleRepository(database: app.database)
        let orders = OrderRepository(database: app.database)
        let clicks = ClickRepository(database: app.database)
        let plan: [(Int64, String, Int64?, Int64?, AfterSale.Kind?)] = [
            (12, "TS-W-L", 11, 9, nil), (9, "TS-B-L", 8, 6, .goodsReturn), (6, "TS-W-M", 5, 2, nil), (3, "TS-W-L", 2, nil, nil), (1, "TS-B-L", nil, nil, nil),
        ]
        for (index, spec) in plan.enumerated() {
            let at = now.adding(seconds: -spec.0 * 86_400)
            let visitor = "demo-video-visitor-\(index)"
            try await clicks.insert([ClickRecord(id: Identifier.make("clk", at: at.adding(seconds: -600)), linkID: link.id, promoterID: promoterID,
                                                 productID: product.id, visitorID: visitor, at: at.adding(seconds: -600), ip: "203.0.113.9",
                                                 userAgent: "Mozilla/5.0 (iPhone) MicroMessenger/8.0.47", referrer: nil, isBot: false, source: nil)])
            let (order, _) = try await app.orderPlacement.place(.init(buyerID: buyer.id, items: [.init(productID: product.id, quantity: 1, sku: spec.1)],
                                                                      shippingAddress: Self.address, visitorID: visitor), at: at)
            _ = try await orders.markPaid(order.id, paymentID: "demo-goods-\(index)", provider: "demo", at: at)
            if let shipped = spec.2 {
                _ = try await fulfilment.ship(orderID: order.id, carrier: "顺丰", trackingNumber: "SF10\(index)2026\(index)8", settings: settings,
                                              at: now.adding(seconds: -shipped * 86_400))
            }
            if let received = spec.3 {
                _ = try await fulfilment.receive(orderID: order.id, settings: settings, at: now.adding(seconds: -received * 86_400))
            }
            if spec.4 == .goodsReturn {
                let line = try require_(order.items.first)
                let request = try await afterSales.request(.init(orderID: order.id, itemID: line.id, kind: .goodsReturn, amount: line.paid, quantity: 1,
                                                                 reason: "黑色偏小，想换白色", photos: []), settings: settings, at: now.adding(seconds: -5 * 86_400))
                _ = try await afterSales.move(request.id, from: [.requested], to: .approved, settings: settings, at: now.adding(seconds: -4 * 86_400))
                _ = try await afterSales.move(request.id, from: [.approved], to: .returning, returnParcel: ("中通", "ZT7788990011"), settings: settings,
                                              at: now.adding(seconds: -3 * 86_400))
            }
        }
    }
}

/// The first element, or a clear error (the demo's data is fixed; this never fails in practice).
private func require_<T>(_ value: T?) throws -> T {
    guard let value else { throw TuikeError.validation("the demo's goods are incomplete") }
    return value
}
