import HummingbirdBcrypt
import Synchronization
import TuikeCore
import TuikeStore

/// bcrypt, on a thread of its own. A hash or a check takes tens of milliseconds of one core; on
/// the event loops or the shared concurrency pool a burst of logins or applications would stall
/// every other request (48 parallel applications once took a product list from 7 ms to 0.9 s).
/// Here they queue behind each other on one thread, so the rest of the server keeps the other
/// core, and past `maxWaiting` queued a caller is told to come back (429) rather than queue.
final class PasswordHasher: Sendable {
    static let cost: UInt8 = 10
    static let maxWaiting = 32
    /// One per process: the thread lives as long as the process (an app built and dropped, as
    /// tests do, would otherwise leave its thread behind).
    static let shared = PasswordHasher()

    private let thread = ExecutorThread(name: "tuike-bcrypt")
    private let waiting = Atomic<Int>(0)

    /// A hash of nothing anyone knows, checked when there is no account, so that a login for an
    /// unknown phone or username takes as long as one for a known one.
    private static let decoy = Bcrypt.hash("tuike decoy: no account has this password", cost: PasswordHasher.cost)

    func hash(_ password: String) async throws -> String {
        try await run { Bcrypt.hash(password, cost: Self.cost) }
    }

    /// Whether `password` matches `hash`; with no hash (no such account), false after the same work.
    func verify(_ password: String, hash: String?) async throws -> Bool {
        let decoy = Self.decoy
        return try await run { Bcrypt.verify(password, hash: hash ?? decoy) && hash != nil }
    }

    private func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async throws -> T {
        guard waiting.add(1, ordering: .relaxed).newValue <= Self.maxWaiting else {
            waiting.subtract(1, ordering: .relaxed)
            throw TuikeError.rateLimited("too many password checks at once", retryAfter: 1)
        }
        defer { waiting.subtract(1, ordering: .relaxed) }
        return await withTaskExecutorPreference(thread) { work() }
    }

}
