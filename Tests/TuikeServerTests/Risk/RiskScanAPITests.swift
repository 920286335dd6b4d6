import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TuikeCore
@testable import TuikeServer
import TuikeTestSupport

/// The signals found outside a payment's own facts: the hourly scan (click floods, a new
/// promoter's burst, refunds), a shared payout account at withdrawal, and a group stacked from
/// one address.
@Suite struct RiskScanAPITests {
    static func cases(_ client: any TestClientProtocol, code: String) async throws -> [[String: Any]] {
        let all = try #require(try await client.send(.get, "/api/v1/risk/cases").json["data"] as? [[String: Any]])
        return all.filter { ($0["signals"] as? [[String: Any]])?.contains { $0["code"] as? String == code } == true }
    }

    @Test(arguments: TestDatabase.available)
    func theScanFindsFloodsBurstsAndRefunds(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, app async throws in
            // Cases are one per promoter, signal and UTC day, and the scans below are two hours
            // apart: start at 02:00 UTC so that they fall on one day whenever the test runs.
            let start = app.clock.now().milliseconds
            _ = try await client.advance(seconds: ((86_400_000 - start % 86_400_000) + 7_200_000) / 1000)
            let world = try await OrdersAPITests.world(client)
            let code = try #require(try await client.createLink(promoter: world.b, product: world.product).json["code"] as? String)
            // 30 clicks on one link from one address: a flood at 10 a minute (shadow: recorded),
            // however a loaded machine spreads the requests over the minutes.
            #expect(try await client.send(.put, "/api/v1/risk/rules/click_flood", body: #"{"threshold":10}"#).status == .ok)
            for n in 0..<30 {
                _ = try await client.send(.post, "/api/v1/track/click", body: #"{"code":"\#(code)","visitor_id":"flood-visitor-\#(n)","ip":"198.51.100.77"}"#)
            }
            // A promoter made an hour ago with three paid orders, under a held burst rule at 3.
            #expect(try await client.send(.put, "/api/v1/risk/rules/new_promoter_burst", body: #"{"mode":"hold","threshold":3}"#).status == .ok)
            let fresh = try await client.createPromoter("新人")["id"] as! String
            let freshCode = try #require(try await client.createLink(promoter: fresh, product: world.product).json["code"] as? String)
            var freshOrders: [String] = []
            for n in 0..<3 {
                let visitor = "burst-visitor-\(n)000000"
                _ = try await client.send(.post, "/api/v1/track/click", body: #"{"code":"\#(freshCode)","visitor_id":"\#(visitor)"}"#)
                freshOrders.append(try await client.paidOrder((world.product, world.a, fresh, visitor), buyer: "burst-\(n)", payment: "burst-\(n)"))
            }
            try await client.advance(seconds: 3_601)

            let flood = try await Self.cases(client, code: "click_flood")
            #expect(flood.count == 1 && flood.first?["promoter_id"] as? String == world.b && flood.first?["status"] as? String == "recorded", "\(flood)")
            let burst = try await Self.cases(client, code: "new_promoter_burst")
            #expect(burst.count == 1 && burst.first?["promoter_id"] as? String == fresh && burst.first?["status"] as? String == "open", "\(burst)")
            for order in freshOrders {
                let held = try #require(try await client.send(.get, "/api/v1/commissions?order_id=\(order)").json["data"] as? [[String: Any]])
                #expect(held.filter { $0["promoter_id"] as? String == fresh }.allSatisfy { $0["status"] as? String == "held" }, "\(held)")
                // The upline's commission on those orders is the upline's, not the burst's.
                #expect(held.filter { $0["promoter_id"] as? String == world.a }.allSatisfy { $0["status"] as? String == "pending" }, "\(held)")
            }
            // Running the scan again opens nothing new.
            try await client.advance(seconds: 3_601)
            #expect(try await Self.cases(client, code: "new_promoter_burst").count == 1)
            #expect(try await Self.cases(client, code: "click_flood").count == 1)
            try await client.expectBalanced()
        }
    }

    /// Five paid orders of B, three refunded: once the day is rolled up, the scan records refund abuse.
    @Test(arguments: TestDatabase.available)
    func refundsOverTheThresholdAreRecorded(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let world = try await OrdersAPITests.world(client)
            for n in 0..<5 {
                let order = try await client.paidOrder(world, buyer: "refund-\(n)", payment: "refund-\(n)")
                if n < 3 { _ = try await client.send(.post, "/api/v1/orders/\(order)/refunds", body: #"{"amount":50000,"reason":"不想学了"}"#) }
            }
            try await client.advance(seconds: 2 * 86_400)
            let abuse = try await Self.cases(client, code: "refund_abuse")
            #expect(abuse.count == 1 && abuse.first?["promoter_id"] as? String == world.b, "\(abuse)")
        }
    }

    /// A sighting older than the longest self-purchase window (720 h) is forgotten by the scan.
    @Test(arguments: TestDatabase.available)
    func oldSightingsAreForgotten(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, tuike async throws in
            let world = try await OrdersAPITests.world(client)
            _ = try await RiskAPITests.seenAtHome(client, world.b)
            #expect(try await OrdersAPITests.count("promoter_sightings", in: tuike.database) >= 1)
            try await client.advance(seconds: 29 * 86_400)
            #expect(try await OrdersAPITests.count("promoter_sightings", in: tuike.database) >= 1)
            try await client.advance(seconds: 2 * 86_400)
            #expect(try await OrdersAPITests.count("promoter_sightings", in: tuike.database) == 0)
        }
    }

    /// Two promoters naming one payout account: the second request records the shared account for both.
    @Test(arguments: TestDatabase.available)
    func aSharedPayoutAccountIsRecorded(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let world = try await OrdersAPITests.world(client)
            // Four orders: B earns 400.00 and A 100.00, enough for a withdrawal each.
            for n in 0..<4 { _ = try await client.paidOrder(world, buyer: "payout-\(n)", payment: "payout-\(n)") }
            let now = try await client.advance(seconds: 8 * 86_400)
            _ = try await client.send(.post, "/api/v1/settlements", body: #"{"period_end":"\#(now)"}"#)
            for promoter in [world.b, world.a] {
                let requested = try await client.send(.post, "/api/v1/withdrawals",
                                                      body: #"{"promoter_id":"\#(promoter)","amount":10000,"channel":"alipay","account":"shared@example.com"}"#)
                #expect(requested.status == .created, "\(requested.text)")
            }
            let shared = try await Self.cases(client, code: "shared_payout_account")
            // Both promoters naming it are in question, each once.
            #expect(Set(shared.compactMap { $0["promoter_id"] as? String }) == [world.a, world.b] && shared.count == 2, "\(shared)")
        }
    }
}
