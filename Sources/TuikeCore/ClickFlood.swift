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
    private let firstSeen = Mutex<[Key: Int64]>([:])
    private let capacity: Int
    private let window: Int64

    public init(capacity: Int = 100_000, windowMilliseconds: Int64 = Attribution.dedupeWindowMilliseconds) {
        self.capacity = capacity
        self.window = windowMilliseconds
    }

    /// Whether a cookie-less click on `link` from `address` with `userAgent` at `now` repeats one
    /// seen within the window (and so is part of a flood). A click with no address is never one.
    public func isRepeat(link: String, address: String?, userAgent: String?, at now: Instant) -> Bool {
        guard let address else { return false }
        let key = Key(link: link, address: address, userAgent: userAgent ?? "")
        return firstSeen.withLock { seen in
            if let first = seen[key], now.milliseconds - first < window { return true }
            if seen.count >= capacity {
                // Forget what has left the window; if everything is recent, start over.
                seen = seen.filter { now.milliseconds - $0.value < window }
                if seen.count >= capacity { seen.removeAll(keepingCapacity: true) }
            }
            seen[key] = now.milliseconds
            return false
        }
    }
}
