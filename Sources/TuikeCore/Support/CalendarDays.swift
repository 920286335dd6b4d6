import Foundation

/// Calendar days of the program's time zone as UTC ranges (docs/rules.md §1: periods use the program's
/// time zone). DST days are 23 or 25 hours long; the ranges follow.
public enum CalendarDays {
    public struct Day: Equatable, Sendable {
        public let label: String   // yyyy-MM-dd in the time zone
        public let start: Instant
        public let end: Instant
    }

    public static let maxDays = 366

    /// The days from the one containing `from` through the one containing `to`.
    public static func days(from: Instant, to: Instant, timeZone identifier: String) throws(TuikeError) -> [Day] {
        guard let zone = TimeZone(identifier: identifier) else { throw .validation("unknown time zone \(identifier)") }
        guard from <= to else { throw .validation("from must not be after to") }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        var start = calendar.startOfDay(for: from.date)
        var days: [Day] = []
        while start <= to.date {
            guard days.count < maxDays, let next = calendar.date(byAdding: .day, value: 1, to: start) else {
                throw .validation("a range is at most \(maxDays) days")
            }
            let parts = calendar.dateComponents([.year, .month, .day], from: start)
            let label = String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
            days.append(Day(label: label, start: Instant(start), end: Instant(next)))
            start = next
        }
        return days
    }

    /// Parses `yyyy-MM-dd` as the start of that day in the time zone.
    /// Strict: exactly `yyyy-MM-dd` with a month and day that exist (`2026-13-01` is nil, not
    /// 2027-01-01).
    public static func startOfDay(_ text: String, timeZone identifier: String) -> Instant? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }),
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
              (1...12).contains(month), (1...Int(Instant.daysIn(month: Int64(month), year: Int64(year)))).contains(day),
              let zone = TimeZone(identifier: identifier) else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        guard let date = calendar.date(from: DateComponents(year: year, month: month, day: day)) else { return nil }
        return Instant(date)
    }
}

public enum CalendarMonth {
    /// The first instant of the calendar month containing `instant`, in the time zone.
    public static func start(of instant: Instant, timeZone identifier: String) throws(TuikeError) -> Instant {
        guard let zone = TimeZone(identifier: identifier) else { throw .validation("unknown time zone \(identifier)") }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        guard let start = calendar.date(from: calendar.dateComponents([.year, .month], from: instant.date)) else {
            throw .validation("no calendar month contains \(instant)")
        }
        return Instant(start)
    }
}

/// A calendar day, week (from Monday) or month of the program's time zone: the periods of
/// leaderboards and badges.
public enum CalendarPeriod: String, Sendable, CaseIterable {
    case day, week, month

    /// The period containing `instant`: `[start, end)` in UTC.
    public func bounds(at instant: Instant, timeZone: String) throws(TuikeError) -> (start: Instant, end: Instant) {
        let calendar = try SettlementPeriod.calendar(timeZone)
        let component: Calendar.Component = switch self {
        case .day: .day
        case .week: .weekOfYear
        case .month: .month
        }
        guard let interval = calendar.dateInterval(of: component, for: instant.date) else {
            throw .validation("no \(rawValue) contains \(instant)")
        }
        return (Instant(interval.start), Instant(interval.end))
    }
}
