import Foundation
import SQLKit
import Testing
import TuikeCore
@testable import TuikeStore
import TuikeTestSupport

@Suite struct DayRollupTests {
    /// A school with more than a year behind it when the rollups first run (an upgrade): every
    /// call rolls up at most `daysPerCall` days, calls catch up to yesterday, and each day's
    /// clicks land on their own day of the time zone. A new time zone starts them again.
    @Test(arguments: TestDatabase.available)
    func rollupsCatchUpOnYearsOfHistory(_ kind: TestDatabase) async throws {
        try await kind.withDatabase { database in
            let (now, opened) = try await Self.fourClicksOverAYear(database)
            let rollups = DayRollups(database: database)
            var calls = 0
            while try await rollups.advance(timeZone: "Asia/Shanghai", now: now) > 0 { calls += 1 }
            #expect(calls == 13, "400 days, 31 a call")
            let state = try #require(try await rollups.state())
            let today = try #require(try CalendarDays.days(from: now, to: now, timeZone: "Asia/Shanghai").first)
            #expect(state.through == today.start)
            let total = try await rollups.figures(.link("lnk_1"), from: opened, to: now)
            #expect(total.clicks == 4 && total.visitors == 3)
            let rows = try await database.read { db in
                try await db.rows("SELECT day, clicks FROM day_rollups WHERE scope = 'link:lnk_1' ORDER BY day").map {
                    (try $0.decode(column: "day", as: String.self), try $0.decode(column: "clicks", as: Int64.self))
                }
            }
            #expect(rows.map(\.1) == [1, 2, 1])
            let traffic = try await rollups.traffic(.link("lnk_1"), days: try CalendarDays.days(from: now.adding(seconds: -3 * 86_400), to: now,
                                                                                              timeZone: "Asia/Shanghai"), timeZone: "Asia/Shanghai")
            #expect(traffic.clicks == 1 && traffic.daily.count == 4)

            #expect(try await rollups.advance(timeZone: "Europe/Berlin", now: now) == DayRollups.daysPerCall)
            #expect(try await rollups.state()?.timeZone == "Europe/Berlin")
        }
    }

    /// Several instances sweep at once (on PostgreSQL each with its own connections): every day
    /// is still rolled up exactly once, and the all-time totals count each day once.
    @Test(arguments: TestDatabase.available)
    func concurrentSweepsRollEachDayUpOnce(_ kind: TestDatabase) async throws {
        try await kind.withDatabase { database in
            let (now, _) = try await Self.fourClicksOverAYear(database)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<6 {
                    group.addTask {
                        let rollups = DayRollups(database: database)
                        // A sweep that lost a day to another returns early; each goes on until
                        // nothing is left, as the every-second sweep would.
                        var calls = 0
                        while calls < 2_000, try await rollups.advance(timeZone: "Asia/Shanghai", now: now) > 0 { calls += 1 }
                    }
                }
                try await group.waitForAll()
            }
            let (rows, clicks, total) = try await database.read { db in
                let rows = try await db.one("SELECT COUNT(*) AS n FROM day_rollups WHERE scope = 'link:lnk_1'").decode(column: "n", as: Int64.self)
                let clicks = try await db.one("SELECT CAST(SUM(clicks) AS BIGINT) AS n FROM day_rollups WHERE scope = 'link:lnk_1'").decode(column: "n", as: Int64.self)
                let total = try await db.one("SELECT clicks FROM scope_totals WHERE scope = 'link:lnk_1'").decode(column: "clicks", as: Int64.self)
                return (rows, clicks, total)
            }
            let state = try await DayRollups(database: database).state()
            #expect(rows == 3 && clicks == 4 && total == 4, "\(rows) \(clicks) \(total) \(String(describing: state))")
            let today = try #require(try CalendarDays.days(from: now, to: now, timeZone: "Asia/Shanghai").first)
            #expect(try await DayRollups(database: database).state()?.through == today.start)
        }
    }

    /// A promoter with a link since 400 days before `now`, and four clicks on three days of it.
    static func fourClicksOverAYear(_ database: any Database) async throws -> (now: Instant, opened: Instant) {
        let now = Instant(milliseconds: 1_796_000_000_000)
        let opened = now.adding(seconds: -400 * 86_400)
        try await database.write { db in
            try await db.execute("""
                INSERT INTO promoters (id, name, status, invite_code, created_at, updated_at)
                VALUES ('prm_1', 'P', 'active', 'P1', \(bind: opened.milliseconds), \(bind: opened.milliseconds))
                """)
            try await db.execute("""
                INSERT INTO links (id, code, promoter_id, status, created_at)
                VALUES ('lnk_1', 'c1', 'prm_1', 'active', \(bind: opened.milliseconds))
                """)
        }
        // One click a day at 00:30 Shanghai time (16:30 UTC the day before), two on day 100.
        var clicks: [ClickRecord] = []
        for day in [1, 100, 100, 398] {
            let at = opened.adding(seconds: Int64(day) * 86_400 + Int64(clicks.count))
            clicks.append(ClickRecord(id: Identifier.make("clk", at: at), linkID: "lnk_1", promoterID: "prm_1", productID: nil,
                                      visitorID: "visitor-\(clicks.count % 3)", at: at, ip: nil, userAgent: nil, referrer: nil, isBot: false))
        }
        try await ClickRepository(database: database).insert(clicks)
        return (now, opened)
    }
}
