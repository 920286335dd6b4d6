import Foundation
import Synchronization

/// The one source of time (docs/rules.md §1). Everything that needs "now" receives a clock.
public protocol TuikeClock: Sendable {
    func now() -> Instant
}

public struct SystemClock: TuikeClock {
    public init() {}
    public func now() -> Instant { Instant(Date()) }
}

/// The sandbox test clock: real time plus an offset that only moves forward, like Stripe's test
/// clocks. The offset survives restarts because the store persists it (see `ClockStore`).
public final class SandboxClock: TuikeClock {
    private let offset: Mutex<Int64>
    private let base: any TuikeClock

    public init(offsetMilliseconds: Int64 = 0, base: any TuikeClock = SystemClock()) {
        self.offset = Mutex(offsetMilliseconds)
        self.base = base
    }

    public func now() -> Instant { base.now().adding(milliseconds: offset.withLock { $0 }) }

    public var offsetMilliseconds: Int64 { offset.withLock { $0 } }

    /// Moves the clock forward; returns the new offset.
    @discardableResult
    public func advance(seconds: Int64) -> Int64 {
        precondition(seconds >= 0, "the test clock never goes back")
        return offset.withLock { value in
            value += seconds * 1000
            return value
        }
    }
}

/// A clock that stands still until told to move; for unit tests.
public final class FixedClock: TuikeClock {
    private let current: Mutex<Instant>
    public init(_ start: Instant) { current = Mutex(start) }
    public func now() -> Instant { current.withLock { $0 } }
    public func set(_ instant: Instant) { current.withLock { $0 = instant } }
    public func advance(seconds: Int64) { current.withLock { $0 = $0.adding(seconds: seconds) } }
}
