import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TuikeCore
@testable import TuikeServer
import TuikeTestSupport

@Suite struct RiskAPITests {
    static let home = "203.0.113.9"

    /// B's order from B's own address, in a world of A (upline) and B: its commissions.
    static func order(_ client: any TestClientProtocol, _ world: (product: String, a: String, b: String, visitor: String), n: Int,
                      ip: String = home) async throws -> (order: String, commissions: [[String: Any]]) {
        let created = try await client.send(.post, "/api/v1/orders", body: """
            {"buyer_id":"buyer-\(n)","items":[{"product_id":"\(world.product)","quantity":1}],"visitor_id":"\(world.visitor)","ip":"\(ip)"}
            """)
        let order = try #require(created.json["id"] as? String, "\(created.text)")
        #expect(try await client.send(.post, "/api/v1/orders/\(order)/paid", body: #"{"payment_id":"risk-\#(n)"}"#).status == .ok)
        let commissions = try #require(try await client.send(.get, "/api/v1/commissions?order_id=\(order)").json["data"] as? [[String: Any]])
        return (order, commissions)
    }

    /// The promoter's token as its app uses it from home, after one call with it: the promoter
    /// is seen at `home`.
    static func seenAtHome(_ client: any TestClientProtocol, _ promoter: String) async throws -> HTTPFields {
        var token = try await client.promoterToken(promoter)
        token[.xForwardedFor] = home
        try await seenAgain(client, promoter, token: token)
        return token
    }

    static func seenAgain(_ client: any TestClientProtocol, _ promoter: String, token: HTTPFields) async throws {
        #expect(try await client.send(.get, "/api/v1/promoters/\(promoter)/balance", headers: token).status == .ok)
    }

