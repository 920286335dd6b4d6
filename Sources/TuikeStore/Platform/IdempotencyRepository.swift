import SQLKit
import TuikeCore

/// Stored responses for `Idempotency-Key` (docs/api.md). A key is claimed before the handler runs, so
/// two concurrent requests with one key cannot both act: the second sees `inProgress`.
public struct IdempotencyRepository: Sendable {
    public enum Claim: Sendable, Equatable {
        /// The key is new (or its earlier attempt died): run the request, then `complete`.
        case proceed
        /// The same request was answered before: send this again.
        case replay(status: Int, contentType: String?, body: String)
        /// The key was used for a different request.
        case mismatch
        /// The first request with this key is still running.
        case inProgress
    }

    let database: any Database
    /// How long an unanswered claim blocks its key; after that the request may be retried.
    let claimTimeoutMilliseconds: Int64 = 60_000

    public init(database: any Database) { self.database = database }

    public func claim(scope: String, key: String, method: String, path: String, requestHash: String, at now: Instant) async throws -> Claim {
        let timeout = claimTimeoutMilliseconds
        return try await database.write { db in
            let inserted = try await db.first("""
                INSERT INTO idempotency_keys (principal, idem_key, method, path, request_hash, created_at)
                VALUES (\(bind: scope), \(bind: key), \(bind: method), \(bind: path), \(bind: requestHash), \(bind: now.milliseconds))
                ON CONFLICT (principal, idem_key) DO NOTHING RETURNING idem_key
                """)
            if inserted != nil { return .proceed }
            guard let row = try await db.first("""
                SELECT method, path, request_hash, status, content_type, response_body, created_at
                FROM idempotency_keys WHERE principal = \(bind: scope) AND idem_key = \(bind: key)
                """) else { return .inProgress }
            let sameRequest = try row.decode(column: "method", as: String.self) == method
                && row.decode(column: "path", as: String.self) == path
                && row.decode(column: "request_hash", as: String.self) == requestHash
            guard sameRequest else { return .mismatch }
            if let status = try row.decode(column: "status", as: Int64?.self) {
                return .replay(
                    status: Int(status),
                    contentType: try row.decode(column: "content_type", as: String?.self),
                    body: try row.decode(column: "response_body", as: String?.self) ?? "")
            }
            if try row.decode(column: "created_at", as: Int64.self) + timeout < now.milliseconds {
                try await db.execute("""
                    UPDATE idempotency_keys SET created_at = \(bind: now.milliseconds)
                    WHERE principal = \(bind: scope) AND idem_key = \(bind: key) AND status IS NULL
                    """)
                return .proceed
            }
            return .inProgress
        }
    }

    public func complete(scope: String, key: String, status: Int, contentType: String?, body: String, at now: Instant) async throws {
        try await database.write { db in
            try await db.execute("""
                UPDATE idempotency_keys SET status = \(bind: Int64(status)), content_type = \(bind: contentType),
                    response_body = \(bind: body), completed_at = \(bind: now.milliseconds)
                WHERE principal = \(bind: scope) AND idem_key = \(bind: key)
                """)
        }
    }

    /// Frees a key whose request failed on the server's side, so that a retry runs again.
    public func release(scope: String, key: String) async throws {
        try await database.write { db in
            try await db.execute("""
                DELETE FROM idempotency_keys WHERE principal = \(bind: scope) AND idem_key = \(bind: key) AND status IS NULL
                """)
        }
    }

    /// Forgets keys older than `cutoff`; returns how many. The oldest `chunk` go in each write, so
    /// an hour's worth of keys (millions under load) never holds SQLite's one writer for long:
    /// orders and clicks queued meanwhile commit between the chunks.
    @discardableResult
    public func purge(olderThan cutoff: Instant, chunk: Int = 5_000) async throws -> Int {
        precondition(chunk > 0, "a chunk of no keys would never end")
        var purged = 0
        while true {
            let deleted = try await database.write { db in
                try await db.rows("""
                    DELETE FROM idempotency_keys WHERE (principal, idem_key) IN (
                        SELECT principal, idem_key FROM idempotency_keys WHERE created_at < \(bind: cutoff.milliseconds)
                        ORDER BY created_at LIMIT \(bind: chunk))
                    RETURNING idem_key
                    """).count
            }
            purged += deleted
            if deleted < chunk { return purged }
        }
    }
}
