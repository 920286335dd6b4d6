import Logging
import Synchronization
import Testing
@testable import TuikeStore
import TuikeTestSupport

/// The checkpointer's failure path: a checkpoint that fails is logged, and the next one is still
/// tried; stopping it still works.
@Suite struct WALCheckpointerTests {
    /// Keeps the messages logged at warning or above.
    final class Captured: Sendable {
        let messages = Mutex<[String]>([])

        var logger: Logger {
            Logger(label: "tuike-test-capture") { _ in Handler(captured: self) }
        }

        struct Handler: LogHandler {
            let captured: Captured
            var metadata: Logger.Metadata = [:]
            var logLevel: Logger.Level = .warning
            subscript(metadataKey key: String) -> Logger.Metadata.Value? {
                get { metadata[key] }
                set { metadata[key] = newValue }
            }
            func log(event: LogEvent) {
                captured.messages.withLock { $0.append("\(event.message)") }
            }
        }
    }

    @Test func aFailingCheckpointIsLoggedAndTriedAgain() async throws {
        let path = temporarySQLitePath("checkpoint")
        defer { removeSQLiteFiles(path) }
        let captured = Captured()
        let checkpointer = try WALCheckpointer(path: path, interval: .milliseconds(10), statement: "SELECT * FROM no_such_table",
                                               logger: captured.logger)
        let deadline = ContinuousClock.now + .seconds(10)
        while captured.messages.withLock({ $0.count }) < 3, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        await checkpointer.stop()
        let messages = captured.messages.withLock { $0 }
        #expect(messages.count >= 3)
        #expect(messages.allSatisfy { $0 == "WAL checkpoint failed" })
    }
}
