import SQLKit
import TuikeCore
import TuikeStore

/// Traffic per day counted straight from the clicks by plain SQL: the oracle the rollups and the
/// stats pages are compared with (the server itself reads finished days from the rollups).
public enum ClickRecount {
    public enum Scope: Sendable {
        case promoter(String)
        case link(String)
    }

    public struct DayStats: Sendable, Equatable {
        public let day: String
        public let pv: Int64
        public let uv: Int64
        public let bots: Int64
        public let qr: Int64
    }

    /// PV (human clicks), UV (distinct human visitors), bot clicks and QR scans for each day, in order.
    public static func daily(_ scope: Scope, days: [CalendarDays.Day], database: any Database) async throws -> [DayStats] {
        try await database.read { db in
            var result: [DayStats] = []
            for day in days {
                let filter: SQLQueryString
                switch scope {
                case .promoter(let id): filter = "c.link_id IN (SELECT l.id FROM links l WHERE l.promoter_id = \(bind: id))"
                case .link(let id): filter = "c.link_id = \(bind: id)"
                }
                let row = try await db.first("""
                    SELECT COUNT(CASE WHEN c.is_bot = 0 THEN 1 END) AS pv, COUNT(DISTINCT CASE WHEN c.is_bot = 0 THEN c.visitor_id END) AS uv,
                        COUNT(CASE WHEN c.is_bot = 1 THEN 1 END) AS bots,
                        COUNT(CASE WHEN c.is_bot = 0 AND (c.source = 'qr' OR c.source LIKE 'p.%') THEN 1 END) AS qr
                    FROM clicks c WHERE c.at >= \(bind: day.start.milliseconds) AND c.at < \(bind: day.end.milliseconds) AND \(filter)
                    """)
                result.append(DayStats(day: day.label, pv: try row?.decode(column: "pv", as: Int64.self) ?? 0,
                                       uv: try row?.decode(column: "uv", as: Int64.self) ?? 0, bots: try row?.decode(column: "bots", as: Int64.self) ?? 0,
                                       qr: try row?.decode(column: "qr", as: Int64.self) ?? 0))
            }
            return result
        }
    }
}
