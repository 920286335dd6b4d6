import Foundation
import TuikeCore
import TuikeStore

/// The kinds of due work and their handlers: hourly idempotency-key clean-up and rank
/// recomputation, and the cancellation of each unpaid order at its timeout. Later capabilities add theirs here (freeze ends, group expiry, settlement periods).
enum JobHandlers {
    static let purgeIdempotencyKeys = "idempotency.purge"
    static let recomputeRanks = "ranks.recompute"
    /// Stored responses are kept this long, like Stripe's 24 hours.
    static let idempotencyRetentionSeconds: Int64 = 86_400
    static let hour: Int64 = 3_600_000

    static func all(database: any Database) -> [String: JobRunner.Handler] {
        [
            purgeIdempotencyKeys: { execution in
                try await IdempotencyRepository(database: database)
                    .purge(olderThan: execution.now.adding(seconds: -idempotencyRetentionSeconds))
                try await scheduleHourly(purgeIdempotencyKeys, after: execution.now, database: database)
            },
            OrderRepository.expireJob: { execution in
                try await OrderRepository(database: database).expire(execution)
            },
            recomputeRanks: { execution in
                try await RankRepository(database: database).recompute(at: execution.now)
                try await scheduleHourly(recomputeRanks, after: execution.now, database: database)
            },
        ]
    }

    /// Idempotent: the dedupe key names the hour, so every instance may call it at start.
    static func scheduleRecurring(database: any Database, now: Instant) async throws {
        for kind in [purgeIdempotencyKeys, recomputeRanks] {
            try await scheduleHourly(kind, after: now.adding(milliseconds: -hour), database: database)
        }
    }

    /// Schedules `kind` at the top of the hour after `instant`, once across all instances.
    private static func scheduleHourly(_ kind: String, after instant: Instant, database: any Database) async throws {
        let nextHour = (instant.milliseconds / hour + 1) * hour
        try await JobQueue(database: database).schedule(
            kind: kind, at: Instant(milliseconds: nextHour), dedupeKey: "\(kind):\(nextHour)", now: instant)
    }
}
