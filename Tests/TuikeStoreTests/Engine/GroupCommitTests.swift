import Foundation
import Synchronization
import Testing
@testable import TuikeStore
import TuikeTestSupport

/// SQLite's writer runs a batch's writes with no savepoint between them until one fails (see
/// `GroupCommitWriter.commit`). These tests hold the writer in one write while others queue behind
/// it, so the next batch holds them all, and read the order in which the bodies ran.
@Suite struct GroupCommitTests {
    struct Boom: Error {}

    /// What the bodies saw, shared with the tasks that run them.
    final class Trace: Sendable {
        let runs = Mutex<[Int]>([])
        let started = Atomic(0)
    }

    /// Runs `writes` (ids) as one batch behind a held write; the id `failing` throws after
    /// inserting its row. Returns the ids in the order their bodies ran, and which writes succeeded.
    static func batch(_ writes: [Int], failing: Int, in database: any Database) async throws -> (runs: [Int], succeeded: Set<Int>) {
        let trace = Trace()
        let (gate, open) = AsyncStream<Void>.makeStream()
        let held = Task {
            try await database.write { _ in for await _ in gate { break } }
        }
        try await Task.sleep(for: .milliseconds(50))
        let results = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
            // The failing write queues last, so that others run before it in the batch.
            for (added, id) in (writes.filter({ $0 != failing }) + [failing]).enumerated() {
                group.addTask {
                    trace.started.add(1, ordering: .relaxed)
                    do {
                        try await database.write { db in
                            trace.runs.withLock { $0.append(id) }
                            try await db.execute("INSERT INTO t (id) VALUES (\(bind: id))")
                            if id == failing { throw Boom() }
                        }
                        return (id, true)
                    } catch is Boom {
                        return (id, false)
                    }
                }
                while trace.started.load(ordering: .relaxed) <= added {
                    try await Task.sleep(for: .milliseconds(1))
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            open.yield()
            open.finish()
            return try await group.reduce(into: [(Int, Bool)]()) { $0.append($1) }
        }
        try await held.value
        return (trace.runs.withLock { $0 }, Set(results.filter(\.1).map(\.0)))
    }

    static func storedIDs(_ database: any Database) async throws -> Set<Int> {
        Set(try await database.read { db in try await db.rows("SELECT id FROM t").map { try $0.decode(column: "id", as: Int.self) } })
    }

    @Test func aFailureAfterOtherWritesReplaysTheBatchWithSavepoints() async throws {
        try await TestDatabase.sqlite.withDatabase(migrated: false) { database in
            try await database.write { db in try await db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)") }

            // First batch, no savepoints: 1–4 run, 5 fails, the batch is undone and all five run
            // again, each in a savepoint. 1–4 are stored once; 5 left nothing.
            let first = try await Self.batch([1, 2, 3, 4, 5], failing: 5, in: database)
            #expect(first.runs.count == 10)
            #expect(Array(first.runs[0..<5]).sorted() == [1, 2, 3, 4, 5] && first.runs[4] == 5)
            #expect(Array(first.runs[5...]) == Array(first.runs[0..<5]))
            #expect(first.succeeded == [1, 2, 3, 4])
            #expect(try await Self.storedIDs(database) == [1, 2, 3, 4])

            // The batches after a replay keep savepoints: a failure rolls back alone, nothing runs twice.
            let second = try await Self.batch([11, 12, 13], failing: 13, in: database)
            #expect(second.runs.sorted() == [11, 12, 13])
            #expect(second.succeeded == [11, 12])
            #expect(try await Self.storedIDs(database) == [1, 2, 3, 4, 11, 12])
        }
    }

    /// A write that fails first in its transaction is undone alone: it runs once, and the
    /// writer stays without savepoints (a failure after other writes still replays).
    @Test func aFailureFirstInTheTransactionRunsOnce() async throws {
        try await TestDatabase.sqlite.withDatabase(migrated: false) { database in
            try await database.write { db in try await db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)") }
            let trace = Trace()
            await #expect(throws: Boom.self) {
                try await database.write { db in
                    trace.started.add(1, ordering: .relaxed)
                    try await db.execute("INSERT INTO t (id) VALUES (7)")
                    throw Boom()
                }
            }
            #expect(trace.started.load(ordering: .relaxed) == 1)
            let next = try await Self.batch([1, 2], failing: 2, in: database)
            #expect(next.runs.count == 4 && next.succeeded == [1])
            #expect(try await Self.storedIDs(database) == [1])
        }
    }
}

@Suite struct ExecutorThreadTests {
    /// A task that prefers a thread which has ended still runs (on the shared pool).
    @Test(.timeLimit(.minutes(1))) func workForAnEndedThreadStillRuns() async throws {
        let thread = ExecutorThread(name: "tuike-test-ended")
        #expect(await Task(executorPreference: thread) { 1 }.value == 1)
        thread.stop()
        // The thread ends once it sees the stop; a job queued just before that still runs there.
        try await Task.sleep(for: .milliseconds(50))
        #expect(await Task(executorPreference: thread) { 2 }.value == 2)
    }

    #if os(Linux)
    /// The thread is named for `top -H` and runs at the nice value it asked for. (A positive one
    /// here: lowering a priority needs no privilege, raising one does.)
    @Test func theThreadCarriesItsNameAndNiceness() async throws {
        let thread = ExecutorThread(name: "tuike-test-thread-long-name", niceness: 5)
        defer { thread.stop() }
        let (name, stat) = try await Task(executorPreference: thread) {
            (try String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8),
             try String(contentsOfFile: "/proc/thread-self/stat", encoding: .utf8))
        }.value
        #expect(name == "tuike-test-thre\n")
        // Field 19 of stat is the nice value; field 2, the name in parentheses, has no spaces here.
        #expect(stat.split(separator: " ")[18] == "5")
    }
    #endif
}
