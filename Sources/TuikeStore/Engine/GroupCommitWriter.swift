import PostgresNIO
import Logging
import SQLKit
import Synchronization

/// The single SQLite writer. See `SQLiteStore` for why it batches.
///
/// One drain task at a time owns the write connection: it takes every write queued while the
/// previous batch ran, runs them back to back on the connection in place (no statement leaves the
/// thread: see `SQLiteHandle`), and commits them together. The drain task prefers the writer's own
/// thread (`ExecutorThread`), so the bodies run there too and an fsync never holds a thread of the
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
    /// Every write waits for this thread, so under load the time it waits for a core behind
    /// request handlers (18 % of its time in `bench/orders.sh`) holds up every write: it asks for
    /// nice -10 (see `ExecutorThread`). Measured in four interleaved pairs of `bench/orders.sh`:
    /// 1,558–2,012 paid orders/s against 1,521–1,769 without (median gain 7 %).
    private let thread = ExecutorThread(name: "tuike-sqlite-writer", niceness: -10)
    /// Bounds how long the first caller of a batch waits behind the others.
    private let maxBatch = 512
    /// How many batches after a replay run each write in a savepoint (see `commit`). Used by the
    /// drain task only; atomic only to keep the type `Sendable`.
    private let guardedBatchesAfterFailure = 50
    private let guardedBatchesLeft = Atomic(0)
    private let walRestartFrames: Int
    /// Milliseconds: how long a restart waits for readers, and the writer's usual busy timeout.
    private let restartWait = 2, busyTimeout = 10_000
    /// The log length at which the next restart is tried. Used by the drain task only; atomic only
    /// to keep the type `Sendable`.
    private let nextRestartAttempt: Atomic<Int>

    init(handle: SQLiteHandle, walRestartFrames: Int, logger: Logger) {
        self.handle = handle
        self.walRestartFrames = walRestartFrames
        nextRestartAttempt = Atomic(walRestartFrames)
        handle.trackWALFrames()
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
            let batch = take(upTo: maxBatch, endingTheDrainIfEmpty: true)
            if batch.isEmpty { return }
            await commit(batch)
        }
    }

    /// Takes up to `limit` queued writes. With `endingTheDrainIfEmpty`, finding none ends this
    /// drain task (under the lock, so a write queued just after starts a new one).
    private func take(upTo limit: Int, endingTheDrainIfEmpty: Bool) -> [PendingWrite] {
        state.withLock { state in
            guard !state.queue.isEmpty else {
                if endingTheDrainIfEmpty { state.draining = false }
                return []
            }
            let count = min(state.queue.count, limit)
            defer { state.queue.removeFirst(count) }
            return Array(state.queue.prefix(count))
        }
    }

    private func statement(_ sql: String) throws {
        try handle.run(sql, []) { _ in }
    }

    /// Runs `batch` in one transaction, and before committing also the writes that were queued
    /// while it ran, up to `maxBatch` in all: under load the commit (WAL frames and an fsync,
    /// a fifth of the writer's time in `bench/orders.sh`) then serves every write that is ready
    /// rather than only those that were waiting when the transaction began. Nobody waits longer
    /// for this than for the next commit, which could not have started sooner.
    ///
    /// Writes run back to back with no savepoint between them while none fails: a savepoint makes
    /// SQLite copy each page a write first touches into a statement journal; without them the
    /// writer spent 6 % less CPU per paid order in `bench/orders.sh` (median of seven pairs of
    /// runs). A failing write whose changes cannot be undone alone (others ran before
    /// it in the transaction) makes the writer undo the batch and run it again, each write in a
    /// savepoint; the batches that follow keep savepoints for a while, so a load where writes
    /// often fail pays for such a replay only now and then. This is why `Database.write` bodies
    /// must have no effect outside the database.
    private func commit(_ batch: [PendingWrite]) async {
        let db = database
        do {
            try statement("BEGIN IMMEDIATE")
        } catch {
            for write in batch { write.fail(error) }
            return
        }
        var writes = batch
        // The outcomes of `writes[0..<outcomes.count]`, all in the open transaction.
        var outcomes: [Outcome] = []
        outcomes.reserveCapacity(batch.count)
        var guarded = guardedBatchesLeft.load(ordering: .relaxed) > 0
        if guarded { guardedBatchesLeft.subtract(1, ordering: .relaxed) }
        do {
            while true {
                while outcomes.count < writes.count {
                    if guarded { try statement("SAVEPOINT w") }
                    let outcome = await writes[outcomes.count].run(db)
                    if guarded {
                        if !outcome.succeeded { try statement("ROLLBACK TO w") }
                        try statement("RELEASE w")
                    } else if !outcome.succeeded {
                        try statement("ROLLBACK")
                        try statement("BEGIN IMMEDIATE")
                        if outcomes.isEmpty {
                            // It was alone in the transaction: undoing it undid nothing else.
                            writes.removeFirst()
                            outcome.complete(nil)
                            continue
                        }
                        outcomes.removeAll(keepingCapacity: true)
                        guarded = true
                        guardedBatchesLeft.store(guardedBatchesAfterFailure, ordering: .relaxed)
                        continue
                    }
                    outcomes.append(outcome)
                }
                let more = writes.count < maxBatch ? take(upTo: maxBatch - writes.count, endingTheDrainIfEmpty: false) : []
                if more.isEmpty { break }
                writes += more
            }
            try statement("COMMIT")
            for outcome in outcomes { outcome.complete(nil) }
            checkpointToRestartTheLog()
        } catch {
            // The transaction machinery itself failed: nobody in this batch gets a commit.
            logger.error("group commit failed", metadata: ["error": "\(error)"])
            try? statement("ROLLBACK")
            for outcome in outcomes { outcome.complete(error) }
            for rest in writes.dropFirst(outcomes.count) { rest.fail(error) }
        }
    }

    /// SQLite starts the write-ahead log over only when a write transaction begins with every frame
    /// already copied into the database and no reader still reading from the log. Under steady
    /// load neither holds at that moment (`WALCheckpointer` runs beside the writer and never quite
    /// catches up), so the log grew without end: 143–164 MB 9 s into `bench/orders.sh`, each
    /// frame appended to a growing file. Once the log is long, the writer copies the rest itself
    /// between two transactions (the checkpointer has done most of it) and waits a moment for the
    /// readers still on the log; readers that start after the copy read the database file, so its
    /// next transaction starts the log over. It waits at most `restartWait`, never for a long report
    /// read: if that is not enough, it tries again once the log has grown by another quarter.
    private func checkpointToRestartTheLog() {
        let frames = handle.walFrames
        // Short (or just started over): the next attempt is due at the threshold again.
        guard frames >= walRestartFrames else {
            nextRestartAttempt.store(walRestartFrames, ordering: .relaxed)
            return
        }
        guard frames >= nextRestartAttempt.load(ordering: .relaxed) else { return }
        nextRestartAttempt.store(frames + walRestartFrames / 4, ordering: .relaxed)
        do {
            try statement("PRAGMA busy_timeout=\(restartWait)")
            defer { try? statement("PRAGMA busy_timeout=\(busyTimeout)") }
            try statement("PRAGMA wal_checkpoint(RESTART)")
        } catch {
            logger.warning("WAL checkpoint on the writer failed", metadata: ["error": "\(error)"])
        }
    }

    func close() async {
        state.withLock { $0.closed = true }
        while state.withLock({ $0.draining || !$0.queue.isEmpty }) { await Task.yield() }
        handle.close()
        thread.stop()
    }
}
