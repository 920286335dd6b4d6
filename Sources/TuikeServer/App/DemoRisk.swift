import TuikeCore
import TuikeStore

/// The demo school's risk: 学员小李 used the portal from home this morning, and an hour later an
/// order came through their link from that same address (held with `self_purchase_ip`, waiting
/// in the review queue); 推客阿强's link got 36 clicks from one address within a minute (a click
/// flood, recorded in shadow mode by the scan).
struct DemoRisk {
    let app: TuikeApp
    static let home = "203.0.113.77"

    func load(productIDs: [String]) async throws {
        let now = app.clock.now()
        let promoters = try await PromoterRepository(database: app.database, cipher: app.cipher).list(status: .active, parentID: nil, limit: 100, before: nil)
        let risk = RiskRepository(database: app.database)
        let links = LinkRepository(database: app.database)
        let clicks = ClickRepository(database: app.database)
        guard let productID = productIDs.first else { return }
        if let student = promoters.first(where: { $0.name == "学员小李" })?.id {
            try await risk.sighted(promoterID: student, kind: .ip, valueHash: try RiskOrigin.ipHash(Self.home, cipher: app.cipher), source: "login",
                                   at: now.adding(seconds: -7_200))
            let link = try await links.create(promoterID: student, productID: productID, targetURL: nil, at: now.adding(seconds: -3_700))
            let visitor = "demo-risk-visitor-000001"
            try await clicks.insert([ClickRecord(id: Identifier.make("clk", at: now.adding(seconds: -3_650)), linkID: link.id, promoterID: student,
                                                 productID: productID, visitorID: visitor, at: now.adding(seconds: -3_650), ip: Self.home,
                                                 userAgent: "Mozilla/5.0 (iPhone) MicroMessenger/8.0.47", referrer: nil, isBot: false)])
            let (order, _) = try await app.orderPlacement.place(.init(buyerID: "demo-buyer-home", items: [.init(productID: productID, quantity: 1)],
                                                                      visitorID: visitor, ip: Self.home), at: now.adding(seconds: -3_600))
            _ = try await OrderRepository(database: app.database).markPaid(order.id, paymentID: "demo-risk-1", provider: "demo", at: now.adding(seconds: -3_600))
        }
        if let seller = promoters.first(where: { $0.name == "推客阿强" }) {
            let link = try await links.create(promoterID: seller.id, productID: productIDs.last ?? productID, targetURL: nil, at: now.adding(seconds: -900))
            // All within one clock minute, ten minutes ago: the scan counts clicks per minute.
            let minute = Instant(milliseconds: (now.milliseconds - 600_000) / 60_000 * 60_000)
            try await clicks.insert((0..<36).map { index in
                ClickRecord(id: Identifier.make("clk", at: minute.adding(milliseconds: Int64(index) * 1_500)), linkID: link.id, promoterID: seller.id,
                            productID: link.productID, visitorID: "demo-flood-visitor-\(index)", at: minute.adding(milliseconds: Int64(index) * 1_500),
                            ip: "198.51.100.200", userAgent: "Mozilla/5.0 (Linux; Android 10; K) Chrome/120.0 Mobile", referrer: nil, isBot: false)
            })
            try await risk.scan(at: now)
        }
    }
}
