import Foundation
import SQLKit
import TuikeCore

/// The hourly scan (docs/rules.md §16): a promoter's figures against the program's, over the last
/// 30 rolled-up days (conversion far above the program's, refunds over the threshold); promoters
/// in their first day with a sudden volume; and click floods in the last two hours (clicks on one
/// link from one address within one minute). Each fires at most one case per promoter, signal
/// and day, however often the scan runs or on how many instances.
extension RiskRepository {
    public func scan(at now: Instant) async throws {
        // Sightings older than the longest self-purchase window are never read again.
        let oldest = now.adding(seconds: -Money.times(RiskRule.thresholdRange(.selfPurchaseIP).upperBound, 3_600)).milliseconds
        try await database.write { db in try await db.execute("DELETE FROM promoter_sightings WHERE seen_at < \(bind: oldest)") }
        let rules = try await self.rules()
        @Sendable func rule(_ code: RiskCode) -> RiskRule { rules.first { $0.code == code } ?? RiskRule.defaultRule(code) }
        let day = String(now.rfc3339.prefix(10))
        var fired: [(promoterID: String, signal: RiskSignal)] = []

        if rule(.conversionAnomaly).mode != .off || rule(.refundAbuse).mode != .off {
            let since = now.adding(seconds: -30 * 86_400).milliseconds
            // The day labels are the program's calendar days; a UTC date a day earlier bounds them
            // from below, so the (day, scope) index finds the month without reading older rows.
            let firstDay = String(now.adding(seconds: -31 * 86_400).rfc3339.prefix(10))
            let rows = try await database.read { db in
                try await db.rows("""
                    SELECT scope, CAST(SUM(clicks) AS BIGINT) AS clicks, CAST(SUM(paid_orders) AS BIGINT) AS paid, CAST(SUM(refunds) AS BIGINT) AS refunds
                    FROM day_rollups WHERE day >= \(bind: firstDay) AND starts_at >= \(bind: since) AND (scope = 'program' OR scope LIKE 'promoter:%') GROUP BY scope
                    """)
            }
            var program = (clicks: Int64(0), paid: Int64(0))
            var promoters: [(id: String, clicks: Int64, paid: Int64, refunds: Int64)] = []
            for row in rows {
                let scope = try row.decode(column: "scope", as: String.self)
                let clicks = try row.decode(column: "clicks", as: Int64?.self) ?? 0, paid = try row.decode(column: "paid", as: Int64?.self) ?? 0
                let refunds = try row.decode(column: "refunds", as: Int64?.self) ?? 0
                if scope == "program" { program = (clicks, paid) } else { promoters.append((String(scope.dropFirst("promoter:".count)), clicks, paid, refunds)) }
            }
            for promoter in promoters {
                if rule(.conversionAnomaly).mode != .off,
                   let signal = RiskSignals.conversionAnomaly(clicks: promoter.clicks, orders: promoter.paid, programClicks: program.clicks,
                                                              programOrders: program.paid, factor: rule(.conversionAnomaly).threshold) {
                    fired.append((promoter.id, signal))
                }
                if rule(.refundAbuse).mode != .off,
                   let signal = RiskSignals.refundAbuse(paidOrders: promoter.paid, refundedOrders: min(promoter.refunds, promoter.paid),
                                                        thresholdBps: rule(.refundAbuse).threshold) {
                    fired.append((promoter.id, signal))
                }
            }
        }

        if rule(.newPromoterBurst).mode != .off {
            let since = now.adding(seconds: -86_400).milliseconds
            let rows = try await database.read { db in
                try await db.rows("""
                    SELECT p.id, p.created_at, (SELECT COUNT(*) FROM orders o WHERE o.promoter_id = p.id AND o.paid_at IS NOT NULL
                        AND o.paid_at >= p.created_at) AS n
                    FROM promoters p WHERE p.created_at >= \(bind: since)
                    """)
            }
            for row in rows {
                if let signal = RiskSignals.newPromoterBurst(joinedAt: try row.decodeInstant(column: "created_at"),
                                                             ordersSinceJoining: try row.decode(column: "n", as: Int64.self), now: now,
                                                             threshold: rule(.newPromoterBurst).threshold) {
                    fired.append((try row.decode(column: "id", as: String.self), signal))
                }
            }
        }

        if rule(.clickFlood).mode != .off {
            let since = now.adding(seconds: -7_200), threshold = rule(.clickFlood).threshold
            let recent: SQLQueryString = "id >= \(bind: Identifier.lowerBound("clk", at: since)) AND at >= \(bind: since.milliseconds)"
            // The busiest minute of each link and pattern: one address, one device, or one user
            // agent on cookie-less clicks (each click a new visitor: addresses rotating, cookies
            // dropped, as a click farm's scripts do).
            let rows = try await database.read { db in
                try await db.rows("""
                    SELECT promoter_id, link_id, pattern, MAX(n) AS n FROM (
                        SELECT promoter_id, link_id, 'address' AS pattern, COUNT(*) AS n FROM clicks WHERE \(recent) AND ip IS NOT NULL
                        GROUP BY promoter_id, link_id, ip, at / 60000 HAVING COUNT(*) >= \(bind: threshold)
                        UNION ALL
                        SELECT promoter_id, link_id, 'device' AS pattern, COUNT(*) AS n FROM clicks WHERE \(recent) AND device_hash IS NOT NULL
                        GROUP BY promoter_id, link_id, device_hash, at / 60000 HAVING COUNT(*) >= \(bind: threshold)
                        UNION ALL
                        SELECT promoter_id, link_id, 'cookieless_user_agent' AS pattern, COUNT(DISTINCT visitor_id) AS n FROM clicks
                        WHERE \(recent) AND user_agent IS NOT NULL
                        GROUP BY promoter_id, link_id, user_agent, at / 60000 HAVING COUNT(DISTINCT visitor_id) >= \(bind: threshold)
                    ) floods GROUP BY promoter_id, link_id, pattern ORDER BY promoter_id, link_id, pattern
                    """)
            }
            // One signal per promoter: the biggest flood.
            var biggest: [String: (clicks: Int64, signal: RiskSignal)] = [:]
            for row in rows {
                let promoterID = try row.decode(column: "promoter_id", as: String.self), n = try row.decode(column: "n", as: Int64.self)
                guard let pattern = RiskSignals.FloodPattern(rawValue: try row.decode(column: "pattern", as: String.self)),
                      let signal = RiskSignals.clickFlood(clicksInMinute: n, threshold: threshold, pattern: pattern) else { continue }
                if let known = biggest[promoterID], known.clicks >= n { continue }
                biggest[promoterID] = (n, signal)
            }
            fired += biggest.sorted { $0.key < $1.key }.map { ($0.key, $0.value.signal) }
        }

        for (promoterID, signals) in Dictionary(grouping: fired, by: \.promoterID).sorted(by: { $0.key < $1.key }) {
            for signal in signals.map(\.signal) {
                try await database.write { db in
                    try await Self.open([signal], promoterID: promoterID, subject: "\(signal.code.rawValue):\(day)", orderID: nil,
                                        holding: .promoter(promoterID), rules: rules, at: now, in: db)
                }
            }
        }
    }
}
