import Logging
import Synchronization

/// Copies the write-ahead log back into the database file from a connection and a thread of its
/// own, every `interval`, instead of inside the writer's commits.
///
/// SQLite's automatic checkpoint runs in whichever commit crosses 1,000 WAL pages, so one batch
/// of writers waited for it; and the pages every commit touches (index ends, the journal) were
/// copied back once per 1,000 pages. A passive checkpoint never blocks the writer or readers.
final class WALCheckpointer: Sendable {
    private let thread = ExecutorThread(name: "tuike-sqlite-checkpoint")
    private let task = Mutex<Task<Void, Never>?>(nil)

    /// `statement` is the checkpoint; a test gives one that fails.
    init(path: String, interval: Duration = .milliseconds(100), statement: String = "PRAGMA wal_checkpoint(PASSIVE)", logger: Logger) throws {
        let handle = try SQLiteHandle(path: path)
        try handle.run("PRAGMA busy_timeout=10000", []) { _ in }
        let loop = Task(executorPreference: thread) {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                do {
                    try handle.run(statement, []) { _ in }
                } catch {
                    logger.warning("WAL checkpoint failed", metadata: ["error": "\(error)"])
                }
            }
            handle.close()
        }
        task.withLock { $0 = loop }
    }

    func stop() async {
        let loop = task.withLock { $0 }
        loop?.cancel()
        await loop?.value
        thread.stop()
    }
}
