import Foundation
import SQLKit
import TuikeCore

/// Month close of retroactive tier ladders (docs/rules.md §4): once a calendar month has ended, every
/// level-1 order commission of that month under a `retroactive` rule is repriced at the tier the
/// promoter reached by month end, and the difference is booked as one `tier_adjustment`
/// commission per promoter and rule. Decisions: the adjustment is tied to the month's last line
/// under that rule (the one that reached the tier), is eligible at month end or, when some of its
/// lines are still frozen then (goods not yet received, a group not yet succeeded), when the last
/// of them is (`TierAdjustmentDates`); refunds never reverse it; refunded lines count at what is
/// left of them; lines split over several promoters (linear attribution) keep what they earned.
enum TierLadderClose {
    static func closeMonths(through end: Instant, settings: ProgramSettings, dialect: Dialect, at now: Instant, in db: any SQLDatabase) async throws {
        let zone = settings.timeZone
        var month: Instant
        if let last = try await db.first("SELECT month_start, month_end FROM closed_months ORDER BY month_start DESC LIMIT 1") {
            // On from where the last close ended, even after a change of time zone: no line is
            // repriced twice.
            let start = Instant(milliseconds: try last.decode(column: "month_start", as: Int64.self))
            month = try last.decode(column: "month_end", as: Int64?.self).map { Instant(milliseconds: $0) }
                ?? SettlementPeriod.nextMonth(after: start, timeZone: zone)
        } else if let first = try await db.first("SELECT MIN(created_at) AS m FROM commissions")?.decode(column: "m", as: Int64?.self) {
            month = try CalendarMonth.start(of: Instant(milliseconds: first), timeZone: zone)
        } else {
            return
        }
        while true {
            let next = try SettlementPeriod.nextMonth(after: month, timeZone: zone)
            guard next <= end else { return }
            let seen = try await close(month: month, end: next, timeZone: zone, at: now, in: db)
            try await TierCloseInputs.keep(seen, month: month, end: next, dialect: dialect, in: db)
            try await db.execute("""
                INSERT INTO closed_months (month_start, closed_at, month_end) VALUES (\(bind: month.milliseconds), \(bind: now.milliseconds), \(bind: next.milliseconds))
                """)
            month = next
        }
    }

    private struct Earned {
        let commissionID: String
        let orderID: String
        let line: CommissionEngine.Line
        let earned: Int64
        let eligibleAt: Int64
    }

    /// Books the month's adjustments; returns what it saw (`TierCloseInputs`).
    @discardableResult
    static func close(month: Instant, end: Instant, timeZone: String, at now: Instant, in db: any SQLDatabase) async throws -> TierCloseInputs.Seen {
        var seen = TierCloseInputs.Seen()
        let rows = try await db.rows("""
            SELECT c.id, c.order_id, c.promoter_id, c.amount, c.reversed, c.eligible_at, i.id AS item_id, i.product_id, i.quantity, i.paid, i.refunded, i.rule
            FROM commissions c JOIN order_items i ON i.id = c.order_item_id
            WHERE c.kind = 'order' AND c.level = 1 AND c.created_at >= \(bind: month.milliseconds) AND c.created_at < \(bind: end.milliseconds)
                AND c.status NOT IN ('reversed', 'rejected') AND i.retroactive = 1
                AND (SELECT COUNT(*) FROM commissions s WHERE s.order_item_id = c.order_item_id AND s.level = 1 AND s.kind = 'order') = 1
            ORDER BY c.id
            """)
        // Grouped by the decoded rule: the stored JSON's key order is not stable across encodings.
        var groups: [String: [(rule: CommissionRule, lines: [Earned])]] = [:]
        for row in rows {
            let earned = Earned(
                commissionID: try row.decode(column: "id", as: String.self), orderID: try row.decode(column: "order_id", as: String.self),
                line: .init(id: try row.decode(column: "item_id", as: String.self), productID: try row.decode(column: "product_id", as: String.self),
                            quantity: try row.decode(column: "quantity", as: Int64.self),
                            paid: try row.decode(column: "paid", as: Int64.self) - row.decode(column: "refunded", as: Int64.self)),
                earned: try row.decode(column: "amount", as: Int64.self) - row.decode(column: "reversed", as: Int64.self),
                eligibleAt: try row.decode(column: "eligible_at", as: Int64.self))
            seen.refunded[earned.line.id] = try row.decode(column: "refunded", as: Int64.self)
            let rule = try StoredJSON.rules.decode(try row.decode(column: "rule", as: String.self))
            let promoterID = try row.decode(column: "promoter_id", as: String.self)
            if let index = groups[promoterID, default: []].firstIndex(where: { $0.rule == rule }) {
                groups[promoterID, default: []][index].lines.append(earned)
            } else {
                groups[promoterID, default: []].append((rule, [earned]))
            }
        }
        let label = try CalendarDays.days(from: month, to: month, timeZone: timeZone).first.map { String($0.label.prefix(7)) } ?? ""
        for (promoterID, byRule) in groups.sorted(by: { $0.key < $1.key }) {
            let monthOrders = try await CountedOrders.count(promoterID: promoterID, from: month, through: end.adding(milliseconds: -1), in: db)
            let bonus = try await RankRepository.bonusBps(of: promoterID, in: db)
            seen.promoters[promoterID] = LadderMonths.Close(monthOrders: monthOrders, bonusBps: bonus)
            for (rule, lines) in byRule {
                let amount = CommissionEngine.retroactiveAdjustment(rule: rule, orders: lines.map { ($0.line, $0.earned) },
                                                                    monthOrders: monthOrders, rankBonusBps: bonus)
                guard amount > 0, let last = lines.last else { continue }
                let id = Identifier.make("com", at: now)
                let frozen = lines.filter { $0.eligibleAt > end.milliseconds }
                let eligibleAt = frozen.map(\.eligibleAt).max() ?? end.milliseconds
                try await db.execute("""
                    INSERT INTO commissions (id, order_id, order_item_id, promoter_id, level, amount, status, rule_source, basis, eligible_at, created_at, kind)
                    VALUES (\(bind: id), \(bind: last.orderID), \(bind: last.line.id), \(bind: promoterID), 1, \(bind: amount), 'pending',
                        'tier_adjustment', \(bind: "retroactive ladder: \(monthOrders) orders in \(label)"), \(bind: eligibleAt),
                        \(bind: now.milliseconds), 'tier_adjustment')
                    """)
                try await TierAdjustmentDates.link(id, to: frozen.map(\.line.id), notBefore: end, in: db)
                try await JournalRepository.post(.accrual([(promoterID, amount)]), reference: id, at: now, in: db)
                try await Outbox.emit(.commissionCreated(commissionID: id, orderID: last.orderID, promoterID: promoterID, level: 1, amount: amount,
                                                         kind: "tier_adjustment"), at: now, in: db)
            }
        }
        return seen
    }
}
