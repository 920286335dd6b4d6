import Foundation
import TuikeCore
import TuikeStore

/// The kinds of due work and their handlers. Later capabilities add theirs here (freeze ends,
/// group expiry, settlement periods).
enum JobHandlers {
    static let purgeIdempotencyKeys = "idempotency.purge"
    /// Stored responses are kept this long, like Stripe's 24 hours.
    static let idempotencyRetentionSeconds: Int64 = 86_400
    static let hour: Int64 = 3_600_000

    static func all(database: any Database) -> [String: JobRunner.Handler] {
        [
            purgeIdempotencyKeys: { execution in
                try await IdempotencyRepository(database: database)
                    .purge(olderThan: execution.now.adding(seconds: -idempotencyRetentionSeconds))
                try await schedulePurge(after: execution.now, database: database)
            },
        ]
    }

    /// Idempotent: the dedupe key names the hour, so every instance may call it at start.
    static func scheduleRecurring(database: any Database, now: Instant) async throws {
        try await schedulePurge(after: now.adding(milliseconds: -hour), database: database)
    }

    private static func schedulePurge(after instant: Instant, database: any Database) async throws {
        let nextHour = (instant.milliseconds / hour + 1) * hour
        try await JobQueue(database: database).schedule(
            kind: purgeIdempotencyKeys, at: Instant(milliseconds: nextHour),
            dedupeKey: "\(purgeIdempotencyKeys):\(nextHour)", now: instant)
    }
}
