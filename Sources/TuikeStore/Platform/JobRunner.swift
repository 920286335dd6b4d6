import Logging
import ServiceLifecycle
import SQLKit
import TuikeCore

/// One claimed job being run: what a handler gets.
public struct JobExecution: Sendable {
    public let job: Job
    public let owner: String
    public let now: Instant
    public let database: any Database

    /// Marks the job done inside the handler's own transaction (see `JobQueue.complete`).
    public func complete(in db: any SQLDatabase) async throws {
        try await JobQueue.complete(job.id, owner: owner, now: now, in: db)
    }
}

/// Runs due jobs. Handlers are idempotent commands ("fail groups that expired", "settle a
/// period"), so a retry after a crash repeats nothing that already happened.
public final class JobRunner: Sendable {
    public typealias Handler = @Sendable (JobExecution) async throws -> Void
    /// Due work found by a query rather than kept as jobs (unpaid orders past their timeout): run
    /// with the time at the start of every `runDue`.
    public typealias Sweep = @Sendable (Instant) async throws -> Void

    let queue: JobQueue
    let database: any Database
    let clock: any TuikeClock
    let handlers: [String: Handler]
    let sweeps: [String: Sweep]
    let logger: Logger
    public let owner: String
    let leaseMilliseconds: Int64

    public init(database: any Database, clock: any TuikeClock, handlers: [String: Handler], sweeps: [String: Sweep] = [:], logger: Logger,
                owner: String = Identifier.secret(length: 12), leaseMilliseconds: Int64 = 300_000) {
        self.queue = JobQueue(database: database)
        self.database = database
        self.clock = clock
        self.handlers = handlers
        self.sweeps = sweeps
        self.logger = logger
        self.owner = owner
        self.leaseMilliseconds = leaseMilliseconds
    }

    /// Runs the sweeps side by side (a slow message provider must not hold back the auto-receipt
    /// or the rollups), then claims and runs every job due now, batch after batch; returns how
    /// many jobs ran successfully. A failing sweep is logged and tried again next time.
    @discardableResult
    public func runDue(batchSize: Int = 50) async throws -> Int {
        let start = clock.now(), logger = logger
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (name, sweep) in sweeps.sorted(by: { $0.key < $1.key }) {
                group.addTask {
                    do {
                        try await sweep(start)
                    } catch is CancellationError {
                        // The server is stopping: not a failure.
                        throw CancellationError()
                    } catch {
                        logger.error("sweep failed", metadata: ["sweep": "\(name)", "error": "\(error)"])
                    }
                }
            }
            try await group.waitForAll()
        }
        var succeeded = 0
        while true {
            let now = clock.now()
            let jobs = try await queue.claim(owner: owner, now: now, leaseMilliseconds: leaseMilliseconds, limit: batchSize)
            if jobs.isEmpty { return succeeded }
            for job in jobs where try await run(job, now: now) { succeeded += 1 }
        }
    }

    private func run(_ job: Job, now: Instant) async throws -> Bool {
        let execution = JobExecution(job: job, owner: owner, now: now, database: database)
        do {
            guard let handler = handlers[job.kind] else { throw UnknownJobKind(kind: job.kind) }
            try await handler(execution)
            do {
                try await database.write { db in try await execution.complete(in: db) }
            } catch is JobLeaseLost {
                // The handler completed the job in its own transaction already.
            }
            return true
        } catch let lost as JobLeaseLost {
            logger.warning("job lease lost", metadata: ["job": "\(lost.jobID)"])
            return false
        } catch {
            let delay = Int64(1) << min(job.attempts, 12)
            logger.error("job failed", metadata: ["job": "\(job.id)", "kind": "\(job.kind)", "error": "\(error)"])
            try await queue.fail(job.id, owner: owner, error: "\(error)", retryAt: now.adding(seconds: delay), now: now)
            return false
        }
    }
}

struct UnknownJobKind: Error, CustomStringConvertible {
    let kind: String
    var description: String { "no handler for job kind \(kind)" }
}

/// Polls for due jobs once a second until shutdown.
public struct JobRunnerService: Service {
    let runner: JobRunner
    let interval: Duration
    let logger: Logger

    public init(runner: JobRunner, interval: Duration = .seconds(1), logger: Logger) {
        self.runner = runner
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await runner.runDue()
                } catch is CancellationError {
                    break
                } catch {
                    logger.error("job runner pass failed", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
