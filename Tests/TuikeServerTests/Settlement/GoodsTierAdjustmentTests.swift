import Foundation
import Testing
import TuikeCore
@testable import TuikeServer
import TuikeTestSupport

@Suite struct GoodsTierAdjustmentTests {
    /// A retroactive ladder on goods: three shirts reach the 20 % tier; at month close one is still
    /// unshipped, so the adjustment waits with it, and settles once that shirt is received and its
    /// after-sale window has passed.
    @Test(arguments: TestDatabase.available)
    func aTierAdjustmentWaitsForTheGoodsItWasPaidFor(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, tuike async throws in
            let nextMonth = try SettlementPeriod.nextMonth(after: tuike.clock.now(), timeZone: "Asia/Shanghai")
            try await client.advance(seconds: (nextMonth.milliseconds - tuike.clock.now().milliseconds) / 1000 + 3_600)
            let world = try await GoodsWorld.make(client)
            let rule = #"{"type":"percent","levels":[1000],"tiers":[{"from":1,"rate":1000},{"from":3,"rate":2000}],"tier_mode":"retroactive"}"#
            #expect(try await client.send(.put, "/api/v1/products/\(world.product)/commission", body: rule).status == .ok)
            var orders: [String] = []
            for index in 1...3 { orders.append(try await world.paidOrder(client, buyer: "buyer-\(index)")) }
            for (index, order) in orders.prefix(2).enumerated() {
                _ = try await client.send(.post, "/api/v1/orders/\(order)/shipments", body: #"{"carrier":"顺丰","tracking_number":"SFT00\#(index)"}"#)
                #expect(try await client.send(.post, "/api/v1/orders/\(order)/receipt").status == .ok)
            }

            try await client.advance(seconds: 40 * 86_400)
            func adjustment() async throws -> [String: Any] {
                let all = try #require(try await client.send(.get, "/api/v1/commissions?promoter_id=\(world.b)").json["data"] as? [[String: Any]])
                return try #require(all.first { $0["kind"] as? String == "tier_adjustment" }, "\(all)")
            }
            #expect(try await adjustment()["amount"] as? Int == 1_980)
            #expect(try await adjustment()["status"] as? String == "pending")
            #expect(try await client.balance(world.b)["available"] == 1_980)

            _ = try await client.send(.post, "/api/v1/orders/\(orders[2])/shipments", body: #"{"carrier":"顺丰","tracking_number":"SFT009"}"#)
            #expect(try await client.send(.post, "/api/v1/orders/\(orders[2])/receipt").status == .ok)
            try await client.advance(seconds: 8 * 86_400)
            try await GoodsWorld.settle(client)
            #expect(try await adjustment()["status"] as? String == "settled")
            #expect(try await client.balance(world.b)["available"] == 1_980 + 1_980 + 1_980)
            try await client.expectBalanced()
        }
    }
}
