import Foundation
import SQLKit
import TuikeCore

/// Messages to buyers (docs/rules.md §14). A sweep turns the events that concern buyers into one
/// row per event, buyer and channel (a unique key, so collecting twice, or on two instances,
/// adds nothing); another claims due rows with a conditional UPDATE and sends them outside any
/// transaction, retrying with a back-off. A claim lasts five minutes: a sender that dies
/// mid-send leaves its rows to be claimed again, so a message may go twice only then.
public struct NotificationRepository: Sendable {
    let database: any Database

    public init(database: any Database) { self.database = database }

    static let migration = Migration(version: 25, name: "buyer_notifications", statements: [
        """
        CREATE TABLE notifications (
            id TEXT PRIMARY KEY,
            event_id TEXT NOT NULL,
            buyer_id TEXT NOT NULL,
            channel TEXT NOT NULL CHECK (channel IN ('sms', 'wechat')),
            template TEXT NOT NULL,
            parameters TEXT NOT NULL,
            body TEXT NOT NULL,
            marketing BIGINT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'skipped')),
            attempts BIGINT NOT NULL DEFAULT 0,
            next_attempt_at BIGINT NOT NULL,
            last_error TEXT,
            created_at BIGINT NOT NULL,
            sent_at BIGINT,
            UNIQUE (event_id, buyer_id, channel)
        )
        """,
        "CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE status IN ('pending', 'sending')",
        "CREATE INDEX notifications_by_buyer ON notifications (buyer_id, id)",
    ])

    static let cursorKey = "notifications.cursor"
    /// Events are read again this far behind the cursor: a transaction that commits late may
    /// carry an older time than events already read.
    static let lookbackMilliseconds: Int64 = 300_000
    static let claimSeconds: Int64 = 300

    /// Turns new events into messages; returns how many rows it added.
    @discardableResult
    public func collect(at now: Instant) async throws -> Int {
        let cursor = Int64(try await SettingsRepository(database: database).value(Self.cursorKey) ?? "0") ?? 0
        var after = Identifier.lowerBound("evt", at: Instant(milliseconds: max(cursor - Self.lookbackMilliseconds, 0)))
        var added = 0, latest = cursor
        let types = SQLList(BuyerNotice.eventTypes.map { SQLBind($0) })
        while true {
            let since = after
            let rows = try await database.read { db in
                try await db.rows("""
                    SELECT id, type, payload, created_at FROM events WHERE type IN (\(types)) AND id > \(bind: since) ORDER BY id LIMIT 500
                    """)
            }
            for row in rows {
                let id = try row.decode(column: "id", as: String.self), type = try row.decode(column: "type", as: String.self)
                let payload = Self.payload(try row.decode(column: "payload", as: String.self))
                latest = max(latest, try row.decode(column: "created_at", as: Int64.self))
                after = id
                guard let notice = BuyerNotice.notice(type: type, payload: payload),
                      let audience = BuyerNotice.audience(type: type, payload: payload) else { continue }
                added += try await record(notice, eventID: id, audience: audience, at: now)
            }
            if rows.count < 500 { break }
        }
        if latest > cursor { try await SettingsRepository(database: database).set(Self.cursorKey, to: String(latest), at: now) }
        return added
    }

