import Logging
import ServiceLifecycle
import Synchronization
import TuikeCore
import TuikeStore

/// Makes clicks durable in batches. Every click waits until the transaction holding it committed;
/// clicks that arrive while a batch is being written go into the next one, so under load one
/// commit (one fsync on SQLite) serves hundreds of clicks. The hottest path of the system.
///
/// A lock-guarded queue rather than an actor: queueing a click runs on the request's own thread,
/// so a click costs one suspension and one resumption, not an extra hop onto an actor and back.
/// `ClickRedirectHandler` waits with a callback instead, and suspends nothing.
public final class ClickRecorder: Service {
    typealias Completion = @Sendable ((any Error)?) -> Void
    private typealias Waiting = (click: ClickRecord, completion: Completion)
    private struct State {
        var pending: [Waiting] = []
        var flushing = false
    }

    private let state = Mutex(State())
    private let repository: ClickRepository
    private let logger: Logger

    init(repository: ClickRepository, logger: Logger) {
        self.repository = repository
        self.logger = logger
    }

    /// Returns once the click is committed.
    func record(_ click: ClickRecord) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            record(click) { error in
                if let error { continuation.resume(throwing: error) } else { continuation.resume() }
            }
        }
    }

    /// Calls `completion` once the click is committed (nil) or could not be (the error).
    func record(_ click: ClickRecord, completion: @escaping Completion) {
        let start = state.withLock { state in
            state.pending.append((click, completion))
            defer { state.flushing = true }
            return !state.flushing
        }
        if start { Task { await self.flush() } }
    }

    private func flush() async {
        while true {
            let batch: [Waiting] = state.withLock { state in
                if state.pending.isEmpty { state.flushing = false }
                defer { state.pending = [] }
                return state.pending
            }
            if batch.isEmpty { return }
            do {
                try await repository.insert(batch.map(\.click))
                for entry in batch { entry.completion(nil) }
            } catch {
                // One bad row must not fail its neighbours: write them one by one.
                logger.warning("click batch failed, retrying one by one", metadata: ["error": "\(error)", "count": "\(batch.count)"])
                for entry in batch {
                    do {
                        try await repository.insert([entry.click])
                        entry.completion(nil)
                    } catch {
                        entry.completion(error)
                    }
                }
            }
        }
    }

    /// Waits for shutdown, then lets the last batch finish before the store closes.
    public func run() async throws {
        try? await gracefulShutdown()
        while state.withLock({ $0.flushing || !$0.pending.isEmpty }) { try? await Task.sleep(for: .milliseconds(5)) }
    }
}

/// Link lookups for `/r/{code}`, cached for a few seconds so the click path does not read the
/// links table every time. A link disabled on this instance leaves the cache at once; on other
/// instances within `ttl`.
final class LinkCache: Sendable {
    private struct Entry { let link: Link?; let expires: ContinuousClock.Instant }
    private let entries = Mutex<[String: Entry]>([:])
    private let ttl: Duration

    init(ttl: Duration = .seconds(5)) { self.ttl = ttl }

    func link(code: String, load: () async throws -> Link?) async throws -> Link? {
        let now = ContinuousClock.now
        if let entry = fresh(code, at: now) { return entry.link }
        let link = try await load()
        entries.withLock { entries in
            if entries.count > 100_000 { entries.removeAll() }
            entries[code] = Entry(link: link, expires: now.advanced(by: ttl))
        }
        return link
    }

    /// The link while it is cached and fresh; nil also when it is not cached or known not to exist.
    func cachedLink(code: String) -> Link? { fresh(code, at: ContinuousClock.now)?.link }

    private func fresh(_ code: String, at now: ContinuousClock.Instant) -> Entry? {
        guard let entry = entries.withLock({ $0[code] }), entry.expires > now else { return nil }
        return entry
    }

    func forget(code: String) { entries.withLock { $0[code] = nil } }
}
