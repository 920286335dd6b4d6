import Foundation
import Testing
import TuikeCore
@testable import TuikeStore
import TuikeTestSupport

@Suite struct FilePermissionTests {
    /// A new SQLite database, its write-ahead log and shared-memory file are the owner's alone
    /// (0600), like the data key: they hold every promoter's data.
    @Test func aNewDatabaseIsReadableByItsOwnerOnly() async throws {
        let path = temporarySQLitePath("perm")
        defer { removeSQLiteFiles(path) }
        let store = try await SQLiteStore.open(path: path, logger: TestDatabase.logger)
        try await Migrator(database: store).migrate(now: 0)
        for suffix in ["", "-wal", "-shm"] {
            let mode = try FileManager.default.attributesOfItem(atPath: path + suffix)[.posixPermissions] as? Int
            #expect(mode == 0o600, "\(suffix): \(String(mode ?? 0, radix: 8))")
        }
        try await store.shutdown()
    }
}
