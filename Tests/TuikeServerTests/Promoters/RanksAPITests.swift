import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TuikeCore
@testable import TuikeServer
import TuikeStore
import TuikeTestSupport

@Suite struct RanksAPITests {
    /// B sells twice, the hourly job gives B 银牌, B's next sale earns the bonus; A, B's upline,
    /// gains no rank from B's sales (no team-volume pay).
    @Test(arguments: TestDatabase.available)
    func ranksComeFromOwnSalesAndAddTheirBonus(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let silver = try await client.send(.post, "/api/v1/ranks", body: #"{"name":"银牌","metric":"paid_orders","threshold":2,"bonus_bps":300}"#)
            #expect(silver.status == .created, "\(silver.text)")
            expectError(try await client.send(.post, "/api/v1/ranks", body: #"{"name":"银牌","metric":"gmv","threshold":1,"bonus_bps":1}"#), .conflict, "rank_exists")
            expectError(try await client.send(.post, "/api/v1/ranks", body: #"{"name":"钻石","metric":"gmv","threshold":1,"bonus_bps":2600}"#),
                        .unprocessableContent, "compliance_violation")
            expectError(try await client.send(.post, "/api/v1/ranks", body: #"{"name":"x","metric":"clicks","threshold":1,"bonus_bps":1}"#),
                        .unprocessableContent, "validation_failed")

            let (product, a, b, visitor) = try await OrdersAPITests.world(client)
            func sell(_ n: Int) async throws -> String {
                let order = try await client.send(.post, "/api/v1/orders",
                                                  body: #"{"buyer_id":"buyer-\#(n)","items":[{"product_id":"\#(product)","quantity":1}],"visitor_id":"\#(visitor)"}"#).json["id"] as! String
                #expect(try await client.send(.post, "/api/v1/orders/\(order)/paid", body: #"{"payment_id":"p-\#(n)"}"#).status == .ok)
                return order
            }
            _ = try await sell(1)
            _ = try await sell(2)
            #expect(try await client.send(.get, "/api/v1/promoters/\(b)").json["rank"] is NSNull)
            _ = try await client.send(.post, "/api/v1/sandbox/clock/advance", body: #"{"seconds":3600}"#)
            let promoted = try await client.send(.get, "/api/v1/promoters/\(b)")
            #expect((promoted.json["rank"] as? [String: Any])?["name"] as? String == "银牌")
            #expect(try await client.send(.get, "/api/v1/promoters/\(a)").json["rank"] is NSNull)

            let third = try await sell(3)
            #expect(try await RefundsAPITests.commission(client, order: third, promoter: b)?["amount"] as? Int == 11_500)
            #expect(try await RefundsAPITests.commission(client, order: third, promoter: a)?["amount"] as? Int == 2_500)

            let rankID = try #require((promoted.json["rank"] as? [String: Any])?["id"] as? String)
            #expect(try await client.send(.delete, "/api/v1/ranks/\(rankID)").status == .noContent)
            #expect(try await client.send(.get, "/api/v1/promoters/\(b)").json["rank"] is NSNull)
            #expect(try await client.send(.post, "/api/v1/ranks/recompute").json["changed"] as? Int == 0)
        }
    }

    /// Ranks, tier ladders and the portal count a promoter's orders by one rule: paid and not
    /// refunded in full (a partial refund still counts), an unpaid one not at all.
    @Test(arguments: TestDatabase.available)
    func onlyOrdersNotRefundedInFullCount(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, tuike async throws in
            let (product, _, b, visitor) = try await OrdersAPITests.world(client)
            var orders: [String] = []
            for n in 1...4 {
                let order = try #require(try await client.send(.post, "/api/v1/orders",
                                                               body: #"{"buyer_id":"buyer-\#(n)","items":[{"product_id":"\#(product)","quantity":1}],"visitor_id":"\#(visitor)"}"#).json["id"] as? String)
                if n < 4 { #expect(try await client.send(.post, "/api/v1/orders/\(order)/paid", body: #"{"payment_id":"p-\#(n)"}"#).status == .ok) }
                orders.append(order)
            }
            #expect(try await client.send(.post, "/api/v1/orders/\(orders[0])/refunds", body: #"{"amount":50000}"#).status == .created)
            #expect(try await client.send(.post, "/api/v1/orders/\(orders[1])/refunds", body: #"{"amount":100}"#).status == .created)
            let now = tuike.clock.now()
            #expect(try await CountedOrders.count(promoterID: b, from: now.adding(seconds: -3_600), through: now, database: tuike.database) == 2)
        }
    }
}
