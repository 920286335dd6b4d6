import Foundation
import SQLKit
import TuikeCore

/// The webhook outbox: every state change of orders, payments, refunds and commissions
/// writes an event in the transaction that makes the change, together with one pending delivery
/// per subscribed endpoint. `WebhookDelivery` sends them afterwards, outside any transaction.
public enum Outbox {
    public typealias Value = DomainEvent.Value

    /// The payload as JSON with sorted keys, written by hand: JSONEncoder was measured at 7 % of
    /// the SQLite writer's time in `bench/orders.sh`, for flat objects of strings and integers.
    /// The output is what `JSONEncoder` with `.sortedKeys, .withoutEscapingSlashes` writes.
    static func json(_ payload: [String: Value]) -> String {
        var out: [UInt8] = [UInt8(ascii: "{")]
        for (index, (key, value)) in payload.sorted(by: { JSONText.keyPrecedes($0.key, $1.key) }).enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            JSONText.appendQuoted(key, to: &out)
            out.append(UInt8(ascii: ":"))
            switch value {
            case .string(let value): JSONText.appendQuoted(value, to: &out)
            case .int(let value): out.append(contentsOf: String(value).utf8)
            case .null: out.append(contentsOf: "null".utf8)
            }
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    static let insertStatement = RowInsert(into: "events", columns: ["id", "type", "subject_id", "payload", "created_at"])

    /// An event to record.
    public struct Event: Sendable {
        public let type: String
        public let subject: String
        public let payload: [String: Value]

        init(_ event: DomainEvent) {
            type = event.type
            subject = event.subject
            payload = event.payload
        }
    }

    /// Records `event` inside the caller's transaction.
    static func emit(_ event: DomainEvent, at now: Instant, in db: any SQLDatabase) async throws {
        try await emit([Event(event)], at: now, in: db)
    }

    /// Records `events` inside the caller's transaction in two statements, however many there are
    /// (one on PostgreSQL, where every statement is a round trip).
    static func emit(_ events: [Event], at now: Instant, in db: any SQLDatabase) async throws {
        var batch = StatementBatch()
        emit(events, at: now, into: &batch)
        try await batch.run(in: db)
    }

    /// The same, added to a batch of the caller's. A delivery names its event's id and type by
    /// value rather than reading `events`, so it may share a batch with the event's INSERT.
    static func emit(_ events: [Event], at now: Instant, into batch: inout StatementBatch) {
        guard !events.isEmpty else { return }
        let ids = events.map { _ in Identifier.make("evt", at: now) }
        batch.insert(insertStatement, rows: zip(ids, events).map { id, event in
            [.text(id), .text(event.type), .text(event.subject), .text(json(event.payload)), .int(now.milliseconds)]
        })
        let values = SQLList(zip(ids, events).map { id, event in SQLGroupExpression([SQLBind(id), SQLBind(event.type)]) })
        batch.add("""
            INSERT INTO webhook_deliveries (event_id, endpoint_id, status, next_attempt_at, updated_at)
            SELECT e.column1, w.id, 'pending', \(bind: now.milliseconds), \(bind: now.milliseconds) FROM (VALUES \(values)) AS e JOIN webhook_endpoints w
                ON w.status = 'active' AND (w.event_types = '*' OR (',' || w.event_types || ',') LIKE ('%,' || e.column2 || ',%'))
            """)
    }
}

public struct EventRecord: Sendable, Equatable {
    public let id: String
    public let type: String
    public let subjectID: String
    public let payload: String
    public let createdAt: Instant
}

public struct WebhookEndpoint: Sendable, Equatable {
    public let id: String
    public let url: String
    public let secret: String
    public let eventTypes: [String]
    public let status: String
    public let createdAt: Instant
    /// The secret a rotation replaced, still signing beside the new one until `previousSecretUntil`.
    public var previousSecret: String? = nil
    public var previousSecretUntil: Instant? = nil