    /// Reads who is told and what is recorded already, and writes only the rows missing: the
    /// collector reads the last five minutes of events again every round, and those rounds must
    /// not cost a write each.
    private func record(_ notice: BuyerNotice, eventID: String, audience: BuyerNotice.Audience, at now: Instant) async throws -> Int {
        struct Row: Sendable { let buyerID: String; let channel: String; let skipped: Bool }
        let missing = try await database.read { db -> [Row] in
            let buyerIDs: [String]
            switch audience {
            case .buyer(let id): buyerIDs = [id]
            case .orderBuyer(let orderID):
                buyerIDs = try await db.rows("SELECT buyer_id FROM orders WHERE id = \(bind: orderID)").map { try $0.decode(column: "buyer_id", as: String.self) }
            case .groupMembers(let groupID, let statuses):
                buyerIDs = try await db.rows("""
                    SELECT buyer_id FROM group_members WHERE group_id = \(bind: groupID) AND status IN (\(SQLList(statuses.map { SQLBind($0) })))
                    """).map { try $0.decode(column: "buyer_id", as: String.self) }
            }
            guard !buyerIDs.isEmpty else { return [] }
            // Only buyers with an account have channels; integrators' own buyer ids are told by the integrator.
            let accounts = try await db.rows("""
                SELECT id, wechat_openid, marketing_opt_out FROM buyers WHERE id IN (\(SQLList(Set(buyerIDs).sorted().map { SQLBind($0) })))
                """)
            guard !accounts.isEmpty else { return [] }
            let recorded = Set(try await db.rows("SELECT buyer_id, channel FROM notifications WHERE event_id = \(bind: eventID)").map {
                "\(try $0.decode(column: "buyer_id", as: String.self))|\(try $0.decode(column: "channel", as: String.self))"
            })
            var rows: [Row] = []
            for account in accounts {
                let buyerID = try account.decode(column: "id", as: String.self)
                var channels = ["sms"]
                if try account.decode(column: "wechat_openid", as: String?.self) != nil { channels.append("wechat") }
                let optOut = try account.decode(column: "marketing_opt_out", as: Int64.self) != 0
                for channel in channels where !recorded.contains("\(buyerID)|\(channel)") {
                    rows.append(Row(buyerID: buyerID, channel: channel, skipped: notice.marketing && optOut))
                }
            }
            return rows
        }
        guard !missing.isEmpty else { return 0 }
        return try await database.write { db in
            var added = 0
            for row in missing {
                let inserted = try await db.first("""
                    INSERT INTO notifications (id, event_id, buyer_id, channel, template, parameters, body, marketing, status, next_attempt_at, last_error, created_at)
                    VALUES (\(bind: Identifier.make("ntf", at: now)), \(bind: eventID), \(bind: row.buyerID), \(bind: row.channel), \(bind: notice.template),
                            \(bind: try StoredJSON.encode(notice.parameters)), \(bind: notice.text), \(bind: Int64(notice.marketing ? 1 : 0)),
                            \(bind: row.skipped ? "skipped" : "pending"), \(bind: now.milliseconds),
                            \(bind: row.skipped ? "the buyer opted out of marketing messages" : nil), \(bind: now.milliseconds))
                    ON CONFLICT DO NOTHING RETURNING id
                    """)
                if inserted != nil { added += 1 }
            }
            return added
        }
    }

    static func payload(_ text: String) -> [String: DomainEvent.Value] {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else { return [:] }
        return object.mapValues { value in
            if let string = value as? String { return .string(string) }
            if let number = value as? NSNumber { return .int(number.int64Value) }
            return .null
        }
    }

    /// A message claimed for sending.
    public struct Claimed: Sendable {
        public let id: String
        public let buyerID: String
        public let channel: String
        public let template: String
        public let parameters: [String: String]
        public let body: String
        public let attempts: Int64
    }

    /// Claims up to `limit` due messages: each moves to `sending` (or stays there, its claim
    /// renewed) in one conditional UPDATE, so of several senders exactly one gets it.
    public func claimDue(at now: Instant, limit: Int = 50) async throws -> [Claimed] {
        var claimed: [Claimed] = []
        for id in try await due(at: now, limit: limit) {
            if let message = try await claim(id, at: now) { claimed.append(message) }
        }
        return claimed
    }

    /// The ids of up to `limit` messages due now, oldest first, unclaimed.
    public func due(at now: Instant, limit: Int = 50) async throws -> [String] {
        try await database.read { db in
            try await db.rows("""
                SELECT id FROM notifications WHERE status IN ('pending', 'sending') AND next_attempt_at <= \(bind: now.milliseconds)
                ORDER BY next_attempt_at LIMIT \(bind: limit)
                """).map { try $0.decode(column: "id", as: String.self) }
        }
    }

