import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TuikeCore
@testable import TuikeServer
import TuikeStore
import TuikeTestSupport

@Suite struct SpreadAPITests {
    /// A product's tree: A invited B and C, B invited D; everyone shares the product and D and A
    /// sell it. The tree's generations, reach and hot nodes; the SVG with every name escaped; the
    /// program's tree with enough complete windows for an estimate.
    @Test(arguments: TestDatabase.available)
    func theTreeItsHotNodesAndItsEstimate(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, _ async throws in
            let product = try #require(try await client.send(.post, "/api/v1/products", body: #"{"title":"裂变课","price":9900}"#).json["id"] as? String)
            let a = try await client.createPromoter("A<b>")["id"] as! String
            let b = try await client.createPromoter("B", parent: a)["id"] as! String
            let c = try await client.createPromoter("C", parent: a)["id"] as! String
            let d = try await client.createPromoter("D", parent: b)["id"] as! String
            var codes: [String: String] = [:]
            for promoter in [a, b, c, d] { codes[promoter] = try #require(try await client.createLink(promoter: promoter, product: product).json["code"] as? String) }
            for (n, seller) in [d, d, a].enumerated() { _ = try await LeaderboardAPITests.sell(client, product: product, code: codes[seller]!, n: 300 + n) }
            let since = Instant(Date()).adding(seconds: -30 * 86_400).rfc3339
            let range = "from=\(since)&product_id=\(product)"
            let json = try await client.send(.get, "/api/v1/reports/spread?\(range)").json
            #expect(json["promoters"] as? Int == 4 && json["buyers"] as? Int == 3 && json["generations"] as? [Int] == [1, 2, 1], "\(json)")
            let hot = try #require(json["hot"] as? [[String: Any]])
            #expect(hot.map { $0["promoter_id"] as? String } == [a, d, b, c])
            #expect(hot.map { $0["reach"] as? Int } == [3, 2, 2, 0] && hot.first?["generation"] as? Int == 0)
            #expect(json["estimate"] is NSNull && (json["forecast"] as? [Any])?.isEmpty == true)
            let svg = try await client.send(.get, "/api/v1/reports/spread.svg?\(range)")
            #expect(svg.status == .ok && svg.headers[.contentType]?.hasPrefix("image/svg+xml") == true)
            #expect(svg.text.hasPrefix("<svg") && svg.text.components(separatedBy: "<circle").count == 5 && svg.text.contains("A&lt;b&gt;") && !svg.text.contains("A<b>"))
            #expect(svg.text.components(separatedBy: "<line").count == 4)

            // Six more roots each invite one; two days on, every one-day window is complete.
            for n in 0..<6 {
                let root = try await client.createPromoter("R\(n)")["id"] as! String
                _ = try await client.createPromoter("R\(n)-1", parent: root)
            }
            try await client.advance(seconds: 2 * 86_400)
            let program = try await client.send(.get, "/api/v1/reports/spread?from=\(since)&generation_days=1").json
            let estimate = try #require(program["estimate"] as? [String: Any], "\(program)")
            #expect(estimate["parents"] as? Int == 16 && estimate["offspring"] as? Int == 9, "\(estimate)")
            let r = try #require(estimate["r"] as? Double), low = try #require(estimate["low"] as? Double), high = try #require(estimate["high"] as? Double)
            #expect(abs(r - 9.0 / 16.0) < 0.001 && low < r && r < high)
            #expect((program["forecast"] as? [[String: Any]])?.count == 3 && program["frontier"] as? Int == 0)

            // Long windows and short generations: a capped, finite forecast, never an error.
            let year = try await client.send(.get, "/api/v1/reports/spread?from=\(Instant(Date()).adding(seconds: -360 * 86_400).rfc3339)&generation_days=1")
            #expect(year.status == .ok, "\(year.text)")
            expectError(try await client.send(.get, "/api/v1/reports/spread?from=2020-01-01"), .unprocessableContent, "validation_failed")
            expectError(try await client.send(.get, "/api/v1/reports/roi?from=2020-01-01"), .unprocessableContent, "validation_failed")
            expectError(try await client.send(.get, "/api/v1/reports/spread?product_id=prd_nope"), .notFound, "not_found")
            expectError(try await client.send(.get, "/api/v1/reports/spread?generation_days=0"), .unprocessableContent, "validation_failed")
            expectError(try await client.send(.get, "/api/v1/reports/spread?generation_days=91"), .unprocessableContent, "validation_failed")
            expectError(try await client.send(.get, "/api/v1/reports/spread?from=2100-01-01"), .unprocessableContent, "validation_failed")
            expectError(try await client.send(.get, "/api/v1/reports/spread", headers: try await client.promoterToken(a)), .forbidden, "forbidden")
        }
    }