    /// The secrets that sign a delivery at `now`: the current one, and the one before during its grace.
    public func signingSecrets(at now: Instant) -> [String] {
        guard let previousSecret, let until = previousSecretUntil, now < until else { return [secret] }
        return [secret, previousSecret]
    }
}

public struct EventRepository: Sendable {
    let database: any Database

    public init(database: any Database) { self.database = database }

    public func list(type: String?, subjectID: String?, limit: Int, before: String?) async throws -> [EventRecord] {
        try await database.read { db in
            let condition = SQLQueryString.all([
                type.map { "type = \(bind: $0)" }, subjectID.map { "subject_id = \(bind: $0)" }, before.map { "id < \(bind: $0)" },
            ])
            return try await db.rows("""
                SELECT id, type, subject_id, payload, created_at FROM events WHERE \(condition) ORDER BY id DESC LIMIT \(bind: limit)
                """).map { row in
                EventRecord(id: try row.decode(column: "id", as: String.self), type: try row.decode(column: "type", as: String.self),
                            subjectID: try row.decode(column: "subject_id", as: String.self), payload: try row.decode(column: "payload", as: String.self),
                            createdAt: try row.decodeInstant(column: "created_at"))
            }
        }
    }

    public func createEndpoint(url: String, eventTypes: [String], at now: Instant) async throws -> WebhookEndpoint {
        let endpoint = WebhookEndpoint(id: Identifier.make("whe", at: now), url: url, secret: Self.newSecret(),
                                       eventTypes: eventTypes, status: "active", createdAt: now)
        try await database.write { db in
            try await db.execute("""
                INSERT INTO webhook_endpoints (id, url, secret, event_types, status, created_at)
                VALUES (\(bind: endpoint.id), \(bind: url), \(bind: endpoint.secret), \(bind: eventTypes.joined(separator: ",")), 'active', \(bind: now.milliseconds))
                """)
        }
        return endpoint
    }

    public func endpoints() async throws -> [WebhookEndpoint] {
        try await database.read { db in
            try await db.rows("""
                SELECT id, url, secret, event_types, status, created_at, previous_secret, previous_secret_until FROM webhook_endpoints ORDER BY id
                """).map(Self.decodeEndpoint)
        }
    }

    public func disableEndpoint(_ id: String) async throws -> Bool {
        try await database.write { db in
            try await db.first("UPDATE webhook_endpoints SET status = 'disabled' WHERE id = \(bind: id) RETURNING id") != nil
        }
    }

    public struct Attempt: Sendable, Equatable {
        public let endpointID: String
        public let status: String
        public let attempts: Int64
        public let lastStatus: Int64?
        public let nextAttemptAt: Instant
    }

    public func deliveries(eventID: String) async throws -> [Attempt] {
        try await database.read { db in
            try await db.rows("""
                SELECT endpoint_id, status, attempts, last_status, next_attempt_at FROM webhook_deliveries WHERE event_id = \(bind: eventID) ORDER BY endpoint_id
                """).map { row in
                Attempt(endpointID: try row.decode(column: "endpoint_id", as: String.self), status: try row.decode(column: "status", as: String.self),
                        attempts: try row.decode(column: "attempts", as: Int64.self), lastStatus: try row.decode(column: "last_status", as: Int64?.self),
                        nextAttemptAt: try row.decodeInstant(column: "next_attempt_at"))
            }
        }
    }

    static func decodeEndpoint(_ row: any SQLRow) throws -> WebhookEndpoint {
        WebhookEndpoint(
            id: try row.decode(column: "id", as: String.self), url: try row.decode(column: "url", as: String.self),
            secret: try row.decode(column: "secret", as: String.self),
            eventTypes: try row.decode(column: "event_types", as: String.self).split(separator: ",").map(String.init),
            status: try row.decode(column: "status", as: String.self), createdAt: try row.decodeInstant(column: "created_at"),
            previousSecret: try row.decode(column: "previous_secret", as: String?.self),
            previousSecretUntil: try row.decode(column: "previous_secret_until", as: Int64?.self).map(Instant.init(milliseconds:)))
    }

