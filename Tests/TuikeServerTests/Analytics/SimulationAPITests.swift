import Foundation
import Hummingbird
import HummingbirdTesting
import SQLKit
import Testing
import TuikeCore
@testable import TuikeServer
@testable import TuikeStore
import TuikeTestSupport

/// The plan simulator against what payments booked.
@Suite struct SimulationAPITests {
    /// A day before and after now, as RFC 3339: a window around everything a test made.
    static var window: (from: String, to: String) {
        let now = Instant(Date())
        return (now.adding(seconds: -86_400).rfc3339, now.adding(seconds: 86_400).rfc3339)
    }

    /// A random history: five promoters in a tree, four products under the program default, a
    /// product rule with a ladder, a fixed rule and a campaign; orders of one to three lines
    /// through random promoters' links; promoters suspended and reactivated, the program's levels
    /// changed, ranks with a bonus recomputed, partial and full refunds. Returns the paid orders.
    static func history(_ client: any TestClientProtocol, seed: UInt64, ranks: Bool = true, campaigns: Bool = true,
                        changes: Bool = true) async throws -> (paid: Int, products: [String]) {
        var random = SplitMix(seed: seed)
        func product(_ title: String, _ price: Int) async throws -> String {
            try #require(try await client.send(.post, "/api/v1/products", body: #"{"title":"\#(title)","price":\#(price)}"#).json["id"] as? String)
        }
        let products = [try await product("数学", 9_900), try await product("英语", 19_990), try await product("政治", 29_900), try await product("专业课", 4_999)]
        #expect(try await client.send(.put, "/api/v1/products/\(products[1])/commission", body: """
            {"type":"percent","levels":[1000,300],"tiers":[{"from":1,"rate":1000},{"from":3,"rate":1800}]}
            """).status == .ok)
        #expect(try await client.send(.put, "/api/v1/products/\(products[2])/commission", body: #"{"type":"fixed","levels":[1500,500,200]}"#).status == .ok)
        if campaigns {
            let now = Instant(Date())
            #expect(try await client.send(.post, "/api/v1/campaign-rules", body: """
                {"product_id":"\(products[3])","starts_at":"\(now.adding(seconds: -60).rfc3339)","ends_at":"\(now.adding(seconds: 3_600).rfc3339)",
                 "rule":{"type":"percent","levels":[3000,1000]}}
                """).status == .created)
        }
        if ranks {
            #expect(try await client.send(.post, "/api/v1/ranks", body: #"{"name":"银牌","metric":"paid_orders","threshold":2,"bonus_bps":300}"#).status == .created)
        }
        let a = try await client.createPromoter("A")["id"] as! String
        let b = try await client.createPromoter("B", parent: a)["id"] as! String
        let c = try await client.createPromoter("C", parent: b)["id"] as! String
        let d = try await client.createPromoter("D", parent: a)["id"] as! String
        let e = try await client.createPromoter("E")["id"] as! String
        let promoters = [a, b, c, d, e]
        var links: [String: String] = [:]
        for promoter in promoters {
            for product in products { links[promoter + product] = try #require(try await client.createLink(promoter: promoter, product: product).json["code"] as? String) }
        }
        var paid: [String] = []
        var suspended: Set<String> = []
        for step in 0..<36 {
            let promoter = promoters[random.next(promoters.count)], visitor = "sim-visitor-\(seed)-\(step)"
            let first = products[random.next(products.count)]
            _ = try await client.send(.post, "/api/v1/track/click", body: #"{"code":"\#(links[promoter + first]!)","visitor_id":"\#(visitor)"}"#)
            let lines = Set([first] + (0..<random.next(3)).map { _ in products[random.next(products.count)] })
            let items = lines.sorted().map { #"{"product_id":"\#($0)","quantity":\#(1 + random.next(3))}"# }.joined(separator: ",")
            let created = try await client.send(.post, "/api/v1/orders", body: #"{"buyer_id":"sim-buyer-\#(step)","items":[\#(items)],"visitor_id":"\#(visitor)"}"#)
            let order = try #require(created.json["id"] as? String, "\(created.text)")
            if random.next(6) != 0 {
                #expect(try await client.send(.post, "/api/v1/orders/\(order)/paid", body: #"{"payment_id":"sim-\#(seed)-\#(step)"}"#).status == .ok)
                paid.append(order)
            }
            guard changes else { continue }
            switch random.next(8) {
            case 0:
                let who = [b, c, d][random.next(3)]
                let action = suspended.contains(who) ? "reactivate" : "suspend"
                #expect(try await client.send(.post, "/api/v1/promoters/\(who)/\(action)", body: "{}").status == .ok)
                if action == "suspend" { suspended.insert(who) } else { suspended.remove(who) }
            case 1:
                let levels = [[2000, 500], [1500, 500, 300], [1200]][random.next(3)].map(String.init).joined(separator: ",")
                #expect(try await client.send(.put, "/api/v1/program", body: #"{"levels":[\#(levels)]}"#).status == .ok)
            case 2 where ranks:
                #expect(try await client.send(.post, "/api/v1/ranks/recompute").status == .ok)
            case 3 where !paid.isEmpty:
                let refunded = paid[random.next(paid.count)]
                _ = try await client.send(.post, "/api/v1/orders/\(refunded)/refunds", body: #"{"amount":\#(1 + random.next(9_000)),"refund_id":"sim-rf-\#(step)"}"#)
            default: break
            }
        }
        return (paid.count, products)
    }

    /// Over random histories, the live plan replayed books what the payments booked: every
    /// commission of every order, fen for fen, by the stored inputs; and the API's totals agree.
    @Test(arguments: TestDatabase.available)
    func theLivePlanReplaysToTheFen(database kind: TestDatabase) async throws {
        for seed: UInt64 in [5, 23] {
            try await withTestApp(kind) { client, app async throws in
                let (paid, _) = try await Self.history(client, seed: seed)
                let window = Self.window
                let from = try #require(Instant(rfc3339: window.from)), to = try #require(Instant(rfc3339: window.to))
                // Line by line, from the simulator's own pages.
                var replayed = 0, after: String?
                while true {
                    let cursor = after
                    let page = try await app.database.read { db in try await SimulationQuery.page(from: from, to: to, after: cursor, dialect: app.database.dialect, in: db) }
                    guard let last = page.payments.last else { break }
                    after = last.rowID
                    for payment in page.payments {
                        let order = try #require(page.orders[payment.orderID])
                        let inputs = try #require(payment.inputs.flatMap(CommissionInputs.init(text:)))
                        let replay = PlanSimulation.replay(order, inputs: inputs, monthOrderNumber: inputs.monthOrderNumber ?? 1) { $0.rule }
                        let key = { (c: PlanSimulation.Booked) in "\(c.itemID)|\(c.promoterID)|\(c.level)|\(c.amount)" }
                        #expect(replay.map(key).sorted() == (page.booked[order.id] ?? []).map(key).sorted(), "seed \(seed) order \(order.id)")
                        replayed += 1
                    }
                }
                #expect(replayed == paid)
                // The history reached what the inputs are for: a rank bonus, a ladder's count, a
                // promoter left out while suspended, and refunds.
                let inputs = try await app.database.read { db in
                    try await db.rows("SELECT commission_inputs FROM payments").map { try $0.decode(column: "commission_inputs", as: String.self) }
                }
                #expect(inputs.contains { $0.contains("=300") } && inputs.contains { !$0.hasPrefix("n=;") }, "\(inputs)")
                #expect(try await OrdersAPITests.count("refunds", in: app.database) > 0)

                let result = try await client.send(.post, "/api/v1/simulations", body: #"{"from":"\#(window.from)","to":"\#(window.to)"}"#)
                #expect(result.status == .ok, "\(result.text)")
                let booked = try await app.database.read { db in
                    try await db.first("SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS n FROM commissions WHERE kind = 'order'")!.decode(column: "n", as: Int64.self)
                }
                #expect(booked > 0)
                #expect(result.json["orders"] as? Int == paid && result.json["approximate_orders"] as? Int == 0)
                #expect(result.json["current_cost"] as? Int64 == booked && result.json["simulated_cost"] as? Int64 == booked, "\(result.text)")
                #expect(result.json["current_net"] as? Int64 == result.json["simulated_net"] as? Int64)
                #expect(try #require(result.json["current_net"] as? Int64) < booked)
                #expect(result.json["promoters_changed"] as? Int == 0 && result.json["compliant"] as? Bool == true)
                let promoters = try #require(result.json["promoters"] as? [[String: Any]])
                #expect(!promoters.isEmpty && promoters.allSatisfy { $0["change"] as? Int == 0 && $0["current"] as? Int == $0["simulated"] as? Int })
            }
        }
    }

    /// Every rate of the plan doubled (program levels, product rules, their ladders) costs twice,
    /// up to a fen per commission; a promoter token cannot run it; nothing is booked.
    @Test(arguments: TestDatabase.available)
    func doubledRatesCostTwice(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, app async throws in
            let (_, products) = try await Self.history(client, seed: 9, ranks: false, campaigns: false, changes: false)
            let window = Self.window
            let lines = try await app.database.read { db in
                try await db.first("SELECT COUNT(*) AS n FROM commissions WHERE kind = 'order'")!.decode(column: "n", as: Int64.self)
            }
            let before = try await client.send(.get, "/api/v1/ledger/trial-balance").text
            let result = try await client.send(.post, "/api/v1/simulations", body: """
                {"from":"\(window.from)","to":"\(window.to)","program":{"levels":[4000,1000],"rule_type":"percent"},
                 "product_rules":{"\(products[1])":{"type":"percent","levels":[2000,600],"tiers":[{"from":1,"rate":2000},{"from":3,"rate":3600}]},
                                  "\(products[2])":{"type":"fixed","levels":[3000,1000,400]}}}
                """)
            #expect(result.status == .ok, "\(result.text)")
            let current = try #require(result.json["current_cost"] as? Int64), simulated = try #require(result.json["simulated_cost"] as? Int64)
            #expect(current > 0 && abs(simulated - 2 * current) <= lines, "current \(current) simulated \(simulated) lines \(lines)")
            // Within the default max_total_bps (5000): compliant; 4000 + 1000 is exactly the limit.
            #expect(result.json["compliant"] as? Bool == true, "\(result.text)")
            for promoter in try #require(result.json["promoters"] as? [[String: Any]]) {
                let (c, s) = (promoter["current"] as! Int64, promoter["simulated"] as! Int64)
                #expect(abs(s - 2 * c) <= lines && promoter["change"] as? Int64 == s - c)
            }
            #expect(try await client.send(.get, "/api/v1/ledger/trial-balance").text == before)

            // Over the limit: answered, with the verdict.
            let greedy = try await client.send(.post, "/api/v1/simulations", body: """
                {"from":"\(window.from)","to":"\(window.to)","program":{"levels":[3000,2000,1000,500],"rule_type":"percent"}}
                """)
            #expect(greedy.status == .ok && greedy.json["compliant"] as? Bool == false, "\(greedy.text)")
            #expect((greedy.json["violations"] as? [String])?.count == 1)
            // The ranks that exist count in the verdict: 4500 bps plus a 600 bps bonus passes 5000.
            #expect(try await client.send(.post, "/api/v1/ranks", body: #"{"name":"金牌","metric":"paid_orders","threshold":100,"bonus_bps":500}"#).status == .created)
            let ranked = try await client.send(.post, "/api/v1/simulations", body: """
                {"from":"\(window.from)","to":"\(window.to)","program":{"levels":[4600],"rule_type":"percent"}}
                """)
            #expect(ranked.json["compliant"] as? Bool == false, "\(ranked.text)")
            // A product rule taken away falls to the draft program.
            let removed = try await client.send(.post, "/api/v1/simulations", body: """
                {"from":"\(window.from)","to":"\(window.to)","product_rules":{"\(products[2])":null},"limit":1}
                """)
            #expect(removed.status == .ok && (removed.json["promoters"] as? [Any])?.count == 1, "\(removed.text)")
        }
    }

    /// Campaigns in a draft. A campaign that ran, given its own rule, replays to the fen; given a
    /// richer one, costs more and is judged. A draft campaign over the whole period for a product
    /// costs what the same rule as that product's draft rule costs; one that runs after the
    /// period changes nothing; bad campaigns are refused with reasons.
    @Test(arguments: TestDatabase.available)
    func draftCampaignsAndCampaignRules(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let (_, products) = try await Self.history(client, seed: 12, ranks: false, campaigns: true, changes: false)
            let window = Self.window
            let span = #""from":"\#(window.from)","to":"\#(window.to)""#
            let live = try #require((try await client.send(.get, "/api/v1/campaign-rules").json["data"] as? [[String: Any]])?.first?["id"] as? String)
            func simulate(_ draft: String) async throws -> [String: Any] {
                let response = try await client.send(.post, "/api/v1/simulations", body: "{\(span),\(draft)}")
                #expect(response.status == .ok, "\(response.text)")
                return response.json
            }
            func cost(_ json: [String: Any]) -> (Int64, Int64) { (json["current_cost"] as? Int64 ?? -1, json["simulated_cost"] as? Int64 ?? -2) }

            let same = try await simulate(#""campaign_rules":{"\#(live)":{"type":"percent","levels":[3000,1000]}}"#)
            #expect(cost(same).0 > 0 && cost(same).0 == cost(same).1 && same["compliant"] as? Bool == true, "\(same)")
            let richer = try await simulate(#""campaign_rules":{"\#(live)":{"type":"percent","levels":[6000,2000]}}"#)
            #expect(cost(richer).1 > cost(richer).0 && richer["compliant"] as? Bool == false, "\(richer)")
            #expect((richer["violations"] as? [String])?.first?.hasPrefix("campaign \(live)") == true, "\(richer)")

            let doubled = #"{"type":"fixed","levels":[3000,1000,400]}"#
            let asCampaign = try await simulate(#""campaigns":[{"product_id":"\#(products[2])","starts_at":"\#(window.from)","ends_at":"\#(window.to)","rule":\#(doubled)}]"#)
            let asProductRule = try await simulate(#""product_rules":{"\#(products[2])":\#(doubled)}"#)
            #expect(cost(asCampaign).1 > cost(asCampaign).0 && cost(asCampaign) == cost(asProductRule), "\(asCampaign) \(asProductRule)")
            let afterwards = Instant(Date()).adding(seconds: 2 * 86_400)
            let late = try await simulate(#""campaigns":[{"starts_at":"\#(afterwards.rfc3339)","ends_at":"\#(afterwards.adding(seconds: 60).rfc3339)","rule":\#(doubled)}]"#)
            #expect(cost(late).0 == cost(late).1)
            // One for every product, over the period: every line takes it, campaign lines too.
            let everything = try await simulate(#""campaigns":[{"starts_at":"\#(window.from)","ends_at":"\#(window.to)","rule":{"type":"percent","levels":[0]}}]"#)
            #expect(cost(everything).0 > 0 && cost(everything).1 == 0, "\(everything)")

            for (draft, code) in [
                (#""campaign_rules":{"cmp_nope":{"type":"percent","levels":[100]}}"#, "validation_failed"),
                (#""campaigns":[{"starts_at":"\#(window.to)","ends_at":"\#(window.from)","rule":\#(doubled)}]"#, "validation_failed"),
                (#""campaigns":[{"product_id":"prd_nope","starts_at":"\#(window.from)","ends_at":"\#(window.to)","rule":\#(doubled)}]"#, "validation_failed"),
                (#""campaigns":[{"starts_at":"soon","ends_at":"\#(window.to)","rule":\#(doubled)}]"#, "validation_failed"),
                (#""campaigns":[{"starts_at":"\#(window.from)","ends_at":"\#(window.to)","rule":{"type":"percent","levels":[-1]}}]"#, "validation_failed"),
            ] {
                expectError(try await client.send(.post, "/api/v1/simulations", body: "{\(span),\(draft)}"), .unprocessableContent, code)
            }
            expectError(try await client.send(.post, "/api/v1/simulations", body: #"{\#(span),"campaigns":{"a":1}}"#), .badRequest, "invalid_request")
            expectError(try await client.send(.post, "/api/v1/simulations", body: #"{\#(span),"campaign_rules":{"x":null}}"#), .badRequest, "invalid_request")
        }
    }

    @Test(arguments: TestDatabase.available)
    func badDraftsAreRefusedWithReasons(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let window = Self.window
            let span = #""from":"\#(window.from)","to":"\#(window.to)""#
            expectError(try await client.send(.post, "/api/v1/simulations", body: "{"), .badRequest, "malformed_json")
            expectError(try await client.send(.post, "/api/v1/simulations", body: #"{"from":1,"to":2}"#), .badRequest, "invalid_request")
            expectError(try await client.send(.post, "/api/v1/simulations", body: #"{\#(span),"plan":{}}"#), .unprocessableContent, "validation_failed")
            expectError(try await client.send(.post, "/api/v1/simulations", body: #"{"from":"\#(window.to)","to":"\#(window.from)"}"#),
                        .unprocessableContent, "validation_failed")
            expectError(try await client.send(.post, "/api/v1/simulations", body: #"{"from":"2020-01-01","to":"2026-01-01"}"#),
                        .unprocessableContent, "validation_failed")
            expectError(try await client.send(.post, "/api/v1/simulations", body: #"{"from":"yesterday","to":"2026-01-01"}"#),
                        .unprocessableContent, "validation_failed")
            expectError(try await client.send(.post, "/api/v1/simulations", body: #"{\#(span),"product_rules":{"prd_nope":{"type":"percent","levels":[100]}}}"#),
                        .unprocessableContent, "validation_failed")
            expectError(try await client.send(.post, "/api/v1/simulations", body: #"{\#(span),"program":{"levels":[-5],"rule_type":"percent"}}"#),
                        .unprocessableContent, "validation_failed")
            expectError(try await client.send(.post, "/api/v1/simulations", body: #"{\#(span),"program":{"levels":[99999999999999999999],"rule_type":"percent"}}"#),
                        .badRequest, "invalid_request")
            expectError(try await client.send(.post, "/api/v1/simulations", body: #"{\#(span),"limit":0}"#), .unprocessableContent, "validation_failed")
            expectError(try await client.send(.post, "/api/v1/simulations", body: #"{\#(span),"limit":1001}"#), .unprocessableContent, "validation_failed")
            let empty = try await client.send(.post, "/api/v1/simulations", body: "{\(span)}")
            #expect(empty.status == .ok && empty.json["orders"] as? Int == 0 && empty.json["current_cost"] as? Int == 0, "\(empty.text)")
            let promoter = try await client.createPromoter("P")["id"] as! String
            expectError(try await client.send(.post, "/api/v1/simulations", headers: try await client.promoterToken(promoter), body: "{\(span)}"),
                        .forbidden, "forbidden")
        }
    }
}
