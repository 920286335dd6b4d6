import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TuikeCore
@testable import TuikeServer
import TuikeStore
import TuikeTestSupport

/// Where goods go when money goes back: stock follows the units that will not ship, never more
/// than a line took; shipping stops when nothing is left to send; a late group payment takes its
/// goods again or is refunded.
@Suite struct GoodsStockAPITests {
    /// A refund-only after-sale of the whole line before shipping puts the shirt back and leaves
    /// nothing to ship; a partial one keeps it; a direct full refund does the same as the first.
    @Test(arguments: TestDatabase.available)
    func goodsRefundedBeforeShippingGoBackIntoStock(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let world = try await GoodsWorld.make(client)
            let partly = try await world.paidOrder(client, buyer: "buyer-1")
            // A shirt with a course: once the shirt is refunded in full, the order still stands.
            let course = try #require(try await client.send(.post, "/api/v1/products", body: #"{"title":"穿搭课","price":1000}"#).json["id"] as? String)
            let created = try await client.send(.post, "/api/v1/orders", body: """
                {"buyer_id":"buyer-2","items":[{"product_id":"\(world.product)","quantity":1,"sku":"TS-W-L"},{"product_id":"\(course)","quantity":1}],
                 "shipping_address":\(GoodsWorld.address)}
                """)
            let whole = try #require(created.json["id"] as? String, "\(created.text)")
            #expect(try await client.send(.post, "/api/v1/orders/\(whole)/paid", body: #"{"payment_id":"pay-whole"}"#).status == .ok)
            let direct = try await world.paidOrder(client, buyer: "buyer-3")
            #expect(try await GoodsWorld.stock(client, product: world.product, sku: "TS-W-L") == 7)

            let some = try await client.send(.post, "/api/v1/orders/\(partly)/after-sales", body: #"{"type":"refund","amount":1000,"reason":"有瑕疵"}"#)
            #expect(try await client.send(.post, "/api/v1/after-sales/\(some.json["id"] as! String)/approve").json["status"] as? String == "refunded")
            let all = try await client.send(.post, "/api/v1/orders/\(whole)/after-sales", body: #"{"type":"refund","amount":9900,"reason":"不要了"}"#)
            #expect(try await client.send(.post, "/api/v1/after-sales/\(all.json["id"] as! String)/approve").json["status"] as? String == "refunded")
            #expect(try await GoodsWorld.stock(client, product: world.product, sku: "TS-W-L") == 8)
            let refunded = try await client.send(.post, "/api/v1/orders/\(direct)/refunds", body: #"{"amount":9900,"reason":"取消"}"#)
            #expect(refunded.status == .created || refunded.status == .ok, "\(refunded.text)")
            #expect(try await GoodsWorld.stock(client, product: world.product, sku: "TS-W-L") == 9)

            // The refunded ones are not waiting for a parcel, and cannot get one.
            let queue = try #require(try await client.send(.get, "/api/v1/fulfilment?status=unfulfilled").json["data"] as? [[String: Any]])
            #expect(queue.compactMap { $0["id"] as? String } == [partly])
            expectError(try await client.send(.post, "/api/v1/orders/\(whole)/shipments", body: #"{"carrier":"顺丰","tracking_number":"SF0001"}"#),
                        .conflict, "nothing_to_ship")
            expectError(try await client.send(.post, "/api/v1/orders/\(direct)/shipments", body: #"{"carrier":"顺丰","tracking_number":"SF0002"}"#),
                        .conflict, "already_refunded")
            let csv = try await client.send(.get, "/api/v1/fulfilment/export.csv").text
            #expect(csv.contains(partly) && !csv.contains(whole) && !csv.contains(direct))
            #expect(try await client.send(.post, "/api/v1/orders/\(partly)/shipments", body: #"{"carrier":"顺丰","tracking_number":"SF0003"}"#).status == .created)
            try await client.expectBalanced()
        }
    }

    /// A shipped line refunded without a return keeps its units out of stock (the buyer has them);
    /// a return after a partial refund puts back only what the line sold.
    @Test(arguments: TestDatabase.available)
    func shippedGoodsComeBackOnlyByReturn(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let world = try await GoodsWorld.make(client)
            let order = try await world.paidOrder(client)
            #expect(try await client.send(.post, "/api/v1/orders/\(order)/shipments", body: #"{"carrier":"顺丰","tracking_number":"SF1001"}"#).status == .created)
            let some = try await client.send(.post, "/api/v1/orders/\(order)/after-sales", body: #"{"type":"refund","amount":2000,"reason":"色差"}"#)
            _ = try await client.send(.post, "/api/v1/after-sales/\(some.json["id"] as! String)/approve")
            #expect(try await GoodsWorld.stock(client, product: world.product, sku: "TS-W-L") == 9)
            let back = try await client.send(.post, "/api/v1/orders/\(order)/after-sales", body: #"{"type":"return","amount":7900,"reason":"退货"}"#)
            let id = try #require(back.json["id"] as? String, "\(back.text)")
            _ = try await client.send(.post, "/api/v1/after-sales/\(id)/approve")
            _ = try await client.send(.post, "/api/v1/after-sales/\(id)/return-shipment", body: #"{"carrier":"顺丰","tracking_number":"SF1002"}"#)
            #expect(try await client.send(.post, "/api/v1/after-sales/\(id)/receive-return").json["status"] as? String == "refunded")
            #expect(try await GoodsWorld.stock(client, product: world.product, sku: "TS-W-L") == 10)
            try await client.expectBalanced()
        }
    }

    /// A failed group of goods refunds its members and puts their goods back.
    @Test(arguments: TestDatabase.available)
    func aFailedGroupPutsItsGoodsBack(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let world = try await GoodsWorld.make(client)
            let campaign = try await Self.campaign(client, world, size: 3)
            let leader = try await Self.open(client, campaign, world, buyer: "g1", sku: "TS-W-L")
            #expect(try await client.pay(leader.order).status == .ok)
            #expect(try await GoodsWorld.stock(client, product: world.product, sku: "TS-W-L") == 9)
            try await client.advance(seconds: 3_601)
            try await client.advance(seconds: 0)
            #expect(try await client.send(.get, "/api/v1/orders/\(leader.order)").json["status"] as? String == "refunded")
            #expect(try await GoodsWorld.stock(client, product: world.product, sku: "TS-W-L") == 10)
            try await client.expectBalanced()
        }
    }

    /// Reservations lapse and put their goods back. A late payment takes the goods again with
    /// its slot; when its variant sold out meanwhile, it is refunded and stock stays at zero.
    @Test(arguments: TestDatabase.available)
    func aLateGroupPaymentTakesItsGoodsAgainOrIsRefunded(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let world = try await GoodsWorld.make(client, stock: 1)
            let campaign = try await Self.campaign(client, world, size: 4, extra: #","payment_timeout_seconds":600"#)
            let leader = try await Self.open(client, campaign, world, buyer: "g1", sku: "TS-B-M")
            #expect(try await client.pay(leader.order).status == .ok)
            let slow = try await Self.join(client, leader.group, buyer: "g-slow", sku: "TS-B-M")
            let late = try await Self.join(client, leader.group, buyer: "g-late", sku: "TS-W-L")
            #expect(try await GoodsWorld.stock(client, product: world.product, sku: "TS-W-L") == 0)
            #expect(try await GoodsWorld.stock(client, product: world.product, sku: "TS-B-M") == 3)
            try await client.advance(seconds: 601)
            #expect(try await GoodsWorld.stock(client, product: world.product, sku: "TS-W-L") == 1)
            #expect(try await GoodsWorld.stock(client, product: world.product, sku: "TS-B-M") == 4)

            // The last white L goes to someone else; g-slow's black M is still there.
            _ = try await world.paidOrder(client, buyer: "someone-else")
            #expect(try await client.pay(slow).status == .ok)
            #expect(try await GoodsWorld.stock(client, product: world.product, sku: "TS-B-M") == 3)
            #expect(try await client.group(leader.group)["members"] as? Int == 2)
            #expect(try await client.pay(late).status == .ok)
            try await client.advance(seconds: 0)
            let refunded = try await client.send(.get, "/api/v1/orders/\(late)").json
            #expect(refunded["status"] as? String == "refunded", "\(refunded)")
            #expect(try await GoodsWorld.stock(client, product: world.product, sku: "TS-W-L") == 0)
            #expect(try await client.group(leader.group)["members"] as? Int == 2)
            try await client.expectBalanced()
        }
    }

    /// Finance refuses an approved refund while the provider is paying it: the payment wins, as
    /// the money went back, and the books say so.
    @Test(arguments: TestDatabase.available)
    func aRefusalRacingAPaymentLosesToIt(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, tuike async throws in
            let world = try await GoodsWorld.make(client)
            let order = try await world.paidOrder(client)
            let asked = try await client.send(.post, "/api/v1/orders/\(order)/after-sales", body: #"{"type":"refund","amount":9900,"reason":"不要了"}"#)
            let id = try #require(asked.json["id"] as? String, "\(asked.text)")
            let afterSales = AfterSaleRepository(database: tuike.database)
            // The approval's claim, then the refusal, then the provider's answer is booked.
            let claimed = try await afterSales.move(id, from: [.requested], to: .approved, settings: .defaults, at: tuike.clock.now())
            #expect(try await client.send(.post, "/api/v1/after-sales/\(id)/refuse", body: #"{"reason":"不符合"}"#).json["status"] as? String == "refused")
            _ = try await RefundRepository(database: tuike.database).refund(orderID: order, amount: 9900, refundID: id, reason: "不要了", afterSale: claimed,
                                                                            at: tuike.clock.now())
            #expect(try await client.send(.get, "/api/v1/after-sales/\(id)").json["status"] as? String == "refunded")
            #expect(try await client.send(.get, "/api/v1/orders/\(order)").json["status"] as? String == "refunded")
            try await client.expectBalanced()
        }
    }

    static func campaign(_ client: any TestClientProtocol, _ world: GoodsWorld, size: Int, extra: String = "") async throws -> String {
        let campaign = try await client.send(.post, "/api/v1/group-campaigns", body: """
            {"product_id":"\(world.product)","group_price":7900,"group_size":\(size),"duration_seconds":3600\(extra)}
            """)
        return try #require(campaign.json["id"] as? String, "\(campaign.text)")
    }

    static func open(_ client: any TestClientProtocol, _ campaign: String, _ world: GoodsWorld, buyer: String,
                     sku: String) async throws -> (group: String, order: String) {
        let opened = try await client.send(.post, "/api/v1/groups", body: """
            {"campaign_id":"\(campaign)","buyer_id":"\(buyer)","visitor_id":"\(world.visitor)","sku":"\(sku)","shipping_address":\(GoodsWorld.address)}
            """)
        let group = try #require((opened.json["group"] as? [String: Any])?["id"] as? String, "\(opened.text)")
        return (group, try #require((opened.json["order"] as? [String: Any])?["id"] as? String))
    }

    static func join(_ client: any TestClientProtocol, _ group: String, buyer: String, sku: String) async throws -> String {
        let joined = try await client.send(.post, "/api/v1/groups/\(group)/join", body: """
            {"buyer_id":"\(buyer)","sku":"\(sku)","shipping_address":\(GoodsWorld.address)}
            """)
        return try #require((joined.json["order"] as? [String: Any])?["id"] as? String, "\(joined.text)")
    }
}