    static func settle(_ client: any TestClientProtocol) async throws {
        let now = try await client.advance(seconds: 8 * 86_400)
        let batch = try await client.send(.post, "/api/v1/settlements", body: #"{"period_end":"\#(now)"}"#)
        #expect(batch.status == .created || batch.status == .ok, "\(batch.text)")
    }

    /// The held path: B uses the API from home, then an order from home through B's link is held
    /// with `self_purchase_ip`; a settlement leaves it; release → settled in the next batch. A
    /// second one is rejected → reversed, the ledger balanced. In shadow mode a third is only
    /// recorded, and a trusted B is left out of the rule.
    @Test(arguments: TestDatabase.available)
    func aSelfPurchaseIsHeldReleasedOrRejected(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let world = try await OrdersAPITests.world(client)
            let token = try await Self.seenAtHome(client, world.b)

            // An order from elsewhere is not held.
            let elsewhere = try await Self.order(client, world, n: 0, ip: "198.51.100.20")
            #expect(elsewhere.commissions.allSatisfy { $0["status"] as? String == "pending" })

            let first = try await Self.order(client, world, n: 1)
            #expect(first.commissions.count == 2 && first.commissions.allSatisfy { $0["status"] as? String == "held" }, "\(first.commissions)")
            let open = try #require(try await client.send(.get, "/api/v1/risk/cases?status=open").json["data"] as? [[String: Any]])
            #expect(open.count == 1)
            let caseID = try #require(open.first?["id"] as? String)
            #expect(open.first?["promoter_id"] as? String == world.b && open.first?["order_id"] as? String == first.order)
            #expect((open.first?["signals"] as? [[String: Any]])?.map { $0["code"] as? String } == ["self_purchase_ip"])
            #expect(try await client.balance(world.b)["pending"] == 10_000 + 10_000)

            try await Self.settle(client)
            #expect(try await client.send(.get, "/api/v1/commissions?order_id=\(first.order)").json["data"].map { ($0 as? [[String: Any]])?.map { $0["status"] as? String } } == ["held", "held"])
            #expect(try await client.balance(world.b)["available"] == 10_000)
            let released = try await client.send(.post, "/api/v1/risk/cases/\(caseID)/release", body: #"{"reason":"在家给亲戚买的，已核实"}"#)
            #expect(released.json["status"] as? String == "released", "\(released.text)")
            #expect(try await client.send(.post, "/api/v1/risk/cases/\(caseID)/release", body: #"{"reason":"again"}"#).status == .ok)
            expectError(try await client.send(.post, "/api/v1/risk/cases/\(caseID)/reject", body: #"{"reason":"no"}"#), .conflict, "risk_case_closed")
            try await Self.settle(client)
            #expect(try await client.balance(world.b)["available"] == 20_000)

            // Rejected: reversed in the ledger. (B is seen at home again: the window is a day.)
            try await Self.seenAgain(client, world.b, token: token)
            let second = try await Self.order(client, world, n: 2)
            let secondCase = try #require((try await client.send(.get, "/api/v1/risk/cases?status=open").json["data"] as? [[String: Any]])?.first?["id"] as? String)
            expectError(try await client.send(.post, "/api/v1/risk/cases/\(secondCase)/reject", body: #"{"reason":"  "}"#), .unprocessableContent, "validation_failed")
            #expect(try await client.send(.post, "/api/v1/risk/cases/\(secondCase)/reject", body: #"{"reason":"刷单"}"#).json["status"] as? String == "rejected")
            let rejected = try #require(try await client.send(.get, "/api/v1/commissions?order_id=\(second.order)").json["data"] as? [[String: Any]])
            #expect(rejected.allSatisfy { $0["status"] as? String == "rejected" }, "\(rejected)")
            #expect(try await client.balance(world.b)["pending"] == 0)
            try await client.expectBalanced()

            // Shadow: recorded only.
            let shadow = try await client.send(.put, "/api/v1/risk/rules/self_purchase_ip", body: #"{"mode":"shadow"}"#)
            #expect(shadow.json["mode"] as? String == "shadow" && shadow.json["version"] as? Int == 1, "\(shadow.text)")
            let third = try await Self.order(client, world, n: 3)
            #expect(third.commissions.allSatisfy { $0["status"] as? String == "pending" })
            let recorded = try #require(try await client.send(.get, "/api/v1/risk/cases?status=recorded").json["data"] as? [[String: Any]])
            #expect(recorded.map { $0["order_id"] as? String } == [third.order])

            // Trusted: left out of the rule, even in hold mode.
            _ = try await client.send(.put, "/api/v1/risk/rules/self_purchase_ip", body: #"{"mode":"hold"}"#)
            #expect(try await client.send(.put, "/api/v1/promoters/\(world.b)/risk-exclusions/self_purchase_ip", body: #"{"reason":"店长本人"}"#).status == .ok)
            let fourth = try await Self.order(client, world, n: 4)
            #expect(fourth.commissions.allSatisfy { $0["status"] as? String == "pending" })
            try await client.expectBalanced()
        }
    }

    /// Rules refuse nonsense and unknown codes; an order's ip must be an address.
    @Test(arguments: TestDatabase.available)
    func rulesAndOriginsRefuseNonsense(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let rules = try #require(try await client.send(.get, "/api/v1/risk/rules").json["data"] as? [[String: Any]])
            #expect(rules.count == RiskCode.allCases.count)
            #expect(rules.first { $0["code"] as? String == "self_purchase_ip" }?["mode"] as? String == "hold")
            expectError(try await client.send(.put, "/api/v1/risk/rules/nope", body: #"{"mode":"hold"}"#), .notFound, "not_found")
            expectError(try await client.send(.put, "/api/v1/risk/rules/click_flood", body: #"{"threshold":1}"#), .unprocessableContent, "validation_failed")
            expectError(try await client.send(.put, "/api/v1/risk/rules/click_flood", body: #"{"mode":"block"}"#), .unprocessableContent, "validation_failed")
            expectError(try await client.send(.put, "/api/v1/risk/rules/click_flood", body: #"{"weight":101}"#), .unprocessableContent, "validation_failed")
            expectError(try await client.send(.put, "/api/v1/risk/rules/click_flood", body: #"{}"#), .unprocessableContent, "validation_failed")
            expectError(try await client.send(.post, "/api/v1/risk/cases/rsk_nope/release", body: #"{"reason":"x"}"#), .notFound, "not_found")
            let world = try await OrdersAPITests.world(client)
            expectError(try await client.send(.post, "/api/v1/orders", body: """
                {"buyer_id":"b","items":[{"product_id":"\(world.product)","quantity":1}],"ip":"not-an-address"}
                """), .unprocessableContent, "validation_failed")
            expectError(try await client.send(.post, "/api/v1/orders", body: """
                {"buyer_id":"b","items":[{"product_id":"\(world.product)","quantity":1}],"device_id":"a b"}
                """), .unprocessableContent, "validation_failed")
            let token = try await client.promoterToken(world.b)
            expectError(try await client.send(.get, "/api/v1/risk/cases", headers: token), .forbidden, "forbidden")
        }
    }
}
