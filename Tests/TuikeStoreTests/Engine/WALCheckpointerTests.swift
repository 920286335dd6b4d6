import Logging
import Synchronization
import Testing
@testable import TuikeStore
import TuikeTestSupport

/// The checkpointer's failure path: a checkpoint that fails is logged, and the next one is still
/// tried; stopping it still works.
@Suite struct WALCheckpointerTests {
    @Test func aFailingCheckpointIsLoggedAndTriedAgain() async throws {
        let path = temporarySQLitePath("checkpoint")
        defer { removeSQLiteFiles(path) }
        let captured = CapturedLog()
        let checkpointer = try WALCheckpointer(path: path, interval: .milliseconds(10), statement: "SELECT * FROM no_such_table",
                                               logger: captured.logger)
        let deadline = ContinuousClock.now + .seconds(10)
        while captured.messages.count < 3, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        await checkpointer.stop()
        let messages = captured.messages
        #expect(messages.count >= 3)
        #expect(messages.allSatisfy { $0 == "WAL checkpoint failed" })
    }
}
