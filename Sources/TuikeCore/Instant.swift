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

    /// RFC 3339 in UTC with millisecond precision when there is a fraction: `2026-11-21T08:00:00Z`.
    public var rfc3339: String {
        let seconds = Int64((Double(milliseconds) / 1000).rounded(.down))
        let fraction = milliseconds - seconds * 1000
        let base = Date(timeIntervalSince1970: TimeInterval(seconds))
            .formatted(.iso8601.year().month().day().time(includingFractionalSeconds: false).timeZone(separator: .omitted))
        guard fraction != 0 else { return base }
        let digits = String(fraction + 1000).dropFirst()
        return String(base.dropLast()) + "." + digits + "Z"
    }

    /// Parses RFC 3339 (`Z` or an offset, optional fraction).
    public init?(rfc3339 text: String) {
        let fractional = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        let whole = Date.ISO8601FormatStyle()
        if let date = try? whole.parse(text) {
            self.init(date)
        } else if let date = try? fractional.parse(text) {
            self.init(date)
        } else {
            return nil
        }
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
