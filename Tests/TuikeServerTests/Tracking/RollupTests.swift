import Foundation
import Hummingbird
import HummingbirdTesting
import SQLKit
import Testing
import TuikeCore
@testable import TuikeServer
@testable import TuikeStore
import TuikeTestSupport

/// Day rollups (`DayRollups`) against a recount from the raw rows.
@Suite struct RollupTests {
    /// Five days of random traffic and sales over three links of two promoters, with activity
    /// seconds before and after each midnight of the program's time zone, refunds (some after a
    /// settlement, so clawbacks) and withdrawals. The sandbox clock's advances run the rollup sweep.
    /// Every rolled-up day, for every scope, equals a recount from the rows by plain SQL; the
    /// stats endpoints equal the raw daily counts; the finance flows over the whole range equal
    /// one raw count; the dashboard and reconciliation agree.
    @Test(arguments: TestDatabase.available)
    func rollupsEqualARecount(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, app async throws in
            let world = try await OrdersAPITests.world(client)
            let second = try await client.send(.post, "/api/v1/products", body: #"{"title":"Second","price":12345}"#).json["id"] as! String
            let codes = [
                try await client.createLink(promoter: world.b, product: world.product).json["code"] as! String,
                try await client.createLink(promoter: world.a, product: second).json["code"] as! String,
                try await client.createLink(promoter: world.b).json["code"] as! String,
            ]
            let products = [world.product, second]
            var random = SplitMix(seed: 11)
            var paid: [String] = []
            var step = 0
            func activity() async throws {
                for _ in 0..<(3 + random.next(6)) {
                    step += 1
                    let code = codes[random.next(codes.count)], visitor = "rollup-visitor-\(random.next(12))"
                    let bot = random.next(5) == 0 ? #","user_agent":"Googlebot/2.1""# : ""
                    // Some clicks come through shared materials: a QR scan, a poster, a copy text.
                    let source = [#","source":"qr""#, #","source":"p.portrait""#, #","source":"t.cpy_x""#, "", ""][random.next(5)]
                    _ = try await client.send(.post, "/api/v1/track/click", body: #"{"code":"\#(code)","visitor_id":"\#(visitor)"\#(bot)\#(source)}"#)
                    if random.next(3) == 0 {
                        let product = products[random.next(2)]
                        let created = try await client.send(.post, "/api/v1/orders", body: """
                            {"buyer_id":"buyer-\(step)","items":[{"product_id":"\(product)","quantity":\(1 + random.next(2))}],"visitor_id":"\(visitor)"}
                            """)
                        guard let order = created.json["id"] as? String else { continue }
                        if random.next(4) != 0 {
                            _ = try await client.send(.post, "/api/v1/orders/\(order)/paid", body: #"{"payment_id":"pay-\#(step)"}"#)
                            paid.append(order)
                        }
                    }
                    if !paid.isEmpty, random.next(6) == 0 {
                        _ = try await client.send(.post, "/api/v1/orders/\(paid[random.next(paid.count)])/refunds",
                                                  body: #"{"amount":\#(1 + random.next(5_000)),"refund_id":"rf-\#(step)"}"#)
                    }
                }
            }
            let zone = try await ProgramRepository(database: app.database).current().timeZone
            for _ in 0..<5 {
                try await activity()
                // To 20 seconds before the next midnight, busy on both sides of it.
                let now = app.clock.now()
                let midnight = try #require(try CalendarDays.days(from: now, to: now, timeZone: zone).first).end
                try await client.advance(seconds: (midnight.milliseconds - now.milliseconds) / 1000 - 20)
                try await activity()
                try await client.advance(seconds: 30)
                try await activity()
                if random.next(2) == 0 {
                    _ = try await client.send(.post, "/api/v1/withdrawals", body: #"{"promoter_id":"\#(world.b)","amount":10000,"channel":"bank"}"#)
                }
                try await client.advance(seconds: 3 * 3_600)
            }
            // Eight days on, every day has a settlement behind it and has been rolled up.
            try await client.advance(seconds: 8 * 86_400)
            try await client.advance(seconds: 1)
            let rollups = DayRollups(database: app.database)
            let state = try #require(try await rollups.state())
            #expect(state.timeZone == zone)

            let days = try await app.database.read { db in
                try await db.rows("SELECT DISTINCT day, starts_at, ends_at FROM day_rollups ORDER BY day").map {
                    (try $0.decode(column: "day", as: String.self), try $0.decode(column: "starts_at", as: Int64.self), try $0.decode(column: "ends_at", as: Int64.self))
                }
            }
            #expect(days.count >= 5, "\(days)")
            // `t.cpy_x` names no copy template: its clicks count, but it gets no scope of its own.
            let materials = products.flatMap { product in ["qr", "p.portrait"].map { DayFigures.Scope.material(productID: product, key: $0) } }
            #expect(try await OrdersAPITests.count("day_rollups WHERE scope LIKE '%t.cpy_x'", in: app.database) == 0)
            let scopes = [DayFigures.Scope.program, .promoter(world.a), .promoter(world.b), .product(world.product), .product(second)]
                + (try await Self.linkIDs(app.database)).map(DayFigures.Scope.link) + materials
            for (day, start, end) in days {
                for scope in scopes {
                    let rolled = try await app.database.read { db in
                        try await db.first("SELECT * FROM day_rollups WHERE scope = \(bind: scope.key) AND day = \(bind: day)").map(DayRollups.decode)
                    } ?? DayFigures()
                    let recount = try await Self.recount(scope, from: start, to: end, database: app.database)
                    #expect(rolled.clicks == recount[0] && rolled.visitors == recount[1] && rolled.bots == recount[2] && rolled.orders == recount[3]
                            && rolled.paidOrders == recount[4] && rolled.gmv == recount[5] && rolled.refunds == recount[6]
                            && rolled.commissions == recount[7] && rolled.qrClicks == recount[8], "\(scope) on \(day): \(rolled) against \(recount)")
                }
            }
            // All-time totals: every scope's is the sum of its rolled-up days, and a team member's
            // clicks (its total, plus the clicks since the rollups' watermark) are all its clicks.
            let totals = try await app.database.read { db in
                try await db.one("""
                    SELECT (SELECT COUNT(DISTINCT scope) FROM day_rollups) AS scopes, (SELECT COUNT(*) FROM scope_totals) AS kept,
                        (SELECT COUNT(*) FROM scope_totals t JOIN (
                            SELECT scope, SUM(clicks) AS clicks, SUM(bots) AS bots, SUM(orders) AS orders, SUM(paid_orders) AS paid, SUM(gmv) AS gmv,
                                SUM(refunds) AS refunds, SUM(refunded) AS refunded, SUM(commissions) AS commissions, SUM(reversed) AS reversed
                            FROM day_rollups GROUP BY scope) r ON r.scope = t.scope
                         WHERE t.clicks = r.clicks AND t.bots = r.bots AND t.orders = r.orders AND t.paid_orders = r.paid AND t.gmv = r.gmv
                            AND t.refunds = r.refunds AND t.refunded = r.refunded AND t.commissions = r.commissions AND t.reversed = r.reversed) AS agree
                    """)
            }
            let (scopeCount, kept, agree) = (try totals.decode(column: "scopes", as: Int.self), try totals.decode(column: "kept", as: Int.self),
                                             try totals.decode(column: "agree", as: Int.self))
            #expect(scopeCount > 0 && kept == scopeCount && agree == scopeCount)
            _ = try await client.send(.post, "/api/v1/track/click", body: #"{"code":"\#(codes[0])","visitor_id":"after-the-watermark"}"#)
            // A refund after the watermark counts at once in the member's sales.
            let orderOfB = try await app.database.read { db in
                try await db.one("SELECT MIN(id) AS id FROM orders WHERE promoter_id = \(bind: world.b) AND paid_at IS NOT NULL AND status <> 'refunded'")
                    .decode(column: "id", as: String.self)
            }
            let late = try await client.send(.post, "/api/v1/orders/\(orderOfB)/refunds", body: #"{"amount":100,"refund_id":"after-the-watermark"}"#)
            #expect(late.status.code < 300, "\(late.text)")
            let team = try await client.send(.get, "/api/v1/promoters/\(world.a)/team")
            let member = (team.json["data"] as? [[String: Any]] ?? []).first { $0["id"] as? String == world.b }
            let clicksOfB = try await app.database.read { db in
                try await db.one("SELECT COUNT(*) AS n FROM clicks c JOIN links l ON l.id = c.link_id WHERE l.promoter_id = \(bind: world.b) AND c.is_bot = 0")
                    .decode(column: "n", as: Int.self)
            }
            #expect(clicksOfB > 1 && member?["clicks"] as? Int == clicksOfB, "\(team.text)")
            // B's own sales, rolled up and since: every payment of its orders less every refund.
            let salesOfB = try await app.database.read { db in
                try await db.one("""
                    SELECT (SELECT COUNT(*) FROM payments x JOIN orders o ON o.id = x.order_id WHERE o.promoter_id = \(bind: world.b)) AS n,
                        CAST((SELECT COALESCE(SUM(x.amount), 0) FROM payments x JOIN orders o ON o.id = x.order_id WHERE o.promoter_id = \(bind: world.b))
                        - (SELECT COALESCE(SUM(x.amount), 0) FROM refunds x JOIN orders o ON o.id = x.order_id WHERE o.promoter_id = \(bind: world.b)) AS BIGINT) AS g
                    """)
            }
            #expect(try salesOfB.decode(column: "n", as: Int.self) > 0)
            #expect(member?["paid_orders"] as? Int == (try salesOfB.decode(column: "n", as: Int.self)), "\(team.text)")
            #expect(member?["gmv"] as? Int == (try salesOfB.decode(column: "g", as: Int.self)), "\(team.text)")
            // The dashboard's sums for a day not rolled up say what the rollup of that day says.
            for (_, start, end) in days {
                let (summed, earned) = try await app.database.read { db in
                    try await DayFigures.program(from: Instant(milliseconds: start), to: Instant(milliseconds: end), dialect: app.database.dialect, in: db)
                }
                let counted = try await app.database.read { db in
                    try await DayFigures.count(from: Instant(milliseconds: start), to: Instant(milliseconds: end), dialect: app.database.dialect, in: db)
                }
                #expect(summed == counted[.program] ?? DayFigures())
                for (scope, figures) in counted {
                    if case .promoter(let id) = scope { #expect(earned[id, default: 0] == figures.commissions - figures.reversed) }
                    // One scope read through its own rows says what the count of all says.
                    let one = try await app.database.read { db in
                        try await DayFigures.one(scope, from: Instant(milliseconds: start), to: Instant(milliseconds: end), dialect: app.database.dialect, in: db)
                    }
                    #expect(one == figures, "\(scope)")
                }
            }
            // The stats pages, rolled-up days and today alike, say what the clicks say.
            for code in codes {
                let stats = try await client.send(.get, "/api/v1/links/\(code)/stats?from=\(days[0].0)")
                let link = try #require(try await LinkRepository(database: app.database).find(code: code))
                let daily = try await ClickRecount.daily(.link(link.id), days: try CalendarDays.days(
                    from: Instant(milliseconds: days[0].1), to: app.clock.now(), timeZone: zone), database: app.database)
                let served = (stats.json["days"] as? [[String: Any]] ?? []).map { [$0["pv"] as? Int, $0["uv"] as? Int, $0["bots"] as? Int] }
                #expect(served == daily.map { [Int($0.pv), Int($0.uv), Int($0.bots)] }, "\(code): \(stats.text)")
                let totals = stats.json["totals"] as? [String: Any] ?? [:]
                #expect(totals["pv"] as? Int == Int(daily.reduce(0) { $0 + $1.pv }) && totals["uv_estimated"] as? Bool == false)
                let visitors = try await app.database.read { db in
                    try await db.one("SELECT COUNT(DISTINCT visitor_id) AS n FROM clicks WHERE link_id = \(bind: link.id) AND is_bot = 0").decode(column: "n", as: Int.self)
                }
                #expect(totals["uv"] as? Int == visitors, "distinct visitors over the range, not a sum of days")
            }
            // Flows over the whole range: the rollups and the edges counted raw equal one raw count.
            let (from, to) = (Instant(milliseconds: days[0].1 + 3_600_000), app.clock.now())
            let rolledFlows = try await rollups.finance(from: from, to: to)
            let rawFlows = try await app.database.read { db in try await FinanceFigures.count(from: from, to: to, dialect: app.database.dialect, in: db) }
            #expect(rolledFlows == rawFlows)
            #expect(rolledFlows.reversed > 0 || rolledFlows.refunded == 0)
            try await client.expectBalanced()
            #expect(try await client.send(.get, "/admin/login", headers: [:]).status == .ok)
        }
    }

    /// Today so far (`OpenDay`): the dashboard and the reconciliation read its row and count only
    /// the rows after it, and say what a count of all today's rows says, right after the sweep
    /// recounted it and after more activity it has not seen.
    @Test(arguments: TestDatabase.available)
    func todaySoFarEqualsARecount(database kind: TestDatabase) async throws {
        try await withTestApp(kind) { client, app async throws in
            let world = try await OrdersAPITests.world(client)
            let code = try await client.createLink(promoter: world.b, product: world.product).json["code"] as! String
            let zone = try await ProgramRepository(database: app.database).current().timeZone
            // Two hours into the next day: today's count then has rows before and after it.
            let start = app.clock.now()
            let next = try #require(try CalendarDays.days(from: start, to: start, timeZone: zone).first).end
            try await client.advance(seconds: (next.milliseconds - start.milliseconds) / 1000 + 7_200)
            var step = 0
            func activity() async throws {
                for visitor in 0..<4 {
                    step += 1
                    _ = try await client.send(.post, "/api/v1/track/click", body: #"{"code":"\#(code)","visitor_id":"today-\#(step)-\#(visitor)"}"#)
                }
                // A visitor who came back: one of today's visitors again, whatever the count saw.
                _ = try await client.send(.post, "/api/v1/track/click", body: #"{"code":"\#(code)","visitor_id":"today-1-0"}"#)
                let order = try await client.send(.post, "/api/v1/orders", body: """
                    {"buyer_id":"buyer-\(step)","items":[{"product_id":"\(world.product)","quantity":1}],"visitor_id":"today-\(step)-0"}
                    """).json["id"] as! String
                _ = try await client.send(.post, "/api/v1/orders/\(order)/paid", body: #"{"payment_id":"pay-\#(step)"}"#)
                _ = try await client.send(.post, "/api/v1/orders/\(order)/refunds", body: #"{"amount":1000,"refund_id":"rf-\#(step)"}"#)
            }
            func expectAgrees(_ moment: String) async throws {
                let now = app.clock.now()
                let today = try #require(try CalendarDays.days(from: now, to: now, timeZone: zone).first)
                let shown = try await DashboardQuery(database: app.database).figures(days: [today], timeZone: zone, chartDays: 1)
                let (raw, earned) = try await app.database.read { db in
                    try await DayFigures.program(from: today.start, to: today.end, dialect: app.database.dialect, in: db)
                }
                #expect(shown.gmv == raw.gmv && shown.paidOrders == raw.paidOrders && shown.orders == raw.orders && shown.clicks == raw.clicks
                        && shown.visitors == raw.visitors && shown.commissionCost == raw.commissions - raw.reversed, "\(moment): \(shown) against \(raw)")
                #expect(shown.top.map(\.amount) == earned.values.filter { $0 != 0 }.sorted(by: >).prefix(5).map { $0 }, "\(moment)")
                let flows = try await DayRollups(database: app.database).finance(from: today.start, to: now)
                let counted = try await app.database.read { db in
                    try await FinanceFigures.count(from: today.start, to: now, dialect: app.database.dialect, in: db)
                }
                #expect(flows == counted, "\(moment)")
                // Today's board (the open day's row plus the minutes since) against a recount.
                let board = try await LeaderboardQuery(database: app.database).board(.day, metric: .gmv, at: now, timeZone: zone, limit: 10)
                let sales = try await app.database.read { db in
                    try await PromoterSums.count(from: today.start, to: today.end, dialect: app.database.dialect, in: db)
                }
                let gmvs: [Int64] = sales.values.map(\.gmv).filter { $0 > 0 }.sorted(by: >)
                let shownGMV: [Int64] = board.entries.map(\.value)
                #expect(shownGMV == gmvs, "\(moment)")
                let orders = try await LeaderboardQuery(database: app.database).board(.day, metric: .orders, at: now, timeZone: zone, limit: 10)
                let counts: [Int64] = sales.values.map(\.orders).filter { $0 > 0 }.sorted(by: >)
                let shownOrders: [Int64] = orders.entries.map(\.value)
                #expect(shownOrders == counts, "\(moment)")
                // One promoter's and one link's today (their open-day rows plus the minutes since)
                // against a count of their rows, delays from click to payment included.
                let link = try #require(try await Self.linkIDs(app.database).first)
                for scope in [DayFigures.Scope.promoter(world.b), .link(link), .product(world.product)] {
                    let read = try await DayRollups(database: app.database).figures(scope, from: today.start, to: today.end)
                    let raw = try await app.database.read { db in
                        try await DayFigures.one(scope, from: today.start, to: today.end, dialect: app.database.dialect, in: db)
                    }
                    #expect(read == raw, "\(moment) \(scope): \(read) against \(raw)")
                }
                // The promoter's and the link's traffic of today (the stats pages and the portal).
                for (scope, counted) in [(ClickRepository.Scope.promoter(world.b), DayFigures.Scope.promoter(world.b)), (.link(link), .link(link))] {
                    let traffic = try await DayRollups(database: app.database).traffic(scope, days: [today], timeZone: zone)
                    let raw = try await app.database.read { db in
                        try await DayFigures.one(counted, from: today.start, to: today.end, dialect: app.database.dialect, in: db)
                    }
                    #expect([traffic.clicks, traffic.visitors, traffic.bots, traffic.qr] == [raw.clicks, raw.visitors, raw.bots, raw.qrClicks],
                            "\(moment) \(scope): \(traffic) against \(raw)")
                }
            }
            try await activity()
            try await client.advance(seconds: 300)
            try await activity()
            try await client.advance(seconds: 200)
            let kept = try await app.database.read { db in try await OpenDay.read(in: db) }
            let now = app.clock.now()
            let today = try #require(try CalendarDays.days(from: now, to: now, timeZone: zone).first)
            #expect(kept?.day == today.label && kept.map { $0.through > today.start && $0.figures.paidOrders > 0 } == true, "\(String(describing: kept))")
            try await expectAgrees("just recounted")
            try await activity()
            try await expectAgrees("with rows after the count")
            try await client.advance(seconds: 90)
            try await activity()
            try await expectAgrees("recounted again")
            // Just past midnight, before yesterday is rolled up: the row still holds yesterday,
            // and the new day is counted from its rows alone.
            let late = app.clock.now()
            let midnight = try #require(try CalendarDays.days(from: late, to: late, timeZone: zone).first).end
            try await client.advance(seconds: (midnight.milliseconds - late.milliseconds) / 1000 + 30)
            try await activity()
            let stale = try await app.database.read { db in try await OpenDay.read(in: db) }
            let newDay = try CalendarDays.days(from: app.clock.now(), to: app.clock.now(), timeZone: zone).first?.label
            #expect(stale != nil && stale?.day != newDay, "\(String(describing: stale?.day)) against \(String(describing: newDay))")
            try await expectAgrees("a new day, the row still yesterday's")
        }
    }

    static func linkIDs(_ database: any Database) async throws -> [String] {
        try await database.read { db in try await db.rows("SELECT id FROM links ORDER BY id").map { try $0.decode(column: "id", as: String.self) } }
    }

    /// clicks, visitors, bots, orders, paid orders, GMV, refunds, commissions of a scope in
    /// `[start, end)`, each by its own plain query.
    static func recount(_ scope: DayFigures.Scope, from start: Int64, to end: Int64, database: any Database) async throws -> [Int64] {
        let (clickScope, orderScope, commissionScope, lineScope): (SQLQueryString, SQLQueryString, SQLQueryString, SQLQueryString?)
        switch scope {
        case .program: (clickScope, orderScope, commissionScope, lineScope) = ("1 = 1", "1 = 1", "1 = 1", nil)
        case .link(let id):
            (clickScope, orderScope, commissionScope, lineScope) = ("c.link_id = \(bind: id)",
                "o.attribution_click_id IN (SELECT id FROM clicks WHERE link_id = \(bind: id))",
                "m.order_id IN (SELECT o.id FROM orders o WHERE o.attribution_click_id IN (SELECT id FROM clicks WHERE link_id = \(bind: id)))", nil)
        case .promoter(let id): (clickScope, orderScope, commissionScope, lineScope) = ("c.promoter_id = \(bind: id)", "o.promoter_id = \(bind: id)", "m.promoter_id = \(bind: id)", nil)
        case .product(let id):
            (clickScope, orderScope, commissionScope, lineScope) = ("c.product_id = \(bind: id)", "1 = 0",
                "m.order_item_id IN (SELECT id FROM order_items WHERE product_id = \(bind: id))", "i.product_id = \(bind: id)")
        case .material(let product, let key):
            // Human clicks through the material, and the orders those clicks led to; no commissions.
            let through: SQLQueryString = "product_id = \(bind: product) AND source = \(bind: key)"
            // Bot clicks count for no material.
            (clickScope, orderScope, commissionScope, lineScope) = ("c.\(through) AND c.is_bot = 0", "o.attribution_click_id IN (SELECT id FROM clicks WHERE \(through))", "1 = 0", nil)
        }
        return try await database.read { db in
            func number(_ query: SQLQueryString) async throws -> Int64 {
                try await db.one("SELECT CAST(COALESCE((\(query)), 0) AS BIGINT) AS n").decode(column: "n", as: Int64.self)
            }
            let clicks: SQLQueryString = "FROM clicks c WHERE \(clickScope) AND c.at >= \(bind: start) AND c.at < \(bind: end)"
            let lines: SQLQueryString = lineScope.map { "FROM order_items i JOIN orders o ON o.id = i.order_id WHERE \($0)" } ?? "FROM orders o WHERE \(orderScope)"
            let payments: SQLQueryString = lineScope.map { "FROM payments p JOIN order_items i ON i.order_id = p.order_id WHERE \($0)" }
                ?? "FROM payments p JOIN orders o ON o.id = p.order_id WHERE \(orderScope)"
            let refunds: SQLQueryString = lineScope.map { "FROM refunds r JOIN order_items i ON i.order_id = r.order_id WHERE \($0)" }
                ?? "FROM refunds r JOIN orders o ON o.id = r.order_id WHERE \(orderScope)"
            return [
                try await number("SELECT COUNT(*) \(clicks) AND c.is_bot = 0"),
                try await number("SELECT COUNT(DISTINCT c.visitor_id) \(clicks) AND c.is_bot = 0"),
                try await number("SELECT COUNT(*) \(clicks) AND c.is_bot = 1"),
                try await number("SELECT COUNT(*) \(lines) AND o.created_at >= \(bind: start) AND o.created_at < \(bind: end)"),
                try await number("SELECT COUNT(*) \(payments) AND p.created_at >= \(bind: start) AND p.created_at < \(bind: end)"),
                try await number("SELECT SUM(\(unsafeRaw: lineScope == nil ? "p.amount" : "i.paid")) \(payments) AND p.created_at >= \(bind: start) AND p.created_at < \(bind: end)"),
                try await number("SELECT COUNT(*) \(refunds) AND r.created_at >= \(bind: start) AND r.created_at < \(bind: end)"),
                try await number("SELECT SUM(m.amount) FROM commissions m WHERE \(commissionScope) AND m.created_at >= \(bind: start) AND m.created_at < \(bind: end)"),
                try await number("SELECT COUNT(*) \(clicks) AND c.is_bot = 0 AND (c.source = 'qr' OR c.source LIKE 'p.%')"),
            ]
        }
    }
}
