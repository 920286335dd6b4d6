import Logging
import SQLiteKit
import SQLKit

/// The single SQLite writer. See `SQLiteStore` for why it batches.
actor GroupCommitWriter {
    /// One queued write: runs its body on the writer's connection and reports how it went, and
    /// later learns whether the batch that contained it committed.
    private struct PendingWrite: Sendable {
        let run: @Sendable (any SQLDatabase) async -> Outcome
        /// Answers the caller without running its body (the batch could not start).
        let fail: @Sendable (any Error) -> Void
        /// The body runs one statement, which may then run alone in autocommit mode.
        let singleStatement: Bool
    }

    private struct Outcome: Sendable {
        let succeeded: Bool
        /// Called once with the commit's error (nil when the batch committed).
        let complete: @Sendable ((any Error)?) -> Void
    }

    private let connection: SQLiteConnection
    private let logger: Logger
    private var queue: [PendingWrite] = []
    private var draining = false
    private var closed = false
    /// Bounds how long the first caller of a batch waits behind the others.
    private let maxBatch = 512

    init(connection: SQLiteConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    func submit<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T, singleStatement: Bool = false) async throws -> T {
        guard !closed else { throw StoreError.closed }
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            queue.append(PendingWrite(
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
                fail: { error in continuation.resume(throwing: error) },
                singleStatement: singleStatement
            ))
            if !draining {
                draining = true
                Task { await self.drain() }
            }
        }
    }

    private func drain() async {
        while !queue.isEmpty {
            let count = min(queue.count, maxBatch)
            let batch = Array(queue.prefix(count))
            queue.removeFirst(count)
            await commit(batch)
        }
        draining = false
    }

    private func commit(_ batch: [PendingWrite]) async {
        let db = connection.sql()
        if batch.count == 1, batch[0].singleStatement {
            // One statement alone is its own durable transaction in autocommit mode.
            await batch[0].run(db).complete(nil)
            return
        }
        do {
            try await db.raw("BEGIN IMMEDIATE").run()
        } catch {
            for write in batch { write.fail(error) }
            return
        }
        var outcomes: [Outcome] = []
        outcomes.reserveCapacity(batch.count)
        do {
            if batch.count == 1 {
                // A lone write needs no savepoint: rolling the transaction back undoes only it,
                // and two fewer round trips to SQLite matter when batches are small.
                let outcome = await batch[0].run(db)
                outcomes.append(outcome)
                guard outcome.succeeded else {
                    try await db.raw("ROLLBACK").run()
                    outcome.complete(nil)
                    return
                }
            } else {
                for write in batch {
                    try await db.raw("SAVEPOINT w").run()
                    let outcome = await write.run(db)
                    outcomes.append(outcome)
                    if !outcome.succeeded { try await db.raw("ROLLBACK TO w").run() }
                    try await db.raw("RELEASE w").run()
                }
            }
            try await db.raw("COMMIT").run()
            for outcome in outcomes { outcome.complete(nil) }
        } catch {
            // The transaction machinery itself failed: nobody in this batch gets a commit.
            logger.error("group commit failed", metadata: ["error": "\(error)"])
            try? await db.raw("ROLLBACK").run()
            for outcome in outcomes { outcome.complete(error) }
            for rest in batch.dropFirst(outcomes.count) { rest.fail(error) }
        }
    }

    func close() async throws {
        closed = true
        while draining || !queue.isEmpty { await Task.yield() }
        try await connection.close()
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
