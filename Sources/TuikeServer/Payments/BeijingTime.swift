import TuikeCore

/// Times as China's payment providers write them: Beijing time (UTC+8, no daylight saving).
enum BeijingTime {
    static let offsetMilliseconds: Int64 = 8 * 3_600_000

    /// `2026-12-04T18:30:00+08:00`, WeChat Pay's form.
    static func rfc3339(_ instant: Instant) -> String {
        String(utcForm(instant).dropLast()) + "+08:00"
    }

    /// `2026-12-04 18:30:00`, Alipay's form.
    static func plain(_ instant: Instant) -> String {
        String(utcForm(instant).dropLast().map { $0 == "T" ? " " : $0 })
    }

    /// Beijing's wall clock written as if it were UTC, to whole seconds: `2026-12-04T18:30:00Z`.
    private static func utcForm(_ instant: Instant) -> String {
        let seconds = max(instant.milliseconds, 0) / 1_000 * 1_000
        return Instant(milliseconds: seconds + offsetMilliseconds).rfc3339
    }
}
