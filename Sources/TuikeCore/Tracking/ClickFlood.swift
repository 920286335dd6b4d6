import Synchronization

/// Clicks without a visitor cookie from one address and user agent on one link within the
/// dedupe window (60 s) are one visitor clicking again, not new visitors: a script that drops its
/// cookie on every request (1,000 clicks in 2 s) would otherwise count 1,000 visitors. The first
/// such click counts; the rest are recorded as bots, so they count neither as page views nor as
/// visitors, are never attributed, and stay visible (the `bots` figure) as a flood signal.
///
/// Held in memory per instance, at most `capacity` keys: what it forgets (a restart, another
/// instance) only lets a click count that would otherwise not have.
public final class ClickFlood: Sendable {
    private struct Key: Hashable { let link: String; let address: String; let userAgent: String }
    /// Two generations of first sightings: a key is looked up in both, written to the current one,
    /// and the current one becomes the previous one every window (or when it is half the
    /// capacity), so memory stays bounded and no call ever walks the whole map.
    private struct Generations {
        var current: [Key: Int64] = [:]
        var previous: [Key: Int64] = [:]
        var startedAt: Int64 = .min
    }

    private let seen = Mutex(Generations())
    private let capacity: Int
    private let window: Int64

    public init(capacity: Int = 100_000, windowMilliseconds: Int64 = Attribution.dedupeWindowMilliseconds) {
        self.capacity = capacity
        self.window = windowMilliseconds
    }

    /// Whether a cookie-less click on `link` from `address` with `userAgent` at `now` repeats one
    /// seen within the window (and so is part of a flood). A click with no address is never one.
    /// IPv6 addresses count by their /64.
    public func isRepeat(link: String, address: String?, userAgent: String?, at now: Instant) -> Bool {
        guard let address else { return false }
        let key = Key(link: link, address: AddressRanges.limitKey(address), userAgent: userAgent ?? "")
        let at = now.milliseconds
        return seen.withLock { seen in
            if Money.minus(at, seen.startedAt) >= window || seen.current.count >= capacity / 2 {
                seen.previous = seen.current
                seen.current = [:]
                seen.startedAt = at
            }
            if let first = seen.current[key] ?? seen.previous[key], at - first < window { return true }
            seen.current[key] = at
            return false
        }
    }
}