    /// Claims one message if it is still due: a sender claims each message just before it sends
    /// it, so a claim lapses only when that one send outlasts it, never while a batch queues.
    public func claim(_ id: String, at now: Instant) async throws -> Claimed? {
        let row = try await database.write { db in
            try await db.first("""
                UPDATE notifications SET status = 'sending', attempts = attempts + 1, next_attempt_at = \(bind: now.adding(seconds: Self.claimSeconds).milliseconds)
                WHERE id = \(bind: id) AND status IN ('pending', 'sending') AND next_attempt_at <= \(bind: now.milliseconds)
                RETURNING id, buyer_id, channel, template, parameters, body, attempts
                """)
        }
        guard let row else { return nil }
        return Claimed(
            id: id, buyerID: try row.decode(column: "buyer_id", as: String.self), channel: try row.decode(column: "channel", as: String.self),
            template: try row.decode(column: "template", as: String.self),
            parameters: try StoredJSON.decode([String: String].self, try row.decode(column: "parameters", as: String.self)),
            body: try row.decode(column: "body", as: String.self), attempts: try row.decode(column: "attempts", as: Int64.self))
    }

    /// The outcome of a send: `sent`, or not sent with the reason (retried until `maxAttempts`,
    /// or at once `skipped` when the message cannot be sent at all). Only the holder of the
    /// claim records it: a claim taken again after it lapsed has counted another attempt.
    public func finish(_ message: Claimed, sent: Bool, error: String?, skip: Bool = false, at now: Instant) async throws {
        try await database.write { db in
            if sent {
                try await db.execute("""
                    UPDATE notifications SET status = 'sent', sent_at = \(bind: now.milliseconds), last_error = NULL WHERE id = \(bind: message.id) AND status = 'sending' AND attempts = \(bind: message.attempts)
                    """)
            } else if skip {
                try await db.execute("UPDATE notifications SET status = 'skipped', last_error = \(bind: error) WHERE id = \(bind: message.id) AND status = 'sending' AND attempts = \(bind: message.attempts)")
            } else if message.attempts >= BuyerNotice.maxAttempts {
                try await db.execute("UPDATE notifications SET status = 'failed', last_error = \(bind: error) WHERE id = \(bind: message.id) AND status = 'sending' AND attempts = \(bind: message.attempts)")
            } else {
                try await db.execute("""
                    UPDATE notifications SET status = 'pending', last_error = \(bind: error),
                        next_attempt_at = \(bind: now.adding(seconds: BuyerNotice.retryDelay(attempt: message.attempts)).milliseconds)
                    WHERE id = \(bind: message.id) AND status = 'sending' AND attempts = \(bind: message.attempts)
                    """)
            }
        }
    }

    public struct Record: Sendable, Equatable {
        public let id: String
        public let eventID: String
        public let buyerID: String
        public let channel: String
        public let template: String
        public let body: String
        public let marketing: Bool
        public let status: String
        public let attempts: Int64
        public let lastError: String?
        public let createdAt: Instant
        public let sentAt: Instant?
    }

    /// The message log, newest first.
    public func list(buyerID: String?, status: String?, limit: Int, before: String?) async throws -> [Record] {
        try await database.read { db in
            let condition = SQLQueryString.all([buyerID.map { "buyer_id = \(bind: $0)" }, status.map { "status = \(bind: $0)" }, before.map { "id < \(bind: $0)" }])
            return try await db.rows("""
                SELECT id, event_id, buyer_id, channel, template, body, marketing, status, attempts, last_error, created_at, sent_at
                FROM notifications WHERE \(condition) ORDER BY id DESC LIMIT \(bind: limit)
                """).map { row in
                Record(id: try row.decode(column: "id", as: String.self), eventID: try row.decode(column: "event_id", as: String.self),
                       buyerID: try row.decode(column: "buyer_id", as: String.self), channel: try row.decode(column: "channel", as: String.self),
                       template: try row.decode(column: "template", as: String.self), body: try row.decode(column: "body", as: String.self),
                       marketing: try row.decode(column: "marketing", as: Int64.self) != 0, status: try row.decode(column: "status", as: String.self),
                       attempts: try row.decode(column: "attempts", as: Int64.self), lastError: try row.decode(column: "last_error", as: String?.self),
                       createdAt: try row.decodeInstant(column: "created_at"), sentAt: try row.decodeOptionalInstant(column: "sent_at"))
            }
        }
    }
}
