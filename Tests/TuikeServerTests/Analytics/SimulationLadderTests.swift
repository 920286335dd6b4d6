import Foundation
import Hummingbird
import HummingbirdTesting
import SQLKit
import Testing
import TuikeCore
@testable import TuikeServer
@testable import TuikeStore
import TuikeTestSupport

/// The plan simulator on retroactive ladders: the month-end adjustments of the closed months a
/// period spans whole, booked against the draft's.
@Suite struct SimulationLadderTests {
    /// The sandbox clock moved to an hour into next month (program time zone); returns that
    /// month's start and end.
    static func freshMonth(_ client: any TestClientProtocol, _ app: TuikeApp) async throws -> (start: Instant, end: Instant) {
        let start = try SettlementPeriod.nextMonth(after: app.clock.now(), timeZone: "Asia/Shanghai")
        try await client.advance(seconds: (start.milliseconds - app.clock.now().milliseconds) / 1000 + 3_600)
        return (start, try SettlementPeriod.nextMonth(after: start, timeZone: "Asia/Shanghai"))
    }

    static func simulate(_ client: any TestClientProtocol, from: Instant, to: Instant, _ draft: String = "") async throws -> [String: Any] {
        let response = try await client.send(.post, "/api/v1/simulations", body: #"{"from":"\#(from.rfc3339)","to":"\#(to.rfc3339)"\#(draft)}"#)
        #expect(response.status == .ok, "\(response.text)")
        return response.json
    }

    static func sum(_ sql: SQLQueryString, in app: TuikeApp) async throws -> Int64 {
        try await app.database.read { db in try await db.first(sql)!.decode(column: "n", as: Int64.self) }
    }

    /// Over random months (three promoters, retroactive percent and fixed ladders, a rank bonus
    /// recomputed, refunds before and after the close), the live plan replayed books the month's
    /// adjustments fen for fen, by what the close kept; doubled rates cost twice up to a fen a
    /// line; a period that cuts the month leaves its adjustments out on both sides; a month closed
    /// before closes kept their inputs is counted as it stands now, and said so.
    @Test(arguments: TestDatabase.available)
    func monthEndAdjustmentsReplayToTheFen(database kind: TestDatabase) async throws {
        for (seed, ranks) in [(UInt64(3), true), (17, false)] {
            try await withTestApp(kind) { client, app async throws in
                var random = SplitMix(seed: seed)
                let month = try await Self.freshMonth(client, app)
                func product(_ title: String, _ price: Int, _ rule: String?) async throws -> String {
                    let id = try #require(try await client.send(.post, "/api/v1/products", body: #"{"title":"\#(title)","price":\#(price)}"#).json["id"] as? String)
                    if let rule { #expect(try await client.send(.put, "/api/v1/products/\(id)/commission", body: rule).status == .ok) }
                    return id
                }
                let percent = #"{"type":"percent","levels":[1000,300],"tiers":[{"from":1,"rate":1000},{"from":4,"rate":2000}],"tier_mode":"retroactive"}"#
                let fixed = #"{"type":"fixed","levels":[500,100],"tiers":[{"from":1,"rate":500},{"from":3,"rate":900}],"tier_mode":"retroactive","max_amount":2500}"#
                let products = [try await product("数学", 9_900, percent), try await product("英语", 19_990, fixed), try await product("政治", 29_900, nil)]
                if ranks {
                    #expect(try await client.send(.post, "/api/v1/ranks", body: #"{"name":"银牌","metric":"paid_orders","threshold":3,"bonus_bps":300}"#).status == .created)
                }
                let a = try await client.createPromoter("A")["id"] as! String
                let b = try await client.createPromoter("B", parent: a)["id"] as! String
                let c = try await client.createPromoter("C")["id"] as! String
                let promoters = [a, b, c]
                var links: [String: String] = [:]
                for promoter in promoters {
                    for product in products { links[promoter + product] = try #require(try await client.createLink(promoter: promoter, product: product).json["code"] as? String) }
                }
                var paid: [String] = []
                for step in 0..<30 {
                    let promoter = promoters[random.next(promoters.count)], visitor = "ladder-visitor-\(seed)-\(step)"
                    let first = products[random.next(products.count)]
                    _ = try await client.send(.post, "/api/v1/track/click", body: #"{"code":"\#(links[promoter + first]!)","visitor_id":"\#(visitor)"}"#)
                    let lines = Set([first] + (0..<random.next(2)).map { _ in products[random.next(products.count)] })
                    let items = lines.sorted().map { #"{"product_id":"\#($0)","quantity":\#(1 + random.next(3))}"# }.joined(separator: ",")
                    let created = try await client.send(.post, "/api/v1/orders", body: #"{"buyer_id":"ladder-buyer-\#(step)","items":[\#(items)],"visitor_id":"\#(visitor)"}"#)
                    let order = try #require(created.json["id"] as? String, "\(created.text)")
                    #expect(try await client.send(.post, "/api/v1/orders/\(order)/paid", body: #"{"payment_id":"ladder-\#(seed)-\#(step)"}"#).status == .ok)
                    paid.append(order)
                    switch random.next(5) {
                    case 0: #expect(try await client.send(.post, "/api/v1/ranks/recompute").status == .ok)
                    case 1:
                        let refunded = paid[random.next(paid.count)]
                        _ = try await client.send(.post, "/api/v1/orders/\(refunded)/refunds", body: #"{"amount":\#(1 + random.next(20_000)),"refund_id":"ladder-rf-\#(step)"}"#)
                    default: break
                    }
                }
                #expect(try await client.send(.post, "/api/v1/ranks/recompute").status == .ok)
                // The month closes with the settlements the clock brings; a refund after it
                // changes nothing the close saw.
                try await client.advance(seconds: 40 * 86_400)
                _ = try await client.send(.post, "/api/v1/orders/\(paid[0])/refunds", body: #"{"amount":5000,"refund_id":"ladder-after-close"}"#)
                let booked = try await Self.sum("SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS n FROM commissions WHERE kind = 'tier_adjustment'", in: app)
                #expect(booked > 0, "seed \(seed): no month-end adjustment")

                let live = try await Self.simulate(client, from: month.start, to: month.end)
                #expect(live["ladder_months"] as? Int == 1 && live["approximate_months"] as? Int == 0, "\(live)")
                #expect(live["current_adjustments"] as? Int64 == booked && live["simulated_adjustments"] as? Int64 == booked, "seed \(seed) \(live)")
                #expect(live["current_cost"] as? Int64 == live["simulated_cost"] as? Int64 && live["promoters_changed"] as? Int == 0, "\(live)")
                let bookedAll = try await Self.sum("SELECT CAST(SUM(amount) AS BIGINT) AS n FROM commissions", in: app)
                #expect(live["current_cost"] as? Int64 == bookedAll, "every commission of the month, adjustments included")

                // Every rate doubled: twice the cost, adjustments included, up to a fen a line (a
                // rank bonus is not part of the plan, so only without one).
                if !ranks {
                    let lines = try await Self.sum("SELECT COUNT(*) AS n FROM order_items", in: app)
                    let doubled = try await Self.simulate(client, from: month.start, to: month.end, """
                        ,"program":{"levels":[4000,1000],"rule_type":"percent"},"product_rules":{
                         "\(products[0])":{"type":"percent","levels":[2000,600],"tiers":[{"from":1,"rate":2000},{"from":4,"rate":4000}],"tier_mode":"retroactive"},
                         "\(products[1])":{"type":"fixed","levels":[1000,200],"tiers":[{"from":1,"rate":1000},{"from":3,"rate":1800}],"tier_mode":"retroactive","max_amount":5000}}
                        """)
                    let (current, simulated) = (try #require(doubled["current_adjustments"] as? Int64), try #require(doubled["simulated_adjustments"] as? Int64))
                    #expect(abs(simulated - 2 * current) <= lines, "adjustments \(current) → \(simulated)")
                    let (cost, twice) = (try #require(doubled["current_cost"] as? Int64), try #require(doubled["simulated_cost"] as? Int64))
                    #expect(abs(twice - 2 * cost) <= 3 * lines, "cost \(cost) → \(twice)")
                }
                // A period that cuts the month leaves its adjustments out on both sides.
                let cut = try await Self.simulate(client, from: month.start.adding(seconds: 60), to: month.end)
                #expect(cut["ladder_months"] as? Int == 0 && cut["current_adjustments"] as? Int64 == 0 && cut["simulated_adjustments"] as? Int64 == 0, "\(cut)")

                // A new time zone: the month is still the one that was closed.
                #expect(try await client.send(.put, "/api/v1/program", body: #"{"time_zone":"UTC"}"#).status == .ok)
                let moved = try await Self.simulate(client, from: month.start, to: month.end)
                #expect(moved["ladder_months"] as? Int == 1 && moved["simulated_adjustments"] as? Int64 == booked, "\(moved)")

                // A month closed before closes kept what they saw: counted as it stands now.
                try await app.database.write { db in
                    try await db.execute("DELETE FROM tier_close_months")
                    try await db.execute("DELETE FROM tier_close_lines")
                }
                let old = try await Self.simulate(client, from: month.start, to: month.end)
                #expect(try #require(old["approximate_months"] as? Int) > 0 && old["current_adjustments"] as? Int64 == booked, "\(old)")
                try await client.expectBalanced()
            }
        }
    }

    /// A per-order ladder tried as retroactive: three 100.00 orders earn 10 + 10 + 18 as they
    /// were paid; at month end all three are owed 18 %, so the draft adds 16.00. A line rejected by
    /// risk review before the close stays out of it, as the close would leave it out.
    @Test(arguments: TestDatabase.available)
    func aLadderMadeRetroactiveAddsItsAdjustment(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, app async throws in
            let month = try await Self.freshMonth(client, app)
            let product = try #require(try await client.send(.post, "/api/v1/products", body: #"{"title":"小班课","price":10000}"#).json["id"] as? String)
            let ladder = #"{"type":"percent","levels":[1000],"tiers":[{"from":1,"rate":1000},{"from":3,"rate":1800}]"#
            #expect(try await client.send(.put, "/api/v1/products/\(product)/commission", body: ladder + "}").status == .ok)
            let promoter = try await client.createPromoter("B")["id"] as! String
            let code = try #require(try await client.createLink(promoter: promoter, product: product).json["code"] as? String)
            for index in 1...3 {
                let visitor = "visitor-00000000\(index)"
                _ = try await client.send(.post, "/api/v1/track/click", body: #"{"code":"\#(code)","visitor_id":"\#(visitor)"}"#)
                _ = try await client.paidOrder((product, "", promoter, visitor), buyer: "buyer-\(index)", payment: "pay-\(index)")
            }
            try await client.advance(seconds: 40 * 86_400)
            let draft = #","product_rules":{"\#(product)":\#(ladder),"tier_mode":"retroactive"}}"#
            let result = try await Self.simulate(client, from: month.start, to: month.end, draft)
            #expect(result["current_adjustments"] as? Int64 == 0 && result["simulated_adjustments"] as? Int64 == 1_600, "\(result)")
            #expect(result["current_cost"] as? Int64 == 3_800 && result["simulated_cost"] as? Int64 == 5_400, "\(result)")
            let promoters = try #require(result["promoters"] as? [[String: Any]])
            #expect(promoters.first?["promoter_id"] as? String == promoter && promoters.first?["change"] as? Int64 == 1_600)

            // The close saw the first line's commission rejected: the draft's month leaves it out
            // (two lines at 18 % owed 3600 against 1000 + 1800 earned).
            try await app.database.write { db in try await db.execute("UPDATE tier_close_lines SET excluded = 1 WHERE order_item_id = (SELECT MIN(order_item_id) FROM commissions WHERE amount = 1000)") }
            let rejected = try await Self.simulate(client, from: month.start, to: month.end, draft)
            #expect(rejected["simulated_adjustments"] as? Int64 == 800, "\(rejected)")

            // The console's simulator shows the month's adjustments beside the costs.
            let days = DateFormatter()
            days.timeZone = TimeZone(identifier: "Asia/Shanghai")
            days.dateFormat = "yyyy-MM-dd"
            let (first, last) = (days.string(from: Date(timeIntervalSince1970: TimeInterval(month.start.milliseconds / 1000))),
                                 days.string(from: Date(timeIntervalSince1970: TimeInterval(month.end.milliseconds / 1000 - 1))))
            let owner = try #require(try await ConsoleBrowser.everyRole(client)["owner"])
            let page = try await owner.get("/admin/analytics/simulate?from=\(first)&to=\(last)&levels=2000,500&rule_type=percent&lang=en")
            #expect(page.status == .ok && page.text.contains("Month-end ladder adjustments"), "\(page.text)")
        }
    }

    /// A line whose commission a partial refund reversed in full (rounding: 1 fen reversed by
    /// 60 % of the line) is left out by the close, and so by the simulator: three 1.00 orders earn
    /// 1 + 1 + 5 fen; the first is refunded 0.60; at month end the other two are owed 5 fen each
    /// against 6 earned, so 4 fen is booked, and the live plan replays it.
    @Test(arguments: TestDatabase.available)
    func aLineReversedInFullStaysOut(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, app async throws in
            let month = try await Self.freshMonth(client, app)
            let product = try #require(try await client.send(.post, "/api/v1/products", body: #"{"title":"试听课","price":100}"#).json["id"] as? String)
            let rule = #"{"type":"fixed","levels":[1],"tiers":[{"from":1,"rate":1},{"from":3,"rate":5}],"tier_mode":"retroactive"}"#
            #expect(try await client.send(.put, "/api/v1/products/\(product)/commission", body: rule).status == .ok)
            let promoter = try await client.createPromoter("B")["id"] as! String
            let code = try #require(try await client.createLink(promoter: promoter, product: product).json["code"] as? String)
            var orders: [String] = []
            for index in 1...3 {
                let visitor = "visitor-00000000\(index)"
                _ = try await client.send(.post, "/api/v1/track/click", body: #"{"code":"\#(code)","visitor_id":"\#(visitor)"}"#)
                orders.append(try await client.paidOrder((product, "", promoter, visitor), buyer: "buyer-\(index)", payment: "pay-\(index)"))
            }
            #expect(try await client.send(.post, "/api/v1/orders/\(orders[0])/refunds", body: #"{"amount":60,"refund_id":"round-up"}"#).status == .created)
            let first = orders[0]
            let statuses = try await app.database.read { db in
                try await db.rows("SELECT status FROM commissions WHERE order_id = \(bind: first)").map { try $0.decode(column: "status", as: String.self) }
            }
            #expect(statuses == ["reversed"])
            try await client.advance(seconds: 40 * 86_400)
            let booked = try await Self.sum("SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS n FROM commissions WHERE kind = 'tier_adjustment'", in: app)
            #expect(booked == 4)
            let live = try await Self.simulate(client, from: month.start, to: month.end)
            #expect(live["current_adjustments"] as? Int64 == 4 && live["simulated_adjustments"] as? Int64 == 4, "\(live)")
        }
    }
}