    /// A delivery due now, claimed for `leaseSeconds` so that concurrent senders skip it.
    public struct Due: Sendable {
        public let event: EventRecord
        public let endpoint: WebhookEndpoint
        public let attempts: Int64
    }

    public func claimDue(now: Instant, leaseSeconds: Int64 = 60, limit: Int = 20) async throws -> [Due] {
        let lock = database.dialect.forUpdateSkipLocked
        return try await database.write { db in
            let keys = try await db.rows("""
                SELECT event_id, endpoint_id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= \(bind: now.milliseconds)
                ORDER BY next_attempt_at LIMIT \(bind: limit)\(unsafeRaw: lock)
                """).map { (try $0.decode(column: "event_id", as: String.self), try $0.decode(column: "endpoint_id", as: String.self)) }
            var due: [Due] = []
            for (eventID, endpointID) in keys {
                try await db.execute("""
                    UPDATE webhook_deliveries SET next_attempt_at = \(bind: now.adding(seconds: leaseSeconds).milliseconds)
                    WHERE event_id = \(bind: eventID) AND endpoint_id = \(bind: endpointID)
                    """)
                guard let row = try await db.first("""
                    SELECT e.id, e.type, e.subject_id, e.payload, e.created_at, d.attempts,
                        w.id AS w_id, w.url, w.secret, w.event_types, w.status, w.created_at AS w_created_at, w.previous_secret, w.previous_secret_until
                    FROM webhook_deliveries d JOIN events e ON e.id = d.event_id JOIN webhook_endpoints w ON w.id = d.endpoint_id
                    WHERE d.event_id = \(bind: eventID) AND d.endpoint_id = \(bind: endpointID)
                    """) else { continue }
                due.append(Due(
                    event: EventRecord(id: try row.decode(column: "id", as: String.self), type: try row.decode(column: "type", as: String.self),
                                       subjectID: try row.decode(column: "subject_id", as: String.self), payload: try row.decode(column: "payload", as: String.self),
                                       createdAt: try row.decodeInstant(column: "created_at")),
                    endpoint: WebhookEndpoint(id: try row.decode(column: "w_id", as: String.self), url: try row.decode(column: "url", as: String.self),
                                              secret: try row.decode(column: "secret", as: String.self),
                                              eventTypes: try row.decode(column: "event_types", as: String.self).split(separator: ",").map(String.init),
                                              status: try row.decode(column: "status", as: String.self), createdAt: try row.decodeInstant(column: "w_created_at"),
                                              previousSecret: try row.decode(column: "previous_secret", as: String?.self),
                                              previousSecretUntil: try row.decode(column: "previous_secret_until", as: Int64?.self).map(Instant.init(milliseconds:))),
                    attempts: try row.decode(column: "attempts", as: Int64.self)))
            }
            return due
        }
    }

    /// Records one attempt: delivered, or retried after a backoff, or given up after `maxAttempts`.
    public func record(eventID: String, endpointID: String, httpStatus: Int?, error: String?, now: Instant, maxAttempts: Int64 = 12) async throws {
        let delivered = httpStatus.map { (200..<300).contains($0) } ?? false
        try await database.write { db in
            let attempts = try await db.first("""
                SELECT attempts FROM webhook_deliveries WHERE event_id = \(bind: eventID) AND endpoint_id = \(bind: endpointID)
                """)?.decode(column: "attempts", as: Int64.self) ?? 0
            let next = attempts + 1
            let status = delivered ? "delivered" : (next >= maxAttempts ? "failed" : "pending")
            // 30 s, 1 min, 2 min, … capped at 6 hours.
            let backoff = min(Int64(30) << min(attempts, 10), 21_600)
            try await db.execute("""
                UPDATE webhook_deliveries SET status = \(bind: status), attempts = \(bind: next), last_status = \(bind: httpStatus.map(Int64.init)),
                    last_error = \(bind: error), next_attempt_at = \(bind: now.adding(seconds: backoff).milliseconds), updated_at = \(bind: now.milliseconds)
                WHERE event_id = \(bind: eventID) AND endpoint_id = \(bind: endpointID)
                """)
        }
    }
}
