import Foundation
import Logging
import SQLKit
import Synchronization

/// SQLite in WAL mode with `synchronous=FULL`: every acknowledged write is on disk.
///
/// All writes go through one `GroupCommitWriter`: it takes every write transaction queued while
/// the previous commit was running, runs them one after another (a failing one is undone alone:
/// see there how), and commits them together, so one fsync serves many callers. Each caller is
/// answered only after that commit. Reads use separate connections and never wait for the writer
/// (WAL). Every statement runs in place through `SQLiteHandle` (see there for why).
public final class SQLiteStore: Database {
    public let dialect = Dialect.sqlite
    public let cacheIdentity = UUID().uuidString
    private let writer: GroupCommitWriter
    private let readers: SQLiteReaderPool
    private let checkpointer: WALCheckpointer
    /// Made on the first report: most stores (tests, `tuike migrate`) never run one.
    private let reportThread = Mutex<ExecutorThread?>(nil)
    private let logger: Logger

    /// `walRestartFrames`: the write-ahead log's length (in 4 KiB pages) beyond which the writer
    /// makes sure the log starts over (see `GroupCommitWriter`).
    public static func open(path: String, walRestartFrames: Int = 4_096, logger: Logger) async throws -> SQLiteStore {
        // Each connection to ":memory:" would be a database of its own; tests and the demo use files.
        guard path != ":memory:" else { throw StoreError.unsupportedURL(path) }
        // Readable by the owner alone, like the data key: SQLite gives the -wal and -shm files the
        // database file's mode, so creating the file first (0600) covers all three.
        if !path.hasPrefix("file:"), !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        let writeConnection = try SQLiteHandle(path: path)
        // 64 MiB of page cache on the writer (default 2 MiB): a settlement batch rewrites a
        // million rows and their index entries, which otherwise spill to the WAL mid-transaction.
        // The writer never checkpoints: `WALCheckpointer` does, beside it.
        for pragma in ["PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON", "PRAGMA busy_timeout=10000",
                       "PRAGMA cache_size=-65536", "PRAGMA wal_autocheckpoint=0"] {
            try writeConnection.run(pragma, []) { _ in }
        }
        let readers = SQLiteReaderPool {
            let reader = try SQLiteHandle(path: path)
            for pragma in ["PRAGMA foreign_keys=ON", "PRAGMA busy_timeout=10000", "PRAGMA query_only=ON"] {
                try reader.run(pragma, []) { _ in }
            }
            return reader
        }
        return SQLiteStore(writer: GroupCommitWriter(handle: writeConnection, walRestartFrames: walRestartFrames, logger: logger), readers: readers,
                           checkpointer: try WALCheckpointer(path: path, logger: logger), logger: logger)
    }

    private init(writer: GroupCommitWriter, readers: SQLiteReaderPool, checkpointer: WALCheckpointer, logger: Logger) {
        self.writer = writer
        self.readers = readers
        self.checkpointer = checkpointer
        self.logger = logger
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await body(SQLiteDirectDatabase(source: readers, logger: logger))
    }

    public func write<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await writer.submit(body)
    }

    /// Statements run in place here, so BEGIN and COMMIT cost next to nothing: a write like any other.
    public func writeStatement<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await writer.submit(body)
    }

    public func report<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let thread = reportThread.withLock { thread in
            if let thread { return thread }
            let made = ExecutorThread(name: "tuike-sqlite-report")
            thread = made
            return made
        }
        return try await withTaskExecutorPreference(thread) { try await body() }
    }

    public func shutdown() async throws {
        await writer.close()
        // A report asked for later runs on the shared pool (see `ExecutorThread.enqueue`).
        reportThread.withLock { $0?.stop() }
        readers.close()
        await checkpointer.stop()
    }
}
