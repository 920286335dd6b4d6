import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TuikeCore
@testable import TuikeServer
import TuikeTestSupport

/// A T-shirt in two variants, sold by B (under A) through B's link.
struct GoodsWorld: Sendable {
    let product: String
    let a: String
    let b: String
    let visitor: String

    static let address = #"{"name":"张三","phone":"138 0013 8000","province":"浙江省","city":"杭州市","district":"西湖区","line":"文三路 1 号"}"#

    static func make(_ client: any TestClientProtocol, stock: Int = 10) async throws -> GoodsWorld {
        let created = try await client.send(.post, "/api/v1/products", body: """
            {"title":"推客T恤","price":9900,"kind":"physical","skus":[
              {"code":"TS-W-L","attributes":{"颜色":"白","尺码":"L"},"price":9900,"stock":\(stock)},
              {"code":"TS-B-M","attributes":{"颜色":"黑","尺码":"M"},"price":10900,"stock":5}]}
            """)
        #expect(created.status == .created, "\(created.text)")
        let product = try #require(created.json["id"] as? String)
        let a = try await client.createPromoter("A")["id"] as! String
        let b = try await client.createPromoter("B", parent: a)["id"] as! String
        let code = try await client.createLink(promoter: b, product: product).json["code"] as! String
        let visitor = "visitor-goods-00001"
        _ = try await client.send(.post, "/api/v1/track/click", body: #"{"code":"\#(code)","visitor_id":"\#(visitor)"}"#)
        return GoodsWorld(product: product, a: a, b: b, visitor: visitor)
    }

    /// buyer's paid order of one white L shirt; its id.
    func paidOrder(_ client: any TestClientProtocol, buyer: String = "buyer-1", sku: String = "TS-W-L") async throws -> String {
        let created = try await client.send(.post, "/api/v1/orders", body: """
            {"buyer_id":"\(buyer)","items":[{"product_id":"\(product)","quantity":1,"sku":"\(sku)"}],"visitor_id":"\(visitor)","shipping_address":\(Self.address)}
            """)
        #expect(created.status == .created, "\(created.text)")
        let order = try #require(created.json["id"] as? String)
        let paid = try await client.send(.post, "/api/v1/orders/\(order)/paid", body: #"{"payment_id":"pay-\#(order)"}"#)
        #expect(paid.status == .ok, "\(paid.text)")
        return order
    }

    static func commissions(_ client: any TestClientProtocol, order: String) async throws -> [[String: Any]] {
        try #require(try await client.send(.get, "/api/v1/commissions?order_id=\(order)").json["data"] as? [[String: Any]])
    }

    static func stock(_ client: any TestClientProtocol, product: String, sku: String) async throws -> Int? {
        let skus = try await client.send(.get, "/api/v1/products/\(product)").json["skus"] as? [[String: Any]]
        return skus?.first { $0["code"] as? String == sku }?["stock"] as? Int
    }

    static func settle(_ client: any TestClientProtocol) async throws {
        let now = try await client.advance(seconds: 0)
        let batch = try await client.send(.post, "/api/v1/settlements", body: #"{"period_end":"\#(now)"}"#)
        #expect(batch.status == .created || batch.status == .ok, "\(batch.text)")
    }
}

@Suite struct PhysicalGoodsAPITests {
    /// Paid → shipped → received: the commission waits for receipt, then `after_sale_days` (7)
    /// after it, later than `freeze_days` (7) after payment; a settlement in between leaves it.
    @Test(arguments: TestDatabase.available)
    func theCommissionOnGoodsSettlesAfterTheAfterSaleWindow(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let world = try await GoodsWorld.make(client)
            let order = try await world.paidOrder(client)
            let view = try await client.send(.get, "/api/v1/orders/\(order)").json
            #expect(view["fulfilment_status"] as? String == "unfulfilled")
            #expect((view["items"] as? [[String: Any]])?.first?["sku"] as? String == "TS-W-L")
            #expect((view["shipping_address"] as? [String: Any])?["city"] as? String == "杭州市")
            #expect(try await GoodsWorld.stock(client, product: world.product, sku: "TS-W-L") == 9)
            let commissions = try await GoodsWorld.commissions(client, order: order)
            #expect(commissions.map { $0["amount"] as? Int }.sorted { ($0 ?? 0) < ($1 ?? 0) } == [495, 1980])

            try await client.advance(seconds: 86_400)
            let shipped = try await client.send(.post, "/api/v1/orders/\(order)/shipments", body: #"{"carrier":"顺丰","tracking_number":"SF1234567890"}"#)
            #expect(shipped.status == .created && shipped.json["fulfilment_status"] as? String == "shipped", "\(shipped.text)")
            let again = try await client.send(.post, "/api/v1/orders/\(order)/shipments", body: #"{"carrier":"顺丰","tracking_number":"SF1234567890"}"#)
            #expect(again.status == .ok && (again.json["shipments"] as? [Any])?.count == 1)
            try await client.advance(seconds: 86_400)
            let received = try await client.send(.post, "/api/v1/orders/\(order)/receipt")
            #expect(received.json["fulfilment_status"] as? String == "received", "\(received.text)")
            expectError(try await client.send(.post, "/api/v1/orders/\(order)/receipt"), .conflict, "already_received")

            // Day 8.5 after payment: past the freeze, inside the after-sale window (ends day 9).
            try await client.advance(seconds: 6 * 86_400 + 43_200)
            try await GoodsWorld.settle(client)
            #expect(try await GoodsWorld.commissions(client, order: order).allSatisfy { $0["status"] as? String == "pending" })
            try await client.advance(seconds: 43_200 + 1)
            try await GoodsWorld.settle(client)
            #expect(try await GoodsWorld.commissions(client, order: order).allSatisfy { $0["status"] as? String == "settled" })
            #expect(try await client.balance(world.b)["available"] == 1980)
            try await client.expectBalanced()
        }
    }

    /// Nobody confirms: `auto_receive_days` (10) after the last parcel the order is received,
    /// and the commission settles 7 days later.
    @Test(arguments: TestDatabase.available)
    func autoReceiptStartsTheWindow(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let world = try await GoodsWorld.make(client)
            let order = try await world.paidOrder(client)
            _ = try await client.send(.post, "/api/v1/orders/\(order)/shipments", body: #"{"carrier":"中通","tracking_number":"ZT0001"}"#)
            try await client.advance(seconds: 5 * 86_400)
            _ = try await client.send(.post, "/api/v1/orders/\(order)/shipments", body: #"{"carrier":"中通","tracking_number":"ZT0002"}"#)
            // The sandbox clock runs on with the wall clock: an hour's margin on either side.
            try await client.advance(seconds: 10 * 86_400 - 3_600)
            #expect(try await client.send(.get, "/api/v1/orders/\(order)").json["fulfilment_status"] as? String == "shipped")
            try await client.advance(seconds: 3_600)
            let view = try await client.send(.get, "/api/v1/orders/\(order)").json
            #expect(view["fulfilment_status"] as? String == "received" && view["received_at"] is String)
            try await client.advance(seconds: 7 * 86_400 - 3_600)
            try await GoodsWorld.settle(client)
            let waiting = try await GoodsWorld.commissions(client, order: order)
            #expect(waiting.allSatisfy { $0["status"] as? String == "pending" }, "\(waiting)")
            try await client.advance(seconds: 3_600)
            try await GoodsWorld.settle(client)
            #expect(try await GoodsWorld.commissions(client, order: order).allSatisfy { $0["status"] as? String == "settled" })
            let events = try await client.send(.get, "/api/v1/events?type=order.received").json["data"] as? [[String: Any]]
            #expect(events?.count == 1)
        }
    }

    /// A return inside the window: approved, sent back, received → refunded in full, the shirt
    /// back in stock, both commissions reversed, the ledger balanced. After the window: refused.
    @Test(arguments: TestDatabase.available)
    func aReturnRestocksAndReversesAndTheWindowCloses(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let world = try await GoodsWorld.make(client)
            let order = try await world.paidOrder(client)
            _ = try await client.send(.post, "/api/v1/orders/\(order)/shipments", body: #"{"carrier":"顺丰","tracking_number":"SF0001"}"#)
            _ = try await client.send(.post, "/api/v1/orders/\(order)/receipt")
            try await client.advance(seconds: 3 * 86_400)
            let asked = try await client.send(.post, "/api/v1/orders/\(order)/after-sales", body: #"{"type":"return","amount":9900,"reason":"尺码偏小"}"#)
            #expect(asked.status == .created && asked.json["status"] as? String == "requested", "\(asked.text)")
            let id = try #require(asked.json["id"] as? String)
            expectError(try await client.send(.post, "/api/v1/orders/\(order)/after-sales", body: #"{"type":"refund","amount":100,"reason":"again"}"#),
                        .conflict, "after_sale_open")
            #expect(try await client.send(.post, "/api/v1/after-sales/\(id)/approve").json["status"] as? String == "approved")
            let back = try await client.send(.post, "/api/v1/after-sales/\(id)/return-shipment", body: #"{"carrier":"顺丰","tracking_number":"SF0002"}"#)
            #expect(back.json["status"] as? String == "returning", "\(back.text)")
            // The window passes while the goods travel back: the open after-sale keeps the commission.
            try await client.advance(seconds: 5 * 86_400)
            try await GoodsWorld.settle(client)
            #expect(try await GoodsWorld.commissions(client, order: order).allSatisfy { $0["status"] as? String == "pending" })
            let done = try await client.send(.post, "/api/v1/after-sales/\(id)/receive-return")
            #expect(done.json["status"] as? String == "refunded", "\(done.text)")
            #expect(try await client.send(.post, "/api/v1/after-sales/\(id)/receive-return").json["status"] as? String == "refunded")
            let view = try await client.send(.get, "/api/v1/orders/\(order)").json
            #expect(view["status"] as? String == "refunded" && (view["refunds"] as? [Any])?.count == 1)
            #expect(try await GoodsWorld.stock(client, product: world.product, sku: "TS-W-L") == 10)
            #expect(try await GoodsWorld.commissions(client, order: order).allSatisfy { $0["status"] as? String == "reversed" && $0["amount"] as? Int == 0 })
            try await client.expectBalanced()

            let late = try await world.paidOrder(client, buyer: "buyer-2")
            _ = try await client.send(.post, "/api/v1/orders/\(late)/shipments", body: #"{"carrier":"顺丰","tracking_number":"SF0003"}"#)
            _ = try await client.send(.post, "/api/v1/orders/\(late)/receipt")
            try await client.advance(seconds: 7 * 86_400 + 1)
            expectError(try await client.send(.post, "/api/v1/orders/\(late)/after-sales", body: #"{"type":"refund","amount":100,"reason":"太晚了"}"#),
                        .conflict, "after_sale_window_closed")
            #expect(try await client.send(.get, "/api/v1/after-sales?order_id=\(late)").json["data"] as? [Any] != nil)
        }
    }

    /// A refund before shipping: approved and paid at once; the refused one keeps the order as it was.
    @Test(arguments: TestDatabase.available)
    func aRefundOnlyIsPaidOnApprovalAndARefusalChangesNothing(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let world = try await GoodsWorld.make(client)
            let order = try await world.paidOrder(client)
            expectError(try await client.send(.post, "/api/v1/orders/\(order)/after-sales", body: #"{"type":"return","amount":9900,"reason":"不要了"}"#),
                        .conflict, "not_shipped")
            let first = try await client.send(.post, "/api/v1/orders/\(order)/after-sales", body: #"{"type":"refund","amount":3000,"reason":"有瑕疵"}"#)
            let refused = try await client.send(.post, "/api/v1/after-sales/\(first.json["id"] as! String)/refuse", body: #"{"reason":"照片看不出瑕疵"}"#)
            #expect(refused.json["status"] as? String == "refused" && refused.json["answer"] as? String == "照片看不出瑕疵")
            #expect(try await client.send(.get, "/api/v1/orders/\(order)").json["refunded"] as? Int == 0)
            // An after-sale whose line another refund has taken from meanwhile is not paid: 409, no money moves.
            let stale = try await client.send(.post, "/api/v1/orders/\(order)/after-sales", body: #"{"type":"refund","amount":9900,"reason":"全退"}"#)
            let staleID = try #require(stale.json["id"] as? String, "\(stale.text)")
            _ = try await client.send(.post, "/api/v1/orders/\(order)/refunds", body: #"{"amount":100,"reason":"补偿运费"}"#)
            expectError(try await client.send(.post, "/api/v1/after-sales/\(staleID)/approve"), .conflict, "after_sale_amount")
            #expect(try await client.send(.get, "/api/v1/orders/\(order)").json["refunded"] as? Int == 100)
            #expect(try await client.send(.post, "/api/v1/after-sales/\(staleID)/refuse", body: #"{"reason":"请按剩余金额重新申请"}"#).json["status"] as? String == "refused")
            let second = try await client.send(.post, "/api/v1/orders/\(order)/after-sales", body: #"{"type":"refund","amount":3000,"reason":"有瑕疵，补了照片"}"#)
            let paid = try await client.send(.post, "/api/v1/after-sales/\(second.json["id"] as! String)/approve")
            #expect(paid.json["status"] as? String == "refunded", "\(paid.text)")
            let view = try await client.send(.get, "/api/v1/orders/\(order)").json
            #expect(view["status"] as? String == "partially_refunded" && view["refunded"] as? Int == 3100)
            // 1980 × 3100 / 9900 = 620 reversed from B; 495 → 155 from A.
            let amounts = try await GoodsWorld.commissions(client, order: order).compactMap { $0["amount"] as? Int }.sorted()
            #expect(amounts == [340, 1360])
            #expect(try await GoodsWorld.stock(client, product: world.product, sku: "TS-W-L") == 9)
            try await client.expectBalanced()
        }
    }

    /// 500 buyers at once on a variant with 10 in stock: exactly 10 orders.
    @Test(arguments: TestDatabase.available)
    func fiveHundredBuyersTenInStock(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let world = try await GoodsWorld.make(client)
            let product = world.product
            let results = try await OrdersAPITests.atOnce(500) { n in
                let response = try await client.send(.post, "/api/v1/orders", body: """
                    {"buyer_id":"rush-\(n)","items":[{"product_id":"\(product)","quantity":1,"sku":"TS-W-L"}],"shipping_address":\(GoodsWorld.address)}
                    """)
                return (response.status, response.errorCode)
            }
            #expect(results.filter { $0.0 == .created }.count == 10)
            #expect(results.filter { $0.0 == .conflict && $0.1 == "out_of_stock" }.count == 490)
            #expect(try await GoodsWorld.stock(client, product: product, sku: "TS-W-L") == 0)
            #expect(try await GoodsWorld.stock(client, product: product, sku: "TS-B-M") == 5)
        }
    }

    /// 50 after-sale requests on one line at once: one is open, 49 are 409 `after_sale_open`.
    @Test(arguments: TestDatabase.available)
    func fiftyAfterSalesOnOneLine(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let world = try await GoodsWorld.make(client)
            let order = try await world.paidOrder(client)
            let results = try await OrdersAPITests.atOnce(50) { n in
                let response = try await client.send(.post, "/api/v1/orders/\(order)/after-sales", body: #"{"type":"refund","amount":9900,"reason":"r\#(n)"}"#)
                return (response.status, response.errorCode)
            }
            #expect(results.filter { $0.0 == .created }.count == 1)
            #expect(results.filter { $0.0 == .conflict && $0.1 == "after_sale_open" }.count == 49)
            let open = try #require(try await client.send(.get, "/api/v1/after-sales?order_id=\(order)").json["data"] as? [[String: Any]])
            // Approving the one open request twice at once pays once.
            let id = try #require(open.first?["id"] as? String)
            _ = try await OrdersAPITests.atOnce(2) { _ in try await client.send(.post, "/api/v1/after-sales/\(id)/approve").status }
            let view = try await client.send(.get, "/api/v1/orders/\(order)").json
            #expect(view["refunded"] as? Int == 9900 && (view["refunds"] as? [Any])?.count == 1)
            try await client.expectBalanced()
        }
    }

    /// Unknown SKU, another product's SKU, a missing SKU, an address missing fields, a parcel on
    /// a course order, a receipt before shipping: each a clear error, nothing stored.
    @Test(arguments: TestDatabase.available)
    func badInputIsRefusedAndChangesNothing(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, tuike async throws in
            let world = try await GoodsWorld.make(client)
            let course = try await client.send(.post, "/api/v1/products", body: #"{"title":"课程","price":100}"#).json["id"] as! String
            let other = try await client.send(.post, "/api/v1/products", body: """
                {"title":"马克杯","price":3900,"kind":"physical","skus":[{"code":"MUG","price":3900,"stock":3}]}
                """).json["id"] as! String
            func order(_ items: String, address: String? = GoodsWorld.address) async throws -> TestResponse {
                try await client.send(.post, "/api/v1/orders", body: """
                    {"buyer_id":"b","items":[\(items)]\(address.map { ",\"shipping_address\":\($0)" } ?? "")}
                    """)
            }
            expectError(try await order(#"{"product_id":"\#(world.product)","quantity":1,"sku":"NOPE"}"#), .unprocessableContent, "validation_failed")
            expectError(try await order(#"{"product_id":"\#(world.product)","quantity":1,"sku":"MUG"}"#), .unprocessableContent, "validation_failed")
            expectError(try await order(#"{"product_id":"\#(world.product)","quantity":1}"#), .unprocessableContent, "validation_failed")
            let missing = try await order(#"{"product_id":"\#(world.product)","quantity":1,"sku":"TS-W-L"}"#, address: #"{"name":"张三","phone":"13800138000"}"#)
            expectError(missing, .unprocessableContent, "validation_failed")
            #expect(missing.text.contains("province") && missing.text.contains("line"))
            expectError(try await order(#"{"product_id":"\#(world.product)","quantity":1,"sku":"TS-W-L"}"#, address: nil), .unprocessableContent, "validation_failed")
            expectError(try await order(#"{"product_id":"\#(course)","quantity":1,"sku":"TS-W-L"}"#), .unprocessableContent, "validation_failed")
            #expect(try await OrdersAPITests.count("orders", in: tuike.database) == 0)
            #expect(try await GoodsWorld.stock(client, product: world.product, sku: "TS-W-L") == 10)
            #expect(try await GoodsWorld.stock(client, product: other, sku: "MUG") == 3)

            // A course order: no parcel, no receipt, no after-sale.
            let courseOrder = try await client.send(.post, "/api/v1/orders", body: #"{"buyer_id":"b","items":[{"product_id":"\#(course)","quantity":1}]}"#)
                .json["id"] as! String
            _ = try await client.send(.post, "/api/v1/orders/\(courseOrder)/paid", body: #"{"payment_id":"p-course"}"#)
            expectError(try await client.send(.post, "/api/v1/orders/\(courseOrder)/shipments", body: #"{"carrier":"顺丰","tracking_number":"SF9"}"#),
                        .unprocessableContent, "validation_failed")
            expectError(try await client.send(.post, "/api/v1/orders/\(courseOrder)/shipments", body: #"{"carrier":"顺丰","tracking_number":"SF99999"}"#),
                        .conflict, "not_physical")
            expectError(try await client.send(.post, "/api/v1/orders/\(courseOrder)/receipt"), .conflict, "not_physical")
            expectError(try await client.send(.post, "/api/v1/orders/\(courseOrder)/after-sales", body: #"{"type":"refund","amount":100,"reason":"x"}"#),
                        .conflict, "not_physical")
            #expect(try await OrdersAPITests.count("shipments", in: tuike.database) == 0)

            let goods = try await world.paidOrder(client)
            expectError(try await client.send(.post, "/api/v1/orders/\(goods)/receipt"), .conflict, "not_shipped")
            expectError(try await client.send(.post, "/api/v1/orders/\(goods)/after-sales", body: #"{"type":"refund","amount":9901,"reason":"x"}"#),
                        .unprocessableContent, "validation_failed")
            expectError(try await client.send(.post, "/api/v1/orders/\(goods)/after-sales", body: #"{"type":"swap","amount":100,"reason":"x"}"#),
                        .unprocessableContent, "validation_failed")
            expectError(try await client.send(.post, "/api/v1/orders/ord_nope/shipments", body: #"{"carrier":"顺丰","tracking_number":"SF99999"}"#),
                        .notFound, "not_found")
            // SKUs: only on physical goods, codes unique, stock not on the product as well.
            expectError(try await client.send(.post, "/api/v1/products", body: #"{"title":"课","price":1,"skus":[{"code":"A","price":1,"stock":1}]}"#),
                        .unprocessableContent, "validation_failed")
            expectError(try await client.send(.post, "/api/v1/products", body: """
                {"title":"杯","price":1,"kind":"physical","skus":[{"code":"A","price":1,"stock":1},{"code":"A","price":2,"stock":1}]}
                """), .unprocessableContent, "validation_failed")
            expectError(try await client.send(.post, "/api/v1/products/\(world.product)/skus", body: #"{"code":"TS-W-L","price":1,"stock":1}"#),
                        .conflict, "sku_exists")
            expectError(try await client.send(.post, "/api/v1/products/\(world.product)/skus", body: #"{"code":"TS-W-L2","attributes":{"颜色":"白","尺码":"L"},"price":1,"stock":1}"#),
                        .unprocessableContent, "validation_failed")
            expectError(try await client.send(.patch, "/api/v1/products/\(world.product)/skus/TS-B-M", body: #"{"attributes":{"颜色":"白","尺码":"L"}}"#),
                        .unprocessableContent, "validation_failed")
            expectError(try await client.send(.patch, "/api/v1/products/\(world.product)", body: #"{"kind":"course"}"#), .unprocessableContent, "validation_failed")
            expectError(try await client.send(.patch, "/api/v1/products/\(world.product)", body: #"{"stock":5}"#), .unprocessableContent, "validation_failed")
            expectError(try await client.send(.post, "/api/v1/orders/\(goods)/after-sales", body: #"{"type":"refund","amount":100,"reason":"x","photos":["med_nope"]}"#),
                        .unprocessableContent, "validation_failed")
            // Anyone may read a product; only admins see a variant's own commission rule.
            _ = try await client.send(.patch, "/api/v1/products/\(world.product)/skus/TS-W-L", body: #"{"commission":{"type":"percent","levels":[1000]}}"#)
            let publicView = try await client.send(.get, "/api/v1/products/\(world.product)", headers: [:]).json["skus"] as? [[String: Any]]
            #expect(publicView?.allSatisfy { $0["commission"] is NSNull } == true)
            let adminView = try await client.send(.get, "/api/v1/products/\(world.product)").json["skus"] as? [[String: Any]]
            #expect(adminView?.contains { $0["commission"] is [String: Any] } == true)
            let patched = try await client.send(.patch, "/api/v1/products/\(world.product)/skus/TS-B-M", body: #"{"stock":7,"price":11900}"#)
            #expect(patched.json["stock"] as? Int == 7 && patched.json["price"] as? Int == 11900, "\(patched.text)")
        }
    }

    /// The warehouse's CSV round trip: export the orders to ship, fill in tracking numbers, import
    /// them (bad rows reported), import the same file again (nothing changes).
    @Test(arguments: TestDatabase.available)
    func trackingNumbersImportOnce(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, tuike async throws in
            let world = try await GoodsWorld.make(client)
            let first = try await world.paidOrder(client, buyer: "b1"), second = try await world.paidOrder(client, buyer: "b2")
            let export = try await client.send(.get, "/api/v1/fulfilment/export.csv")
            #expect(export.text.contains(first) && export.text.contains(second) && export.text.contains("文三路 1 号"))
            let file = "order_id,carrier,tracking_number\r\n\(first),顺丰,SF100\r\n\(second),顺丰,bad number\r\nord_missing,顺丰,SF300\r\n"
            let headers: HTTPFields = [.authorization: "Bearer \(adminToken)", .contentType: "text/csv"]
            let result = try await client.send(.post, "/api/v1/fulfilment/tracking", headers: headers, body: file).json
            #expect(result["applied"] as? Int == 1 && result["repeated"] as? Int == 0)
            #expect((result["errors"] as? [[String: Any]])?.map { $0["row"] as? Int } == [3, 4])
            let again = try await client.send(.post, "/api/v1/fulfilment/tracking", headers: headers, body: file).json
            #expect(again["applied"] as? Int == 0 && again["repeated"] as? Int == 1)
            #expect(try await OrdersAPITests.count("shipments", in: tuike.database) == 1)
            let queue = try await client.send(.get, "/api/v1/fulfilment?status=unfulfilled").json["data"] as? [[String: Any]]
            #expect(queue?.map { $0["id"] as? String } == [second])
        }
    }

    /// A group buy of goods: each member names a variant and an address; nothing ships before the
    /// group succeeds, and success does not make the goods' commissions eligible (receipt does).
    @Test(arguments: TestDatabase.available)
    func aGroupOfGoodsShipsOnlyOnceItSucceeds(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let world = try await GoodsWorld.make(client)
            let campaign = try await client.send(.post, "/api/v1/group-campaigns", body: """
                {"product_id":"\(world.product)","group_price":7900,"group_size":2,"duration_seconds":3600}
                """)
            let campaignID = try #require(campaign.json["id"] as? String, "\(campaign.text)")
            expectError(try await client.send(.post, "/api/v1/groups", body: #"{"campaign_id":"\#(campaignID)","buyer_id":"g1","sku":"TS-W-L"}"#),
                        .unprocessableContent, "validation_failed")
            let opened = try await client.send(.post, "/api/v1/groups", body: """
                {"campaign_id":"\(campaignID)","buyer_id":"g1","visitor_id":"\(world.visitor)","sku":"TS-W-L","shipping_address":\(GoodsWorld.address)}
                """)
            let group = try #require((opened.json["group"] as? [String: Any])?["id"] as? String, "\(opened.text)")
            let leader = try #require((opened.json["order"] as? [String: Any])?["id"] as? String)
            _ = try await client.send(.post, "/api/v1/orders/\(leader)/paid", body: #"{"payment_id":"g-pay-1"}"#)
            expectError(try await client.send(.post, "/api/v1/orders/\(leader)/shipments", body: #"{"carrier":"顺丰","tracking_number":"SFG001"}"#),
                        .conflict, "group_not_succeeded")
            let joined = try await client.send(.post, "/api/v1/groups/\(group)/join", body: """
                {"buyer_id":"g2","sku":"TS-B-M","shipping_address":\(GoodsWorld.address)}
                """)
            let member = try #require((joined.json["order"] as? [String: Any])?["id"] as? String, "\(joined.text)")
            _ = try await client.send(.post, "/api/v1/orders/\(member)/paid", body: #"{"payment_id":"g-pay-2"}"#)
            #expect(try await client.send(.get, "/api/v1/groups/\(group)").json["status"] as? String == "succeeded")
            #expect(try await GoodsWorld.stock(client, product: world.product, sku: "TS-B-M") == 4)
            let shipped = try await client.send(.post, "/api/v1/orders/\(leader)/shipments", body: #"{"carrier":"顺丰","tracking_number":"SFG001"}"#)
            #expect(shipped.status == .created, "\(shipped.text)")
            try await client.advance(seconds: 8 * 86_400)
            try await GoodsWorld.settle(client)
            #expect(try await GoodsWorld.commissions(client, order: leader).allSatisfy { $0["status"] as? String == "pending" })
        }
    }
}
