import Foundation
import Logging
import NIOCore
import NIOPosix
import SQLiteKit
import SQLKit

/// SQLite in WAL mode with `synchronous=FULL`: every acknowledged write is on disk.
///
/// All writes go through one `GroupCommitWriter`: it takes every write transaction queued while the
/// previous commit was running, runs each in its own savepoint (a failing one rolls back alone),
/// and commits them together, so one fsync serves many callers. Each caller is answered only after
/// that commit. Reads use separate connections and never wait for the writer (WAL).
public final class SQLiteStore: Database {
    public let dialect = Dialect.sqlite
    private let writer: GroupCommitWriter
    private let readers: [SQLiteConnection]
    private let next = ManagedCounter()
    private let logger: Logger

    public static func open(path: String, readers readerCount: Int = 4, logger: Logger) async throws -> SQLiteStore {
        let storage: SQLiteConnection.Storage = path == ":memory:" ? .memory : .file(path: path)
        let writeConnection = try await SQLiteConnection.open(storage: storage, logger: logger)
        // 64 MiB of page cache on the writer (default 2 MiB): a settlement batch rewrites a
        // million rows and their index entries, which otherwise spill to the WAL mid-transaction.
        for pragma in ["PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON", "PRAGMA busy_timeout=10000",
                       "PRAGMA cache_size=-65536"] {
            _ = try await writeConnection.query(pragma)
        }
        var readers: [SQLiteConnection] = []
        for _ in 0..<max(readerCount, 1) {
            let reader = try await SQLiteConnection.open(storage: storage, logger: logger)
            for pragma in ["PRAGMA foreign_keys=ON", "PRAGMA busy_timeout=10000", "PRAGMA query_only=ON"] {
                _ = try await reader.query(pragma)
            }
            readers.append(reader)
        }
        return SQLiteStore(writer: GroupCommitWriter(connection: writeConnection, logger: logger), readers: readers, logger: logger)
    }

    private init(writer: GroupCommitWriter, readers: [SQLiteConnection], logger: Logger) {
        self.writer = writer
        self.readers = readers
        self.logger = logger
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        // A SQLite connection is opened FULLMUTEX and SQLiteNIO runs each statement start to finish
        // in one thread-pool job, so sharing readers round-robin between tasks is safe.
        let reader = readers[next.increment() % readers.count]
        return try await body(reader.sql())
    }

    public func write<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await writer.submit(body)
    }

    public func writeStatement<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await writer.submit(body, singleStatement: true)
    }

    public func shutdown() async throws {
        try await writer.close()
        for reader in readers { try await reader.close() }
    }
}

/// A lock-free round-robin counter for picking read connections.
final class ManagedCounter: Sendable {
    private let value = Atomic<Int>(0)
    func increment() -> Int { value.add(1, ordering: .relaxed).oldValue & Int.max }
}

import Synchronization
