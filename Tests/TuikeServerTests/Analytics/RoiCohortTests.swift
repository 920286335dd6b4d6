import Foundation
import Hummingbird
import HummingbirdTesting
import SQLKit
import Testing
import TuikeCore
@testable import TuikeServer
@testable import TuikeStore
import TuikeTestSupport

/// Return on commission read from the days' kept cohorts (`RoiCohorts`) against a plain SQL
/// count of the rows, through refunds of days long rolled up, a mark made while a day was being
/// counted, two instances answering the same marks, and an upgrade that has no tallies yet.
@Suite struct RoiCohortTests {
    @Test(arguments: TestDatabase.available)
    func keptCohortsEqualTheRows(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, app async throws in
            let world = try await OrdersAPITests.world(client)
            let second = try #require(try await client.send(.post, "/api/v1/products", body: #"{"title":"Second","price":12345}"#).json["id"] as? String)
            let start = app.clock.now()
            #expect(try await client.send(.post, "/api/v1/campaign-rules", body: """
                {"product_id":"\(second)","starts_at":"\(start.adding(seconds: -60).rfc3339)","ends_at":"\(start.adding(seconds: 30 * 86_400).rfc3339)",
                 "rule":{"type":"percent","levels":[3000,1000]}}
                """).status == .created)
            let codes = [try await client.createLink(promoter: world.b, product: world.product).json["code"] as? String ?? "",
                         try await client.createLink(promoter: world.a, product: second).json["code"] as? String ?? ""]
            var random = SplitMix(seed: 34)
            var paid: [String] = []
            var step = 0
            func activity() async throws {
                for _ in 0..<(4 + random.next(5)) {
                    step += 1
                    let visitor = "roi-visitor-\(step)"
                    // A few direct sales, the rest through a promoter's link.
                    if random.next(4) != 0 {
                        _ = try await client.send(.post, "/api/v1/track/click", body: #"{"code":"\#(codes[random.next(2)])","visitor_id":"\#(visitor)"}"#)
                    }
                    let lines = [world.product, second].shuffled(using: &random).prefix(1 + random.next(2))
                        .map { #"{"product_id":"\#($0)","quantity":\#(1 + random.next(2))}"# }.joined(separator: ",")
                    let created = try await client.send(.post, "/api/v1/orders", body: #"{"buyer_id":"buyer-\#(step)","items":[\#(lines)],"visitor_id":"\#(visitor)"}"#)
                    guard let order = created.json["id"] as? String else { continue }
                    #expect(try await client.send(.post, "/api/v1/orders/\(order)/paid", body: #"{"payment_id":"pay-\#(step)"}"#).status == .ok)
                    paid.append(order)
                    if random.next(5) == 0 {
                        _ = try await client.send(.post, "/api/v1/orders/\(paid[random.next(paid.count)])/refunds",
                                                  body: #"{"amount":\#(1 + random.next(9_000)),"refund_id":"rf-\#(step)"}"#)
                    }
                }
            }
            let zone = try await ProgramRepository(database: app.database).current().timeZone
            for _ in 0..<4 {
                try await activity()
                let now = app.clock.now()
                let midnight = try #require(try CalendarDays.days(from: now, to: now, timeZone: zone).first).end
                try await client.advance(seconds: (midnight.milliseconds - now.milliseconds) / 1000 - 30)
                try await activity()
                try await client.advance(seconds: 60)
                try await activity()
                try await client.advance(seconds: 5 * 3_600)
            }
            try await client.advance(seconds: 86_400)
            try await activity()
            let spans = [(start.adding(seconds: -1), app.clock.now().adding(seconds: 1)), (start.adding(seconds: 7_200), app.clock.now())]
            func expectAgrees(_ moment: String) async throws {
                for (from, to) in spans {
                    for grouping in RoiTally.Grouping.allCases { try await Self.expectAgrees(grouping, from: from, to: to, client: client, app: app, moment) }
                }
            }
            let kept = try await OrdersAPITests.count("roi_days WHERE kind = 'product:total'", in: app.database)
            #expect(kept >= 4, "every finished day kept, \(kept)")
            try await expectAgrees("rolled up")
            try await client.advance(seconds: 61)
            #expect(try await OrdersAPITests.count("roi_changes", in: app.database) == 0, "every mark answered")

            // A refund of the first day's order: read from the rows at once, then kept again.
            let first = try #require(paid.first)
            #expect(try await client.send(.post, "/api/v1/orders/\(first)/refunds", body: #"{"amount":100,"refund_id":"rf-late"}"#).status == .created)
            #expect(try await OrdersAPITests.count("roi_changes", in: app.database) == 1)
            try await expectAgrees("marked")
            try await client.advance(seconds: 61)
            #expect(try await OrdersAPITests.count("roi_changes", in: app.database) == 0)
            try await expectAgrees("counted again")

            // One instance reads a day's marks and counts it; meanwhile a refund marks the day
            // again. Its answer clears only the marks it read, so the day stays marked.
            let day = try #require(try await Self.paymentDay(of: first, zone: zone, app: app))
            #expect(try await client.send(.post, "/api/v1/orders/\(first)/refunds", body: #"{"amount":100,"refund_id":"rf-one"}"#).status == .created)
            let (marks, stale) = try await app.database.read { db in
                (try await RoiCohorts.marks(from: day.start, to: day.end, in: db),
                 try await RoiCohorts.count(from: day.start, to: day.end, dialect: app.database.dialect, in: db))
            }
            #expect(try await client.send(.post, "/api/v1/orders/\(first)/refunds", body: #"{"amount":100,"refund_id":"rf-two"}"#).status == .created)
            try await RoiCohorts.answer(marks, day: day, tally: stale, timeZone: zone, database: app.database)
            #expect(try await OrdersAPITests.count("roi_changes", in: app.database) == 1)
            try await expectAgrees("a mark made while counting")
            // Another instance answers the same marks later, with a count older than the first's:
            // refused, the kept day is not overwritten.
            let (again, older) = try await app.database.read { db in
                (try await RoiCohorts.marks(from: day.start, to: day.end, in: db),
                 try await RoiCohorts.count(from: day.start, to: day.end, dialect: app.database.dialect, in: db))
            }
            #expect(try await client.send(.post, "/api/v1/orders/\(first)/refunds", body: #"{"amount":100,"refund_id":"rf-three"}"#).status == .created)
            try await client.advance(seconds: 61)
            await #expect(throws: RoiCohorts.StaleCount.self) {
                try await RoiCohorts.answer(again, day: day, tally: older, timeZone: zone, database: app.database)
            }
            #expect(try await OrdersAPITests.count("roi_changes", in: app.database) == 0)
            try await expectAgrees("a late answer refused")

            // Eight instances answer the same marks at once: one keeps the day, the others are
            // refused and write nothing. Then eight sweeps at once, while a refund marks a day:
            // one takes the turn, and the mark made meanwhile stays for the next.
            #expect(try await client.send(.post, "/api/v1/orders/\(first)/refunds", body: #"{"amount":100,"refund_id":"rf-race"}"#).status == .created)
            let (raced, tally) = try await app.database.read { db in
                (try await RoiCohorts.marks(from: day.start, to: day.end, in: db),
                 try await RoiCohorts.count(from: day.start, to: day.end, dialect: app.database.dialect, in: db))
            }
            #expect(raced.count == 1)
            let keptBy = await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<8 {
                    group.addTask { (try? await RoiCohorts.answer(raced, day: day, tally: tally, timeZone: zone, database: app.database)) != nil }
                }
                return await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
            }
            #expect(keptBy == 1)
            try await expectAgrees("answered at once")
            #expect(try await client.send(.post, "/api/v1/orders/\(paid[1])/refunds", body: #"{"amount":100,"refund_id":"rf-sweep"}"#).status == .created)
            let through = try #require(try await DayRollups(database: app.database).state()).through
            let later = app.clock.now().adding(seconds: 61), during = paid[2]
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 { group.addTask { try await RoiCohorts.refresh(timeZone: zone, through: through, now: later, database: app.database) } }
                group.addTask {
                    _ = try await client.send(.post, "/api/v1/orders/\(during)/refunds", body: #"{"amount":100,"refund_id":"rf-during"}"#)
                }
                try await group.waitForAll()
            }
            try await expectAgrees("swept at once")
            // The next turn is a minute after the one they took.
            try await client.advance(seconds: 122)
            #expect(try await OrdersAPITests.count("roi_changes", in: app.database) == 0)
            try await expectAgrees("swept again")

            // An upgrade: the days rolled up before have no tallies, only marks; reads count them
            // from the rows until the sweep (at once, a backlog) has kept them all.
            try await app.database.write { db in
                try await db.execute("DELETE FROM roi_days")
                try await db.execute("\(unsafeRaw: try #require(RoiCohorts.migration.statements.last))")
            }
            #expect(try await OrdersAPITests.count("roi_changes", in: app.database) >= 4)
            try await expectAgrees("upgraded")
            try await client.advance(seconds: 61)
            #expect(try await OrdersAPITests.count("roi_changes", in: app.database) == 0)
            try await expectAgrees("caught up")

            // A day rolled up with no tally and no mark (by an instance of an earlier release during
            // an upgrade): read from the rows, then marked and kept by the sweep.
            try await app.database.write { db in
                try await db.execute("DELETE FROM roi_days WHERE starts_at = \(bind: day.start.milliseconds)")
            }
            #expect(try await OrdersAPITests.count("roi_changes", in: app.database) == 0)
            try await expectAgrees("a day never kept")
            try await client.advance(seconds: 61)
            #expect(try await OrdersAPITests.count("roi_days WHERE kind = 'product:total' AND starts_at = \(bind: day.start.milliseconds)", in: app.database) == 1)
            #expect(try await OrdersAPITests.count("roi_changes", in: app.database) == 0)
            try await expectAgrees("kept again")

            // What is read is the kept days: a kept total changed by hand (the version moved) shows.
            let path = "/api/v1/reports/roi?by=product&from=\(spans[0].0.rfc3339)&to=\(spans[0].1.rfc3339)"
            let before = (try await client.send(.get, path).json["total"] as? [String: Any])?["gmv"] as? Int
            try await app.database.write { db in
                let whole = try await db.one("SELECT MIN(starts_at) AS s FROM finance_days WHERE starts_at >= \(bind: spans[0].0.milliseconds)")
                    .decode(column: "s", as: Int64.self)
                try await db.execute("UPDATE roi_days SET gmv = gmv + 7 WHERE kind = 'product:total' AND starts_at = \(bind: whole)")
                try await db.execute("UPDATE rollup_state SET roi_version = roi_version + 1")
            }
            let after = (try await client.send(.get, path).json["total"] as? [String: Any])?["gmv"] as? Int
            #expect(before.map { $0 + 7 } == after)

            // A new time zone starts the rollups over: the version that names every kept sum
            // moves, so the sum with the hand-made 7 is never read again, and the days of the new
            // zone agree with the rows, before and after they are kept.
            func version() async throws -> Int64 {
                try await app.database.read { db in
                    try await db.one("SELECT roi_version FROM rollup_state WHERE id = 1").decode(column: "roi_version", as: Int64.self)
                }
            }
            let old = try await version()
            #expect(try await client.send(.put, "/api/v1/program", body: #"{"time_zone":"America/Los_Angeles"}"#).status == .ok)
            try await client.advance(seconds: 61)
            #expect(try await version() > old)
            #expect((try await client.send(.get, path).json["total"] as? [String: Any])?["gmv"] as? Int == before)
            try await expectAgrees("in a new time zone")
            try await client.advance(seconds: 61)
            #expect(try await OrdersAPITests.count("roi_days WHERE kind = 'product:total'", in: app.database) >= 4)
            try await expectAgrees("kept in the new time zone")
            try await client.expectBalanced()
        }
    }

    /// The day of the program's time zone in which `orderID` was paid.
    static func paymentDay(of orderID: String, zone: String, app: TuikeApp) async throws -> CalendarDays.Day? {
        let at = try await app.database.read { db in
            try await db.one("SELECT created_at FROM payments WHERE order_id = \(bind: orderID)").decode(column: "created_at", as: Int64.self)
        }
        return try CalendarDays.days(from: Instant(milliseconds: at), to: Instant(milliseconds: at), timeZone: zone).first
    }

    /// The API's rows and total for `grouping` over `[from, to)` equal a plain count of the rows.
    static func expectAgrees(_ grouping: RoiTally.Grouping, from: Instant, to: Instant, client: any TestClientProtocol,
                             app: TuikeApp, _ moment: String) async throws {
        let key: SQLQueryString = switch grouping {
        case .product: "i.product_id"
        case .promoter: "COALESCE(o.promoter_id, '')"
        case .campaign: "i.rule_source"
        }
        let only: SQLQueryString = grouping == .campaign ? "AND i.rule_source LIKE 'campaign:%'" : ""
        let rows = try await app.database.read { db in
            try await db.rows("""
                SELECT \(key) AS k, COUNT(DISTINCT o.id) AS orders, CAST(SUM(i.paid) AS BIGINT) AS gmv, CAST(SUM(i.refunded) AS BIGINT) AS refunded,
                    CAST(SUM(CASE WHEN o.promoter_id IS NOT NULL AND o.self_referral = 0 THEN i.paid ELSE 0 END) AS BIGINT) AS through,
                    CAST(SUM((SELECT COALESCE(SUM(m.amount - m.reversed), 0) FROM commissions m WHERE m.order_item_id = i.id AND m.kind = 'order')) AS BIGINT) AS commission
                FROM payments p JOIN orders o ON o.id = p.order_id JOIN order_items i ON i.order_id = o.id
                WHERE p.created_at >= \(bind: from.milliseconds) AND p.created_at < \(bind: to.milliseconds) \(only) GROUP BY \(key)
                """).map { row in
                [try row.decode(column: "k", as: String.self)] + (try ["orders", "gmv", "refunded", "commission"].map { String(try row.decode(column: $0, as: Int64.self)) })
            }
        }
        let response = try await client.send(.get, "/api/v1/reports/roi?by=\(grouping.rawValue)&from=\(from.rfc3339)&to=\(to.rfc3339)")
        #expect(response.status == .ok, "\(response.text)")
        let served = (response.json["data"] as? [[String: Any]] ?? []).map { row in
            [row["key"] as? String ?? "?"] + ["orders", "gmv", "refunded", "commission"].map { String(row[$0] as? Int ?? -1) }
        }
        #expect(served.sorted { $0.lexicographicallyPrecedes($1) } == rows.sorted { $0.lexicographicallyPrecedes($1) }, "\(grouping) \(moment)")
        #expect(!rows.isEmpty, "\(grouping) \(moment)")
        let total = response.json["total"] as? [String: Any] ?? [:]
        let orders = Set(try await app.database.read { db in
            try await db.rows("""
                SELECT DISTINCT p.order_id FROM payments p JOIN order_items i ON i.order_id = p.order_id
                WHERE p.created_at >= \(bind: from.milliseconds) AND p.created_at < \(bind: to.milliseconds) \(only)
                """).map { try $0.decode(column: "order_id", as: String.self) }
        })
        #expect(total["orders"] as? Int == orders.count, "\(grouping) \(moment)")
        #expect(total["gmv"] as? Int == rows.reduce(0) { $0 + (Int($1[2]) ?? 0) }, "\(grouping) \(moment)")
    }
}