    /// A node's buyers over days already rolled up and today: the earlier days' buyers are kept
    /// per promoter as sets, so a buyer who comes back today is not counted twice, a new one is,
    /// and a refund in full of an earlier day's order (it stops counting) shows at once.
    @Test(arguments: TestDatabase.available)
    func buyersOverKeptDaysAndToday(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, app async throws in
            let product = try #require(try await client.send(.post, "/api/v1/products", body: #"{"title":"回头客","price":9900}"#).json["id"] as? String)
            let a = try await client.createPromoter("A")["id"] as! String
            let code = try #require(try await client.createLink(promoter: a, product: product).json["code"] as? String)
            var step = 0
            func sell(to buyer: String) async throws -> String {
                step += 1
                return try await LeaderboardAPITests.sell(client, product: product, code: code, n: 700 + step, buyer: buyer)
            }
            let since = app.clock.now().adding(seconds: -3_600).rfc3339
            _ = try await sell(to: "x")
            let leaving = try await sell(to: "y")
            try await client.advance(seconds: 2 * 86_400)
            func buyers() async throws -> Int? {
                let json = try await client.send(.get, "/api/v1/reports/spread?from=\(since)&product_id=\(product)").json
                return json["buyers"] as? Int
            }
            #expect(try await DayRollups(database: app.database).state().map { $0.through.rfc3339 > since } == true)
            #expect(try await buyers() == 2)
            _ = try await sell(to: "x")
            _ = try await sell(to: "z")
            #expect(try await buyers() == 3)
            #expect(try await client.send(.post, "/api/v1/orders/\(leaving)/refunds", body: #"{"amount":9900,"refund_id":"spread-full"}"#).status == .created)
            #expect(try await buyers() == 2)
        }
    }

    /// The program's tree is kept between reads while nothing it shows changed: a promoter who
    /// joins, moves under another inviter or is suspended, a payment of today and a refund each
    /// show on the next read, and the promoters' revision moves with every such change.
    @Test(arguments: TestDatabase.available)
    func theProgramTreeFollowsEveryChange(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, app async throws in
            let product = try #require(try await client.send(.post, "/api/v1/products", body: #"{"title":"裂变课","price":9900}"#).json["id"] as? String)
            let a = try await client.createPromoter("A")["id"] as! String
            let b = try await client.createPromoter("B", parent: a)["id"] as! String
            let code = try #require(try await client.createLink(promoter: b, product: product).json["code"] as? String)
            let since = app.clock.now().adding(seconds: -3_600).rfc3339
            _ = try await LeaderboardAPITests.sell(client, product: product, code: code, n: 900, buyer: "kept-1")
            try await client.advance(seconds: 2 * 86_400)
            func tree() async throws -> (promoters: Int?, buyers: Int?, generations: [Int]?) {
                let json = try await client.send(.get, "/api/v1/reports/spread?from=\(since)").json
                return (json["promoters"] as? Int, json["buyers"] as? Int, json["generations"] as? [Int])
            }
            func revision() async throws -> Int64 {
                try await app.database.read { db in try await db.one("SELECT n FROM promoter_revision WHERE id = 1").decode(column: "n", as: Int64.self) }
            }
            // The days before today are rolled up: the tree and its buyers are kept between reads.
            #expect(try await DayRollups(database: app.database).state().map { $0.through.rfc3339 > since } == true)
            #expect(try await tree() == (2, 1, [1, 1]))
            #expect(try await tree() == (2, 1, [1, 1]))
            var seen = try await revision()
            let c = try await client.createPromoter("C", parent: b)["id"] as! String
            #expect(try await tree() == (3, 1, [1, 1, 1]))
            #expect(try await revision() > seen)
            seen = try await revision()
            #expect(try await client.send(.put, "/api/v1/promoters/\(c)/parent", body: #"{"parent_id":"\#(a)","reason":"moved"}"#).status == .ok)
            #expect(try await tree() == (3, 1, [1, 2]))
            #expect(try await revision() > seen)
            seen = try await revision()
            #expect(try await client.send(.post, "/api/v1/promoters/\(c)/suspend", body: "{}").status == .ok)
            let suspended = try await tree()
            #expect(try await revision() > seen && suspended.promoters == 3)
            // Today's payments and refunds.
            let today = try await LeaderboardAPITests.sell(client, product: product, code: code, n: 901, buyer: "today-1")
            #expect(try await tree() == (3, 2, [1, 2]))
            #expect(try await client.send(.post, "/api/v1/orders/\(today)/refunds", body: #"{"amount":9900,"refund_id":"kept-tree"}"#).status == .created)
            #expect(try await tree() == (3, 1, [1, 2]))
            // A rank recomputed, or a password set, is no change of the tree.
            seen = try await revision()
            #expect(try await client.send(.post, "/api/v1/ranks/recompute").status == .ok)
            #expect(try await revision() == seen)
        }
    }
}
