import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SQLKit
import Testing
import TuikeCore
@testable import TuikeServer
import TuikeStore
import TuikeTestSupport

@Suite struct RiskModelTests {
    /// Random sequences of orders (some from the promoter's own address, so held), releases,
    /// rejections, partial and full refunds, and settlements. After every step: no commission of
    /// an open case is settled or anything but held (or reversed by a refund); nothing settled
    /// ever belonged to a rejected case; every settled commission's case, if any, was released;
    /// and the ledger is balanced. Replayable from the seed in the failure message.
    @Test(arguments: TestDatabase.available)
    func heldCommissionsNeverSettle(database kind: TestDatabase) async throws {
        for seed: UInt64 in [11, 29, 47] {
            try await withTestApp(kind) { client, tuike async throws in
                try await Self.run(seed: seed, client: client, database: tuike.database)
            }
        }
    }

    static func run(seed: UInt64, client: any TestClientProtocol, database: any Database) async throws {
        var random = SplitMix(seed: seed)
        let world = try await OrdersAPITests.world(client)
        let token = try await RiskAPITests.seenAtHome(client, world.b)
        var paid: [String] = []
        var n = 0
        for step in 0..<36 {
            switch random.next(10) {
            case 0...3:
                // The promoter is seen at home, then an order comes from home (held) or elsewhere.
                try await RiskAPITests.seenAgain(client, world.b, token: token)
                n += 1
                let home = random.next(2) == 0
                paid.append(try await RiskAPITests.order(client, world, n: n, ip: home ? RiskAPITests.home : "198.51.100.\(n % 200 + 1)").order)
            case 4, 5:
                let open = try #require(try await client.send(.get, "/api/v1/risk/cases?status=open").json["data"] as? [[String: Any]])
                if let chosen = open.isEmpty ? nil : open[random.next(open.count)], let id = chosen["id"] as? String {
                    let verb = random.next(2) == 0 ? "release" : "reject"
                    let answer = try await client.send(.post, "/api/v1/risk/cases/\(id)/\(verb)", body: #"{"reason":"model step \#(step)"}"#)
                    #expect(answer.status == .ok, "seed \(seed) step \(step): \(answer.text)")
                }
            case 6, 7:
                if !paid.isEmpty {
                    let order = paid[random.next(paid.count)]
                    let amount = random.next(2) == 0 ? 50_000 : Int64(random.next(20_000) + 1)
                    let refund = try await client.send(.post, "/api/v1/orders/\(order)/refunds", body: #"{"amount":\#(amount),"reason":"model"}"#)
                    // An order refunded in full already refuses more: that is fine here.
                    #expect(refund.status == .created || refund.status == .ok || refund.status == .unprocessableContent || refund.status == .conflict,
                            "seed \(seed) step \(step): \(refund.text)")
                }
            default:
                try await RiskAPITests.settle(client)
            }
            try await Self.check(database, seed: seed, step: step)
            try await client.expectBalanced()
        }
        // The sequence did what it is for: cases were decided both ways and commissions settled.
        let decided = try await OrdersAPITests.count("risk_cases WHERE status IN ('released', 'rejected')", in: database)
        let settled = try await OrdersAPITests.count("commissions WHERE settlement_id IS NOT NULL", in: database)
        #expect(decided > 0 && settled > 0, "seed \(seed): \(decided) cases decided, \(settled) commissions settled")
    }

    static func check(_ database: any Database, seed: UInt64, step: Int) async throws {
        let rows = try await database.read { db in
            try await db.rows("""
                SELECT c.id, c.status, c.settlement_id, r.status AS case_status FROM commissions c
                LEFT JOIN risk_cases r ON r.id = c.risk_case_id
                """).map { row in
                (try row.decode(column: "id", as: String.self), try row.decode(column: "status", as: String.self),
                 try row.decode(column: "settlement_id", as: String?.self), try row.decode(column: "case_status", as: String?.self))
            }
        }
        for (id, status, settlement, caseStatus) in rows {
            if caseStatus == "open" {
                #expect(status == "held" || status == "reversed", "seed \(seed) step \(step): \(id) of an open case is \(status)")
            }
            if caseStatus == "rejected" {
                #expect(status == "rejected" || status == "reversed", "seed \(seed) step \(step): \(id) of a rejected case is \(status)")
            }
            if settlement != nil, let caseStatus {
                #expect(caseStatus == "released", "seed \(seed) step \(step): \(id) settled with its case \(caseStatus)")
            }
            #expect(status != "held" || caseStatus == "open", "seed \(seed) step \(step): \(id) held without an open case")
        }
    }
}
