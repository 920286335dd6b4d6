import Logging
import ServiceLifecycle
import Synchronization
import TuikeCore
import TuikeStore

/// Makes clicks durable in batches. Every click waits until the transaction holding it committed;
/// clicks that arrive while a batch is being written go into the next one, so under load one
/// commit (one fsync on SQLite) serves hundreds of clicks. The hottest path of the system.
public actor ClickRecorder: Service {
    private var pending: [(click: ClickRecord, continuation: CheckedContinuation<Void, any Error>)] = []
    private var flushing = false
    private let repository: ClickRepository
    private let logger: Logger

    init(repository: ClickRepository, logger: Logger) {
        self.repository = repository
        self.logger = logger
    }

    /// Returns once the click is committed.
    func record(_ click: ClickRecord) async throws {
        try await withCheckedThrowingContinuation { continuation in
            pending.append((click, continuation))
            if !flushing {
                flushing = true
                Task { await self.flush() }
            }
        }
    }

    private func flush() async {
        while !pending.isEmpty {
            let batch = pending
            pending = []
            do {
                try await repository.insert(batch.map(\.click))
                for entry in batch { entry.continuation.resume() }
            } catch {
                // One bad row must not fail its neighbours: write them one by one.
                logger.warning("click batch failed, retrying one by one", metadata: ["error": "\(error)", "count": "\(batch.count)"])
                for entry in batch {
                    do {
                        try await repository.insert([entry.click])
                        entry.continuation.resume()
                    } catch {
                        entry.continuation.resume(throwing: error)
                    }
                }
            }
        }
        flushing = false
    }

    /// Waits for shutdown, then lets the last batch finish before the store closes.
    public nonisolated func run() async throws {
        try? await gracefulShutdown()
        while await isBusy() { try? await Task.sleep(for: .milliseconds(5)) }
    }

    private func isBusy() -> Bool { flushing || !pending.isEmpty }
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
        if let entry = entries.withLock({ $0[code] }), entry.expires > now { return entry.link }
        let link = try await load()
        entries.withLock { entries in
            if entries.count > 100_000 { entries.removeAll() }
            entries[code] = Entry(link: link, expires: now.advanced(by: ttl))
        }
        return link
    }

    func forget(code: String) { entries.withLock { $0[code] = nil } }
}
