import SQLKit
import TuikeCore

/// A unit of due work, claimed under a lease.
public struct Job: Sendable, Equatable {
    public let id: String
    public let kind: String
    public let payload: String
    public let dueAt: Instant
    public let attempts: Int64
}

/// The job table with leases. A claim is one statement that moves due rows to `running` under the
/// caller's name; on PostgreSQL `FOR UPDATE SKIP LOCKED` lets concurrent runners of several app
/// instances claim disjoint rows, and on SQLite the single writer serializes claims. A runner
/// that dies leaves its lease to expire, after which another runner takes the job.
public struct JobQueue: Sendable {
    let database: any Database

    public init(database: any Database) { self.database = database }

    /// Enqueues a job. With a `dedupeKey`, enqueuing the same key again does nothing, which makes
    /// recurring schedules idempotent across instances. Returns whether a row was added.
    @discardableResult
    public func schedule(kind: String, at dueAt: Instant, payload: String = "{}", dedupeKey: String? = nil, now: Instant) async throws -> Bool {
        try await database.write { db in
            try await Self.schedule(kind: kind, at: dueAt, payload: payload, dedupeKey: dedupeKey, now: now, in: db)
        }
    }

    /// The same, inside a caller's transaction, so a job is enqueued exactly when its cause commits.
    @discardableResult
    public static func schedule(kind: String, at dueAt: Instant, payload: String = "{}", dedupeKey: String? = nil, now: Instant, in db: any SQLDatabase) async throws -> Bool {
        let id = Identifier.make("job", at: now)
        return try await db.first("""
            INSERT INTO jobs (id, kind, dedupe_key, payload, due_at, status, created_at)
            VALUES (\(bind: id), \(bind: kind), \(bind: dedupeKey), \(bind: payload), \(bind: dueAt.milliseconds), 'due', \(bind: now.milliseconds))
            ON CONFLICT DO NOTHING RETURNING id
            """) != nil
    }

    public func claim(owner: String, now: Instant, leaseMilliseconds: Int64, limit: Int) async throws -> [Job] {
        let lockClause = database.dialect.forUpdateSkipLocked
        let leaseUntil = now.milliseconds + leaseMilliseconds
        return try await database.write { db in
            try await db.rows("""
                UPDATE jobs SET status = 'running', lease_owner = \(bind: owner), lease_until = \(bind: leaseUntil),
                    attempts = attempts + 1
                WHERE id IN (
                    SELECT id FROM jobs
                    WHERE (status = 'due' AND due_at <= \(bind: now.milliseconds))
                       OR (status = 'running' AND lease_until < \(bind: now.milliseconds))
                    ORDER BY due_at, id LIMIT \(bind: limit)\(unsafeRaw: lockClause))
                RETURNING id, kind, payload, due_at, attempts
                """).map { row in
                Job(
                    id: try row.decode(column: "id", as: String.self),
                    kind: try row.decode(column: "kind", as: String.self),
                    payload: try row.decode(column: "payload", as: String.self),
                    dueAt: try row.decodeInstant(column: "due_at"),
                    attempts: try row.decode(column: "attempts", as: Int64.self))
            }.sorted { ($0.dueAt, $0.id) < ($1.dueAt, $1.id) }
        }
    }

    /// Marks a job done if `owner` still holds its lease. Call it inside the transaction that
    /// makes the job's effect, and that effect commits at most once; throws `JobLeaseLost` otherwise.
    public static func complete(_ jobID: String, owner: String, now: Instant, in db: any SQLDatabase) async throws {
        let updated = try await db.first("""
            UPDATE jobs SET status = 'done', finished_at = \(bind: now.milliseconds), lease_until = NULL
            WHERE id = \(bind: jobID) AND lease_owner = \(bind: owner) AND status = 'running'
            RETURNING id
            """)
        if updated == nil { throw JobLeaseLost(jobID: jobID) }
    }

    /// Records a failure: the job is retried after `retryAt`, or given up after its last attempt.
    public func fail(_ jobID: String, owner: String, error: String, retryAt: Instant, now: Instant) async throws {
        try await database.write { db in
            try await db.execute("""
                UPDATE jobs SET
                    status = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'due' END,
                    due_at = \(bind: retryAt.milliseconds), last_error = \(bind: error), lease_until = NULL,
                    finished_at = CASE WHEN attempts >= max_attempts THEN \(bind: now.milliseconds) ELSE NULL END
                WHERE id = \(bind: jobID) AND lease_owner = \(bind: owner) AND status = 'running'
                """)
        }
    }

    public struct Counts: Sendable, Equatable {
        public var due = 0, running = 0, done = 0, failed = 0
    }

    public func counts() async throws -> Counts {
        try await database.read { db in
            var counts = Counts()
            for row in try await db.rows("SELECT status, COUNT(*) AS n FROM jobs GROUP BY status") {
                let n = Int(try row.decode(column: "n", as: Int64.self))
                switch try row.decode(column: "status", as: String.self) {
                case "due": counts.due = n
                case "running": counts.running = n
                case "done": counts.done = n
                default: counts.failed = n
                }
            }
            return counts
        }
    }
}

public struct JobLeaseLost: Error, CustomStringConvertible {
    public let jobID: String
    public var description: String { "lease on job \(jobID) was lost" }
}
