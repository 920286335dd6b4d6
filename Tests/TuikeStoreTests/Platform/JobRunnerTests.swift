import Logging
import SQLKit
import Synchronization
import Testing
import TuikeCore
@testable import TuikeStore
import TuikeTestSupport

@Suite struct JobRunnerTests {
    static func createEffects(_ database: any Database) async throws {
        try await database.write { db in try await db.execute("CREATE TABLE job_effects (job_id TEXT NOT NULL, runner TEXT NOT NULL)") }
    }

    /// A handler that records its effect and completes the job in the same transaction.
    static func recordingHandler(_ database: any Database) -> JobRunner.Handler {
        { execution in
            try await database.write { db in
                try await db.execute("INSERT INTO job_effects (job_id, runner) VALUES (\(bind: execution.job.id), \(bind: execution.owner))")
                try await execution.complete(in: db)
            }
        }
    }

    /// Two app instances (two connection pools on one database) race over 200 due jobs: each job
    /// runs exactly once, and both runners get work on PostgreSQL thanks to SKIP LOCKED.
    @Test(arguments: TestDatabase.available)
    func twoRunnersRunEachJobExactlyOnce(database kind: TestDatabase) async throws {
        try await kind.withInstances(2) { instances async throws in
            try await Self.createEffects(instances[0])
            let clock = FixedClock(Instant(milliseconds: 10_000_000))
            let queue = JobQueue(database: instances[0])
            for index in 0..<200 {
                try await queue.schedule(kind: "test.record", at: Instant(milliseconds: 9_000_000 + Int64(index)), now: clock.now())
            }
            let runners = instances.enumerated().map { index, database in
                JobRunner(database: database, clock: clock, handlers: ["test.record": Self.recordingHandler(database)],
                          logger: TestDatabase.logger, owner: "runner-\(index)")
            }
            let counts = try await withThrowingTaskGroup(of: Int.self) { group in
                for runner in runners { group.addTask { try await runner.runDue(batchSize: 5) } }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(counts.reduce(0, +) == 200)
            let rows = try await instances[1].read { db in
                try await db.first("SELECT COUNT(*) AS n, COUNT(DISTINCT job_id) AS d FROM job_effects")!
            }
            #expect(try rows.decode(column: "n", as: Int64.self) == 200)
            #expect(try rows.decode(column: "d", as: Int64.self) == 200)
            #expect(try await queue.counts() == JobQueue.Counts(done: 200))
        }
    }

    @Test(arguments: TestDatabase.available)
    func anExpiredLeaseMovesTheJobToAnotherRunner(database kind: TestDatabase) async throws {
        try await kind.withDatabase { database async throws in
            let queue = JobQueue(database: database)
            let start = Instant(milliseconds: 1_000_000)
            try await queue.schedule(kind: "k", at: start, now: start)
            let first = try await queue.claim(owner: "a", now: start, leaseMilliseconds: 1_000, limit: 10)
            #expect(first.count == 1)
            #expect(try await queue.claim(owner: "b", now: start.adding(milliseconds: 500), leaseMilliseconds: 1_000, limit: 10).isEmpty)
            let second = try await queue.claim(owner: "b", now: start.adding(milliseconds: 1_001), leaseMilliseconds: 1_000, limit: 10)
            #expect(second.map(\.id) == first.map(\.id))
            #expect(second.first?.attempts == 2)
            // The first runner wakes up late: its completion is refused, so its effect rolls back.
            await #expect(throws: JobLeaseLost.self) {
                try await database.write { db in try await JobQueue.complete(first[0].id, owner: "a", now: start, in: db) }
            }
            try await database.write { db in try await JobQueue.complete(second[0].id, owner: "b", now: start, in: db) }
            #expect(try await queue.counts() == JobQueue.Counts(done: 1))
        }
    }

    @Test(arguments: TestDatabase.available)
    func failingJobsAreRetriedWithBackoffThenGivenUp(database kind: TestDatabase) async throws {
        try await kind.withDatabase { database async throws in
            struct Flaky: Error {}
            let clock = FixedClock(Instant(milliseconds: 1_000_000))
            let runner = JobRunner(database: database, clock: clock, handlers: ["k": { _ in throw Flaky() }], logger: TestDatabase.logger)
            try await JobQueue(database: database).schedule(kind: "k", at: clock.now(), now: clock.now())
            #expect(try await runner.runDue() == 0)
            #expect(try await JobQueue(database: database).counts() == JobQueue.Counts(due: 1))
            #expect(try await runner.runDue() == 0) // not due again yet: backoff
            for _ in 0..<20 {
                clock.advance(seconds: 5_000)
                try await runner.runDue()
            }
            #expect(try await JobQueue(database: database).counts() == JobQueue.Counts(failed: 1))
        }
    }

    /// A sweep runs before the jobs, with the time the pass started; one that fails is logged
    /// and holds up neither the other sweeps nor the jobs.
    @Test(arguments: TestDatabase.available)
    func aFailingSweepHoldsUpNothingElse(database kind: TestDatabase) async throws {
        try await kind.withDatabase { database async throws in
            struct Broken: Error {}
            let clock = FixedClock(Instant(milliseconds: 1_000_000))
            let seen = Mutex<[Instant]>([])
            let runner = JobRunner(database: database, clock: clock, handlers: ["k": { _ in }],
                                   sweeps: ["a.broken": { _ in throw Broken() }, "b.working": { now in seen.withLock { $0.append(now) } }],
                                   logger: TestDatabase.logger)
            try await JobQueue(database: database).schedule(kind: "k", at: clock.now(), now: clock.now())
            #expect(try await runner.runDue() == 1)
            #expect(seen.withLock { $0 } == [clock.now()])
        }
    }

    @Test(arguments: TestDatabase.available)
    func dedupeKeysMakeSchedulingIdempotent(database kind: TestDatabase) async throws {
        try await kind.withDatabase { database async throws in
            let queue = JobQueue(database: database)
            let now = Instant(milliseconds: 1)
            #expect(try await queue.schedule(kind: "settle", at: now, dedupeKey: "settle:2026-W47", now: now))
            #expect(try await !queue.schedule(kind: "settle", at: now, dedupeKey: "settle:2026-W47", now: now))
            #expect(try await queue.counts() == JobQueue.Counts(due: 1))
        }
    }
}
