import Logging
import SQLKit
import Synchronization

/// The single SQLite writer. See `SQLiteStore` for why it batches.
///
/// One drain task at a time owns the write connection: it takes every write queued while the
/// previous batch ran, runs them back to back on the connection in place (no statement leaves the
/// thread: see `SQLiteHandle`), and commits them together. The drain task prefers the writer's own
/// thread (`WriterThread`), so the bodies run there too and an fsync never holds a thread of the
/// shared pool.
final class GroupCommitWriter: Sendable {
    /// One queued write: runs its body on the writer's connection and reports how it went, and
    /// later learns whether the batch that contained it committed.
    private struct PendingWrite: Sendable {
        let run: @Sendable (any SQLDatabase) async -> Outcome
        /// Answers the caller without running its body (the batch could not start).
        let fail: @Sendable (any Error) -> Void
    }

    private struct Outcome: Sendable {
        let succeeded: Bool
        /// Called once with the commit's error (nil when the batch committed).
        let complete: @Sendable ((any Error)?) -> Void
    }

    private struct State: Sendable {
        var queue: [PendingWrite] = []
        var draining = false
        var closed = false
    }

    private let handle: SQLiteHandle
    private let database: SQLiteDirectDatabase
    private let logger: Logger
    private let state = Mutex(State())
    private let thread = WriterThread(name: "tuike-sqlite-writer")
    /// Bounds how long the first caller of a batch waits behind the others.
    private let maxBatch = 512

    init(handle: SQLiteHandle, logger: Logger) {
        self.handle = handle
        self.database = SQLiteDirectDatabase(source: SQLiteWriterHandle(handle: handle), logger: logger)
        self.logger = logger
    }

    func submit<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let write = PendingWrite(
                run: { db in
                    do {
                        let value = try await body(db)
                        return Outcome(succeeded: true) { commitError in
                            if let commitError { continuation.resume(throwing: commitError) } else { continuation.resume(returning: value) }
                        }
                    } catch {
                        return Outcome(succeeded: false) { _ in continuation.resume(throwing: error) }
                    }
                },
                fail: { error in continuation.resume(throwing: error) }
            )
            let start: Bool? = state.withLock { state in
                guard !state.closed else { return nil }
                state.queue.append(write)
                defer { state.draining = true }
                return !state.draining
            }
            switch start {
            case nil: continuation.resume(throwing: StoreError.closed)
            case true?: Task(executorPreference: thread) { await self.drain() }
            case false?: break
            }
        }
    }

    private func drain() async {
        while true {
            let batch: [PendingWrite] = state.withLock { state in
                guard !state.queue.isEmpty else {
                    state.draining = false
                    return []
                }
                let count = min(state.queue.count, maxBatch)
                defer { state.queue.removeFirst(count) }
                return Array(state.queue.prefix(count))
            }
            if batch.isEmpty { return }
            await commit(batch)
        }
    }

    private func statement(_ sql: String) throws {
        try handle.run(sql, []) { _ in }
    }

    private func commit(_ batch: [PendingWrite]) async {
        let db = database
        do {
            try statement("BEGIN IMMEDIATE")
        } catch {
            for write in batch { write.fail(error) }
            return
        }
        var outcomes: [Outcome] = []
        outcomes.reserveCapacity(batch.count)
        do {
            if batch.count == 1 {
                // A lone write needs no savepoint: rolling the transaction back undoes only it.
                let outcome = await batch[0].run(db)
                outcomes.append(outcome)
                guard outcome.succeeded else {
                    try statement("ROLLBACK")
                    outcome.complete(nil)
                    return
                }
            } else {
                for write in batch {
                    try statement("SAVEPOINT w")
                    let outcome = await write.run(db)
                    outcomes.append(outcome)
                    if !outcome.succeeded { try statement("ROLLBACK TO w") }
                    try statement("RELEASE w")
                }
            }
            try statement("COMMIT")
            for outcome in outcomes { outcome.complete(nil) }
        } catch {
            // The transaction machinery itself failed: nobody in this batch gets a commit.
            logger.error("group commit failed", metadata: ["error": "\(error)"])
            try? statement("ROLLBACK")
            for outcome in outcomes { outcome.complete(error) }
            for rest in batch.dropFirst(outcomes.count) { rest.fail(error) }
        }
    }

    func close() async {
        state.withLock { $0.closed = true }
        while state.withLock({ $0.draining || !$0.queue.isEmpty }) { await Task.yield() }
        handle.close()
        thread.stop()
    }
}

public enum StoreError: Error, CustomStringConvertible {
    case closed
    case unsupportedURL(String)

    public var description: String {
        switch self {
        case .closed: "the store is closed"
        case .unsupportedURL(let url): "unsupported database URL \(url): use a file path or postgres://"
        }
    }
}
