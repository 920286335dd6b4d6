import Foundation

/// A point in time as whole milliseconds since 1970 UTC: what the database stores and what every
/// rule compares. `Date` appears only at the edges (JSON, calendars).
public struct Instant: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let milliseconds: Int64

    public init(milliseconds: Int64) { self.milliseconds = milliseconds }

    public init(_ date: Date) {
        self.milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    }

    public var date: Date { Date(timeIntervalSince1970: TimeInterval(milliseconds) / 1000) }

    public func adding(seconds: Int64) -> Instant { Instant(milliseconds: milliseconds + seconds * 1000) }
    public func adding(milliseconds delta: Int64) -> Instant { Instant(milliseconds: milliseconds + delta) }

    public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.milliseconds < rhs.milliseconds }

    /// RFC 3339 in UTC: `2026-11-21T08:00:00Z`, with `.123` when there are milliseconds. Written by
    /// hand for years 1583–9999 (every API view has two or three, and Foundation's ISO 8601 format
    /// style was 2 % of the shared pool's time in `bench/orders.sh`); other years go through
    /// Foundation, which writes Julian dates before the Gregorian reform of 1582. A test compares
    /// the two.
    public var rfc3339: String {
        let (seconds, fraction) = milliseconds.floorDivided(by: 1_000)
        let (days, secondOfDay) = seconds.floorDivided(by: 86_400)
        let (year, month, day) = Self.civil(daysSince1970: days)
        guard (1_583...9_999).contains(year) else { return foundationRFC3339 }
        var text: [UInt8] = []
        text.reserveCapacity(24)
        func digits(_ value: Int64, _ count: Int) {
            var divisor: Int64 = 1
            for _ in 1..<count { divisor *= 10 }
            while divisor > 0 {
                text.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
                divisor /= 10
            }
        }
        digits(year, 4); text.append(UInt8(ascii: "-")); digits(month, 2); text.append(UInt8(ascii: "-")); digits(day, 2)
        text.append(UInt8(ascii: "T"))
        digits(secondOfDay / 3_600, 2); text.append(UInt8(ascii: ":")); digits(secondOfDay / 60 % 60, 2)
        text.append(UInt8(ascii: ":")); digits(secondOfDay % 60, 2)
        if fraction != 0 { text.append(UInt8(ascii: ".")); digits(fraction, 3) }
        text.append(UInt8(ascii: "Z"))
        return String(decoding: text, as: UTF8.self)
    }

    /// The proleptic Gregorian date of a day count (Howard Hinnant's `civil_from_days`).
    static func civil(daysSince1970 days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// The same through Foundation's ISO 8601 format style.
    var foundationRFC3339: String {
        let seconds = Int64((Double(milliseconds) / 1000).rounded(.down))
        let fraction = milliseconds - seconds * 1000
        let base = Date(timeIntervalSince1970: TimeInterval(seconds))
            .formatted(.iso8601.year().month().day().time(includingFractionalSeconds: false).timeZone(separator: .omitted))
        guard fraction != 0 else { return base }
        let digits = String(fraction + 1000).dropFirst()
        return String(base.dropLast()) + "." + digits + "Z"
    }

    /// Parses RFC 3339 (`Z` or an offset, optional fraction; digits past the millisecond are
    /// dropped). Foundation parses the rest; the fraction is read here, because through a `Date`
    /// (seconds in a `Double`) `04:09:37.390` came back as 37.389 999… and so as 37.389.
    public init?(rfc3339 text: String) {
        var rest = Substring(text)
        var fraction: Int64 = 0
        if let time = text.firstIndex(of: "T"), let dot = text[time...].firstIndex(of: ".") {
            let digits = text[text.index(after: dot)...].prefix { $0 >= "0" && $0 <= "9" }
            guard !digits.isEmpty else { return nil }
            for digit in (digits.prefix(3) + String(repeating: "0", count: max(0, 3 - digits.count))).utf8 {
                fraction = fraction * 10 + Int64(digit - UInt8(ascii: "0"))
            }
            rest = text[..<dot] + text[digits.endIndex...]
        }
        guard let date = try? Date.ISO8601FormatStyle().parse(String(rest)) else { return nil }
        // Whole seconds, exact in a Double.
        self.init(milliseconds: Int64(date.timeIntervalSince1970.rounded()) * 1_000 + fraction)
    }

    public var description: String { rfc3339 }
}

extension Instant: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let instant = Instant(rfc3339: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected an RFC 3339 time, got \(text)")
        }
        self = instant
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rfc3339)
    }
}

extension Int64 {
    /// Quotient rounded towards minus infinity, and the remainder that goes with it (never negative).
    func floorDivided(by divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let (quotient, remainder) = quotientAndRemainder(dividingBy: divisor)
        return remainder < 0 ? (quotient - 1, remainder + divisor) : (quotient, remainder)
    }
}
