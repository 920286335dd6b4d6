import Foundation

/// Settlement periods (docs/rules.md §1, §5): weeks start Monday 00:00 and months on the 1st 00:00, in
/// the program's time zone; a scheduled batch runs at each boundary and settles up to it.
public enum SettlementPeriod {
    /// The first boundary strictly after `instant`.
    public static func nextBoundary(after instant: Instant, cycle: ProgramSettings.SettlementCycle, timeZone identifier: String) throws(TuikeError) -> Instant {
        let calendar = try calendar(identifier)
        let components: DateComponents = switch cycle {
        case .weekly: DateComponents(hour: 0, minute: 0, second: 0, nanosecond: 0, weekday: 2)
        case .monthly: DateComponents(day: 1, hour: 0, minute: 0, second: 0, nanosecond: 0)
        }
        guard let next = calendar.nextDate(after: instant.date, matching: components, matchingPolicy: .nextTime) else {
            throw .validation("no \(cycle.rawValue) boundary after \(instant)")
        }
        return Instant(next)
    }

    /// The start of the calendar month after the one containing `instant`.
    public static func nextMonth(after instant: Instant, timeZone identifier: String) throws(TuikeError) -> Instant {
        let calendar = try calendar(identifier)
        let start = try CalendarMonth.start(of: instant, timeZone: identifier)
        guard let next = calendar.date(byAdding: .month, value: 1, to: start.date) else { throw .validation("no month after \(instant)") }
        return Instant(next)
    }

    static func calendar(_ identifier: String) throws(TuikeError) -> Calendar {
        guard let zone = TimeZone(identifier: identifier) else { throw .validation("unknown time zone \(identifier)") }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        calendar.firstWeekday = 2
        return calendar
    }
}

/// One promoter's line of a settlement batch (its statement): the gross of the commissions it
/// settles, the tax withheld on that gross (docs/rules.md §6) and the net credited as available.
public struct StatementLine: Equatable, Sendable {
    public let promoterID: String
    public let gross: Int64
    public let tax: Int64
    public let commissionCount: Int64

    public var net: Int64 { gross - tax }

    public init(promoterID: String, gross: Int64, commissionCount: Int64, taxMode: ProgramSettings.TaxMode) {
        self.promoterID = promoterID
        self.gross = gross
        self.tax = LabourTax.withheld(gross: gross, mode: taxMode)
        self.commissionCount = commissionCount
    }
}
