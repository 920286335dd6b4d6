import Foundation
import Synchronization
import Testing
import TuikeCore
@testable import TuikeStore
import TuikeTestSupport

/// `Database.report`: on SQLite a report runs on a thread of its own, so reports that hold their
/// thread (a long scan runs in place) leave the shared pool free for every other request.
@Suite struct ReportTests {
    @Test(arguments: TestDatabase.available)
    func aReportGivesWhatItsBodyGivesOrThrows(_ kind: TestDatabase) async throws {
        try await kind.withDatabase { database in
            let answer = try await database.report {
                try await database.read { db in try await db.first("SELECT 41 + 1 AS n")!.decode(column: "n", as: Int.self) }
            }
            #expect(answer == 42)
            await #expect(throws: TuikeError.self) {
                try await database.report { () async throws -> Int in throw TuikeError.validation("no such report") }
            }
        }
    }

    /// A report asked for after the store shut down still runs (on the shared pool, once the
    /// stopped report thread has ended) rather than waiting forever for that thread.
    @Test(.timeLimit(.minutes(1))) func aReportAfterShutdownDoesNotWaitForever() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tuike-report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try await SQLiteStore.open(path: directory.appendingPathComponent("t.sqlite").path, logger: TestDatabase.logger)
        #expect(try await store.report { 1 } == 1)
        try await store.shutdown()
        #expect(try await store.report { 2 } == 2)
    }

    final class Gate: Sendable {
        let open = Atomic<Bool>(false)
        let started = Atomic<Int>(0)
    }

    #if os(Linux)
    /// More reports than the shared pool has threads, each holding its thread until the gate opens
    /// (or five seconds pass), as a long scan would. A read still gets through meanwhile, and the
    /// reports run one at a time on the report thread. With reports run in place, they held every
    /// thread of the pool: the read came only after the first of them gave up, and found several
    /// started.
    @Test func reportsThatHoldTheirThreadLeaveThePoolFree() async throws {
        try await TestDatabase.sqlite.withDatabase { database in
            let gate = Gate()
            let reports = (0..<(ProcessInfo.processInfo.activeProcessorCount + 2)).map { _ in
                Task {
                    try await database.report {
                        gate.started.add(1, ordering: .sequentiallyConsistent)
                        let deadline = ContinuousClock.now.advanced(by: .seconds(5))
                        while !gate.open.load(ordering: .sequentiallyConsistent), ContinuousClock.now < deadline { usleep(1_000) }
                        return try String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)
                    }
                }
            }
            while gate.started.load(ordering: .sequentiallyConsistent) == 0 { try await Task.sleep(for: .milliseconds(5)) }
            let read = try await database.read { db in try await db.first("SELECT 7 AS n")!.decode(column: "n", as: Int.self) }
            #expect(read == 7)
            #expect(gate.started.load(ordering: .sequentiallyConsistent) == 1)
            gate.open.store(true, ordering: .sequentiallyConsistent)
            for report in reports { #expect(try await report.value == "tuike-sqlite-re\n") }
            #expect(gate.started.load(ordering: .sequentiallyConsistent) == reports.count)
        }
    }
    #endif
}
