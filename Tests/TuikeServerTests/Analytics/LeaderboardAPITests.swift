import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TuikeCore
@testable import TuikeServer
import TuikeStore
import TuikeTestSupport

@Suite struct LeaderboardAPITests {
    /// Sells one 500.00 course through `code` to a new visitor; the order's id.
    static func sell(_ client: any TestClientProtocol, product: String, code: String, n: Int, buyer: String? = nil) async throws -> String {
        let visitor = "board-visitor-\(n)"
        _ = try await client.send(.post, "/api/v1/track/click", body: #"{"code":"\#(code)","visitor_id":"\#(visitor)"}"#)
        let created = try await client.send(.post, "/api/v1/orders", body: """
            {"buyer_id":"\(buyer ?? "board-buyer-\(n)")","items":[{"product_id":"\(product)","quantity":1}],"visitor_id":"\(visitor)"}
            """)
        let order = try #require(created.json["id"] as? String, "\(created.text)")
        #expect(try await client.send(.post, "/api/v1/orders/\(order)/paid", body: #"{"payment_id":"board-\#(n)"}"#).status == .ok)
        return order
    }

    /// The sandbox clock's now.
    static func now(_ client: any TestClientProtocol) async throws -> Instant {
        try #require(Instant(rfc3339: try await client.advance(seconds: 0)))
    }

    /// Moves the sandbox clock to `seconds` after `target` (before it, when negative). Tests run
    /// side by side and slowly under load: minutes of margin, never a few seconds.
    static func move(_ client: any TestClientProtocol, to target: Instant, plus seconds: Int64) async throws {
        let now = try await Self.now(client)
        try await client.advance(seconds: max(0, (target.milliseconds - now.milliseconds) / 1_000 + seconds))
    }

    static func board(_ client: any TestClientProtocol, _ path: String, headers: HTTPFields = adminAuth) async throws -> [String: Any] {
        let response = try await client.send(.get, "/api/v1/leaderboards/\(path)", headers: headers)
        #expect(response.status == .ok, "\(response.text)")
        return response.json
    }

    static func entries(_ json: [String: Any]) -> [String] {
        ((json["data"] as? [[String: Any]]) ?? []).map { "\($0["rank"] as! Int) \($0["promoter_id"] as? String ?? "-") \($0["name"] as! String) \($0["value"] as! Int)" }
    }

    /// Sales seconds before and after midnight from Sunday to Monday in Asia/Shanghai: the day and
    /// the week turn there. B and C tie on GMV and share first place; A is third; a refund after
    /// midnight counts in the new day; self-purchases count for nobody. A promoter sees the others
    /// masked and its own place. Once
    /// the days are rolled up, the boards read the rollups and say the same.
    @Test(arguments: TestDatabase.available)
    func boardsTurnAtMidnightAndMondayWithTiesShared(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, app async throws in
            let world = try await OrdersAPITests.world(client)
            let c = try await client.createPromoter("C")["id"] as! String
            let code = { (promoter: String) async throws -> String in
                try #require(try await client.createLink(promoter: promoter, product: world.product).json["code"] as? String)
            }
            let (codeA, codeB, codeC) = (try await code(world.a), try await code(world.b), try await code(c))
            let monday = try CalendarPeriod.week.bounds(at: try await Self.now(client), timeZone: "Asia/Shanghai").end
            try await Self.move(client, to: monday, plus: -300)
            for (n, code) in [codeB, codeB, codeC, codeC, codeA].enumerated() { _ = try await Self.sell(client, product: world.product, code: code, n: n) }
            // S buys three through its own invitation code: self-purchases, never on a board.
            let s = try await client.createPromoter("S", buyer: "board-self")
            let invite = try #require(s["invite_code"] as? String)
            for n in 0..<3 {
                let own = try await client.send(.post, "/api/v1/orders", body: """
                    {"buyer_id":"board-self","items":[{"product_id":"\(world.product)","quantity":1}],"coupon":"\(invite)","external_id":"self-\(n)"}
                    """)
                #expect(own.json["flags"] as? [String] == ["self_referral"], "\(own.text)")
                let id = try #require(own.json["id"] as? String)
                #expect(try await client.send(.post, "/api/v1/orders/\(id)/paid", body: #"{"payment_id":"board-self-\#(n)"}"#).status == .ok)
            }
            let sunday = monday.adding(milliseconds: -1).rfc3339
            try await Self.move(client, to: monday, plus: 5)
            let late = try await Self.sell(client, product: world.product, code: codeC, n: 9)
            _ = try await client.send(.post, "/api/v1/orders/\(late)/refunds", body: #"{"amount":20000,"refund_id":"board-rf"}"#)
            let mondayAt = monday.adding(seconds: 1).rfc3339

            func check() async throws {
                let gmv = try await Self.board(client, "day?at=\(sunday)")
                #expect(Self.entries(gmv) == ["1 \(world.b) B 100000", "1 \(c) C 100000", "3 \(world.a) A 50000"], "\(gmv)")
                #expect(gmv["ranked"] as? Int == 3 && gmv["metric"] as? String == "gmv" && gmv["period"] as? String == "day")
                #expect(gmv["to"] as? String == monday.rfc3339 && gmv["me"] is NSNull)
                #expect(Self.entries(try await Self.board(client, "week?at=\(sunday)")) == Self.entries(gmv))
                #expect(Self.entries(try await Self.board(client, "day?at=\(mondayAt)")) == ["1 \(c) C 30000"])
                let week = try await Self.board(client, "week?at=\(mondayAt)&metric=orders")
                #expect(Self.entries(week) == ["1 \(c) C 1"] && week["from"] as? String == monday.rfc3339)
                // Commission: B earned 2 × 100.00; A 100.00 of its own and 2 × 25.00 from B's.
                let commission = try await Self.board(client, "week?at=\(sunday)&metric=commission&limit=2")
                #expect(Self.entries(commission) == ["1 \(world.b) B 20000", "1 \(c) C 20000"] && commission["ranked"] as? Int == 3, "\(commission)")
                // B's view: its own entry whole, the others masked and without ids, its place.
                let seen = try await Self.board(client, "day?at=\(sunday)", headers: try await client.promoterToken(world.b))
                #expect(Self.entries(seen) == ["1 \(world.b) B 100000", "1 - C** 100000", "3 - A** 50000"])
                #expect((seen["me"] as? [String: Any])?["rank"] as? Int == 1)
                let absent = try await Self.board(client, "day?at=\(mondayAt)", headers: try await client.promoterToken(world.a))
                #expect(absent["me"] is NSNull && Self.entries(absent) == ["1 - C** 30000"])
            }
            try await check()
            // Two days on, the sweep has rolled both days up: the same boards from the rollups.
            try await client.advance(seconds: 2 * 86_400)
            let through = try #require(try await DayRollups(database: app.database).state()?.through)
            #expect(through >= monday.adding(seconds: 86_400))
            try await check()

            expectError(try await client.send(.get, "/api/v1/leaderboards/year"), .notFound, "not_found")
            expectError(try await client.send(.get, "/api/v1/leaderboards/day?metric=clicks"), .unprocessableContent, "validation_failed")
            expectError(try await client.send(.get, "/api/v1/leaderboards/day?limit=0"), .unprocessableContent, "validation_failed")
            expectError(try await client.send(.get, "/api/v1/leaderboards/day?limit=1001"), .unprocessableContent, "validation_failed")
            expectError(try await client.send(.get, "/api/v1/leaderboards/day?at=tomorrow"), .unprocessableContent, "validation_failed")
            expectError(try await client.send(.get, "/api/v1/leaderboards/day", headers: [:]), .unauthorized, "unauthorized")
            #expect(Self.entries(try await Self.board(client, "month?at=2020-01-15")).isEmpty)
        }
    }

    /// The funnel of the program, a promoter, a product, a promoter's product and a link; a
    /// promoter sees its own only.
    @Test(arguments: TestDatabase.available)
    func theFunnelCountsEachStep(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let world = try await OrdersAPITests.world(client)   // one click of B's on the product
            let other = try await client.send(.post, "/api/v1/products", body: #"{"title":"另一门课","price":10000}"#).json["id"] as! String
            let code = try #require(try await client.createLink(promoter: world.b, product: world.product).json["code"] as? String)
            let codeOther = try #require(try await client.createLink(promoter: world.a, product: other).json["code"] as? String)
            _ = try await client.send(.post, "/api/v1/track/click", body: #"{"code":"\#(code)","visitor_id":"funnel-bot","user_agent":"Googlebot/2.1"}"#)
            _ = try await client.send(.post, "/api/v1/track/click", body: #"{"code":"\#(code)","visitor_id":"\#(world.visitor)"}"#)
            let first = try await client.paidOrder(world, payment: "funnel-1")
            _ = try await client.send(.post, "/api/v1/orders", body: #"{"buyer_id":"funnel-2","items":[{"product_id":"\#(world.product)","quantity":1}],"visitor_id":"\#(world.visitor)"}"#)
            _ = try await client.send(.post, "/api/v1/orders/\(first)/refunds", body: #"{"amount":10000,"refund_id":"funnel-rf"}"#)
            _ = try await Self.sell(client, product: other, code: codeOther, n: 1)

            func funnel(_ query: String, headers: HTTPFields = adminAuth) async throws -> [String: Any] {
                let response = try await client.send(.get, "/api/v1/reports/funnel?\(query)", headers: headers)
                #expect(response.status == .ok, "\(response.text)")
                return response.json
            }
            func expectSteps(_ query: String, _ expected: [Int], sourceLocation: SourceLocation = #_sourceLocation) async throws {
                let actual = steps(try await funnel(query))
                #expect(actual == expected, "\(query): \(actual)", sourceLocation: sourceLocation)
            }
            func steps(_ json: [String: Any]) -> [Int] { ["clicks", "views", "visitors", "orders", "paid", "refunded", "gmv", "refunded_amount"].map { json[$0] as? Int ?? -1 } }
            try await expectSteps("", [4, 3, 2, 3, 2, 1, 60_000, 10_000])
            try await expectSteps("promoter_id=\(world.b)", [3, 2, 1, 2, 1, 1, 50_000, 10_000])
            try await expectSteps("product_id=\(other)", [1, 1, 1, 1, 1, 0, 10_000, 0])
            try await expectSteps("promoter_id=\(world.b)&product_id=\(world.product)", [3, 2, 1, 2, 1, 1, 50_000, 10_000])
            try await expectSteps("promoter_id=\(world.b)&product_id=\(other)", [0, 0, 0, 0, 0, 0, 0, 0])
            try await expectSteps("link=\(codeOther)", [1, 1, 1, 1, 1, 0, 10_000, 0])
            let rates = try await funnel("promoter_id=\(world.b)")
            #expect(rates["order_rate_bps"] as? Int == 20_000 && rates["payment_rate_bps"] as? Int == 5_000 && rates["refund_rate_bps"] as? Int == 10_000)
            #expect(try await funnel("from=2020-01-01&to=2020-01-31")["order_rate_bps"] is NSNull)

            let token = try await client.promoterToken(world.b)
            #expect(steps(try await funnel("", headers: token)) == steps(try await funnel("promoter_id=\(world.b)")))
            expectError(try await client.send(.get, "/api/v1/reports/funnel?promoter_id=\(world.a)", headers: token), .forbidden, "forbidden")
            expectError(try await client.send(.get, "/api/v1/reports/funnel?link=\(codeOther)", headers: token), .notFound, "not_found")
            expectError(try await client.send(.get, "/api/v1/reports/funnel?product_id=prd_nope"), .notFound, "not_found")
            expectError(try await client.send(.get, "/api/v1/reports/funnel?promoter_id=prm_nope"), .notFound, "not_found")
            expectError(try await client.send(.get, "/api/v1/reports/funnel?from=2026-02-30"), .unprocessableContent, "validation_failed")
        }
    }
}
