import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TuikeCore
@testable import TuikeServer
import TuikeTestSupport

/// Races on limits the schema enforces: each must hold under 50 simultaneous requests.
@Suite struct RaceTests {
    /// 50 appeals on one commission at once: one is open, the rest are 409 `appeal_open`.
    @Test(arguments: TestDatabase.available)
    func oneOpenAppealPerCommission(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let world = try await OrdersAPITests.world(client)
            let order = try await client.paidOrder(world)
            let commission = try #require((try await client.send(.get, "/api/v1/commissions?order_id=\(order)").json["data"] as? [[String: Any]])?
                .first { $0["promoter_id"] as? String == world.b }?["id"] as? String)
            let results = try await withThrowingTaskGroup(of: (HTTPResponse.Status, String?).self) { group in
                for index in 0..<50 {
                    group.addTask {
                        let response = try await client.send(.post, "/api/v1/appeals", body: #"{"commission_id":"\#(commission)","message":"m\#(index)"}"#)
                        return (response.status, response.errorCode)
                    }
                }
                return try await group.reduce(into: [(HTTPResponse.Status, String?)]()) { $0.append($1) }
            }
            #expect(results.filter { $0.0 == .created }.count == 1)
            #expect(results.filter { $0.0 == .conflict && $0.1 == "appeal_open" }.count == 49)
        }
    }

    /// 30 orders paid around their timeout: 5 before the clock moves past it (paid), 20 while it
    /// moves and the expiry sweep runs, staggered 10 ms apart, and 5 after (409 `order_cancelled`).
    /// Each ends paid with one payment (200) or cancelled with none, never both, and the ledger
    /// balances. Payments read the order ahead and take it with a conditional UPDATE, so the middle
    /// 20 are the race that path must lose cleanly (on SQLite runs gave some of each; on PostgreSQL
    /// the payments have so far all come first), and the first and last 5 make sure both outcomes
    /// occur on both databases.
    @Test(arguments: TestDatabase.available)
    func paymentsRacingTheTimeoutEitherPayOrFindItCancelled(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, tuike async throws in
            let (product, _, _, visitor) = try await OrdersAPITests.world(client)
            var orders: [String] = []
            for index in 0..<30 {
                orders.append(try await client.send(.post, "/api/v1/orders", body: """
                    {"buyer_id":"racer-\(index)","items":[{"product_id":"\(product)","quantity":1}],"visitor_id":"\(visitor)"}
                    """).json["id"] as! String)
            }
            @Sendable func pay(_ order: String) async throws -> (String, HTTPResponse.Status, String?) {
                let response = try await client.send(.post, "/api/v1/orders/\(order)/paid", body: #"{"payment_id":"race-\#(order)"}"#)
                return (order, response.status, response.errorCode)
            }
            var results: [(String, HTTPResponse.Status, String?)] = []
            for order in orders[0..<5] { results.append(try await pay(order)) }
            results += try await withThrowingTaskGroup(of: (String, HTTPResponse.Status, String?)?.self) { group in
                group.addTask {
                    _ = try await client.send(.post, "/api/v1/sandbox/clock/advance", body: #"{"seconds":1900}"#)
                    return nil
                }
                for (index, order) in orders[5..<25].enumerated() {
                    group.addTask {
                        try await Task.sleep(for: .milliseconds(index * 10))
                        return try await pay(order)
                    }
                }
                return try await group.reduce(into: []) { if let result = $1 { $0.append(result) } }
            }
            for order in orders[25...] { results.append(try await pay(order)) }

            #expect(results.count == 30)
            for (order, status, code) in results {
                let view = try await client.send(.get, "/api/v1/orders/\(order)").json
                let payments = (view["payments"] as? [Any])?.count
                if status == .ok {
                    #expect(view["status"] as? String == "paid" && payments == 1)
                } else {
                    #expect(status == .conflict && code == "order_cancelled")
                    #expect(view["status"] as? String == "cancelled" && payments == 0)
                }
            }
            let outcome = Dictionary(uniqueKeysWithValues: results.map { ($0.0, $0.1) })
            #expect(orders[0..<5].allSatisfy { outcome[$0] == .ok })
            #expect(orders[25...].allSatisfy { outcome[$0] == .conflict })
            let trial = try await client.send(.get, "/api/v1/ledger/trial-balance")
            #expect(trial.json["balanced"] as? Bool == true)
        }
    }

    /// 50 leaders open groups at once on a campaign with a stock of 3 groups: 3 open, 47 sold out.
    @Test(arguments: TestDatabase.available)
    func groupStockIsNeverOversold(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let (campaign, _, _) = try await client.groupCampaign(size: 2, extra: #","max_groups":3"#)
            let results = try await withThrowingTaskGroup(of: (HTTPResponse.Status, String?).self) { group in
                for index in 0..<50 {
                    group.addTask {
                        let response = try await client.send(.post, "/api/v1/groups", body: #"{"campaign_id":"\#(campaign)","buyer_id":"leader-\#(index)"}"#)
                        return (response.status, response.errorCode)
                    }
                }
                return try await group.reduce(into: [(HTTPResponse.Status, String?)]()) { $0.append($1) }
            }
            #expect(results.filter { $0.0 == .created }.count == 3)
            #expect(results.filter { $0.0 == .conflict && $0.1 == "campaign_sold_out" }.count == 47)
            #expect(try await client.send(.get, "/api/v1/group-campaigns/\(campaign)", headers: [:]).json["groups_opened"] as? Int == 3)
        }
    }
}

@Suite struct PerUserLimitRaceTests {
    /// One buyer tries 20 forming groups of a campaign at once with `per_user_limit` 2: exactly two
    /// slots are taken (the limit is counted in the statement that checks it), 18 × 409.
    @Test(arguments: TestDatabase.available)
    func aBuyerTakesNoMoreSlotsThanTheLimitAcrossGroups(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let (campaign, _, _) = try await client.groupCampaign(size: 3, extra: #","per_user_limit":2"#)
            var groups: [String] = []
            for index in 0..<20 {
                let (group, order) = try await client.openGroup(campaign, buyer: "leader-\(index)")
                #expect(try await client.pay(order).status == .ok)
                groups.append(group)
            }
            let responses = try await withThrowingTaskGroup(of: TestResponse.self) { group in
                for id in groups { group.addTask { try await client.joinGroup(id, buyer: "eager-buyer") } }
                return try await group.reduce(into: [TestResponse]()) { $0.append($1) }
            }
            #expect(responses.filter { $0.status == .created }.count == 2, "\(responses.map(\.status))")
            #expect(responses.filter { $0.status == .conflict && $0.errorCode == "per_user_limit" }.count == 18)
            var reserved = 0
            for id in groups { reserved += try await client.send(.get, "/api/v1/groups/\(id)").json["reserved"] as? Int ?? 0 }
            #expect(reserved == 2)
        }
    }
}
