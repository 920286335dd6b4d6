import Hummingbird
import TuikeCore
import TuikeStore

/// `?from=yyyy-MM-dd&to=yyyy-MM-dd` (days of the program's time zone, default the last 30 days)
/// → PV, UV and bot clicks per day and in total, finished days from the rollups.
struct TrafficStats {
    let rollups: DayRollups
    let program: ProgramRepository
    let clock: any TuikeClock

    func response(for scope: ClickRepository.Scope, request: Request) async throws -> Response {
        let zone = try await program.current().timeZone
        let query = request.uri.queryParameters
        guard let today = try CalendarDays.days(from: clock.now(), to: clock.now(), timeZone: zone).first else { throw TuikeError.validation("no day contains now") }
        let to = try query["to"].map { try Self.day(String($0), zone: zone, field: "to") } ?? today.start
        let from = try query["from"].map { try Self.day(String($0), zone: zone, field: "from") } ?? to.adding(seconds: -29 * 86_400)
        let days = try CalendarDays.days(from: from, to: to, timeZone: zone)
        let traffic = try await rollups.traffic(scope, days: days, timeZone: zone)
        guard let first = days.first, let last = days.last else { throw TuikeError.validation("from must not be after to") }
        return try JSONOutput.response(StatsView(
            timeZone: zone, from: first.label, to: last.label,
            totals: .init(pv: traffic.clicks, uv: traffic.visitors, uvEstimated: traffic.visitorsEstimated, bots: traffic.bots, qr: traffic.qr),
            days: traffic.daily.map { .init(day: $0.day, pv: $0.pv, uv: $0.uv, bots: $0.bots, qr: $0.qr) }))
    }

    static func day(_ text: String, zone: String, field: String) throws(TuikeError) -> Instant {
        guard let instant = CalendarDays.startOfDay(text, timeZone: zone) else { throw .validation("\(field) must be a date like 2026-11-21") }
        return instant
    }

    static let parameters: [JSONValue] = [
        Schemas.query("from", ["type": "string", "format": "date"], "First day (program time zone); default 29 days before `to`."),
        Schemas.query("to", ["type": "string", "format": "date"], "Last day; default today."),
    ]
}
