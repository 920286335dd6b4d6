import SQLKit
import TuikeCore

/// The closed months a simulation spans whole: their month-end adjustments of retroactive
/// ladders are compared too, booked against the draft's (`LadderMonths`). A month the span cuts
/// is left out on both sides: its adjustment belongs to orders partly outside the span.
struct ClosedMonths: Sendable {
    /// Each month's first instant and the next month's, in milliseconds, in order.
    let months: [(start: Int64, end: Int64)]

    static func spanned(from: Instant, to: Instant, timeZone: String, database: any Database) async throws -> ClosedMonths {
        let closed = try await database.read { db in
            try await db.rows("""
                SELECT month_start, month_end FROM closed_months WHERE month_start >= \(bind: from.milliseconds) AND month_start < \(bind: to.milliseconds)
                ORDER BY month_start
                """).map { (try $0.decode(column: "month_start", as: Int64.self), try $0.decode(column: "month_end", as: Int64?.self)) }
        }
        var months: [(Int64, Int64)] = []
        for (index, (start, stored)) in closed.enumerated() {
            // Each month as it was closed, whatever the time zone is now; months closed before
            // their end was kept end where the next one starts, or as the time zone says.
            let next = index + 1 < closed.count ? closed[index + 1].0 : nil
            let end = try stored ?? next ?? SettlementPeriod.nextMonth(after: Instant(milliseconds: start), timeZone: timeZone).milliseconds
            if end <= to.milliseconds { months.append((start, end)) }
        }
        return ClosedMonths(months: months)
    }

    /// The start of the spanned month `instant` falls in.
    func month(of instant: Instant) -> Int64? {
        months.first { $0.start <= instant.milliseconds && instant.milliseconds < $0.end }?.start
    }

    /// Adds each promoter's month-end adjustments of the spanned months, booked and drafted.
    func addAdjustments(to simulation: inout PlanSimulation, months counts: inout SimulationQuery.MonthCounts, database: any Database) async throws {
        guard let first = months.first, let last = months.last else { return }
        let list = SQLList(months.map { SQLBind($0.start) })
        let ladders = simulation.ladders, keys = ladders.keys
        let gathered = Set(keys.map(\.month))
        let (booked, closes, lines) = try await database.read { db in
            var booked: [LadderMonths.Key: (amount: Int64, net: Int64)] = [:]
            for row in try await db.rows("""
                SELECT c.promoter_id, o.paid_at, c.amount, c.reversed FROM commissions c JOIN orders o ON o.id = c.order_id
                WHERE c.kind = 'tier_adjustment' AND o.paid_at >= \(bind: first.start) AND o.paid_at < \(bind: last.end)
                """) {
                guard let month = month(of: Instant(milliseconds: try row.decode(column: "paid_at", as: Int64.self))) else { continue }
                let key = LadderMonths.Key(promoterID: try row.decode(column: "promoter_id", as: String.self), month: month)
                let amount = try row.decode(column: "amount", as: Int64.self)
                let net = Money.minus(amount, try row.decode(column: "reversed", as: Int64.self))
                booked[key] = (Money.plus(booked[key]?.amount ?? 0, amount), Money.plus(booked[key]?.net ?? 0, net))
            }
            var closes: [LadderMonths.Key: LadderMonths.Close] = [:]
            var lines: [String: LadderMonths.LineClose] = [:]
            guard !gathered.isEmpty else { return (booked, closes, lines) }
            for row in try await db.rows("SELECT month_start, promoter_id, month_orders, bonus_bps FROM tier_close_months WHERE month_start IN (\(list))") {
                let key = LadderMonths.Key(promoterID: try row.decode(column: "promoter_id", as: String.self),
                                           month: try row.decode(column: "month_start", as: Int64.self))
                closes[key] = .init(monthOrders: try row.decode(column: "month_orders", as: Int64.self), bonusBps: try row.decode(column: "bonus_bps", as: Int64.self))
            }
            let wanted = SQLList(gathered.sorted().map { SQLBind($0) })
            for row in try await db.rows("SELECT order_item_id, refunded, excluded FROM tier_close_lines WHERE month_start IN (\(wanted))") {
                lines[try row.decode(column: "order_item_id", as: String.self)] = .init(
                    refunded: try row.decode(column: "refunded", as: Int64.self), excluded: try row.decode(column: "excluded", as: Int64.self) != 0)
            }
            return (booked, closes, lines)
        }
        for key in keys.union(booked.keys).sorted(by: { ($0.month, $0.promoterID) < ($1.month, $1.promoterID) }) {
            let drafted = keys.contains(key)
            let close = closes[key]
            var countNow: Int64 = 0
            if drafted, close == nil, let end = months.first(where: { $0.start == key.month })?.end {
                countNow = try await counts.number(promoterID: key.promoterID, paidAt: Instant(milliseconds: end - 1), database: database)
            }
            let simulated = drafted ? ladders.adjustment(key, close: close, lines: lines, countNow: countNow) : 0
            simulation.addAdjustment(promoterID: key.promoterID, booked: booked[key]?.amount ?? 0, bookedNet: booked[key]?.net ?? 0,
                                     simulated: simulated, approximate: drafted && close == nil)
        }
    }
}
