import Foundation
import SQLKit
import TuikeCore

/// Promoters, their status transitions and their place in the invite tree.
public struct PromoterRepository: Sendable {
    let database: any Database
    let cipher: FieldCipher

    public init(database: any Database, cipher: FieldCipher) {
        self.database = database
        self.cipher = cipher
    }

    static let columns = "id, name, phone_masked, status, parent_id, invite_code, buyer_id, rejection_reason, rank_id, created_at, updated_at"

    public struct NewPromoter: Sendable {
        public var name: String
        public var phone: String?
        public var status: Promoter.Status
        public var parentID: String?
        public var buyerID: String?
        public var acceptance: AgreementAcceptance?

        public init(name: String, phone: String? = nil, status: Promoter.Status, parentID: String? = nil, buyerID: String? = nil, acceptance: AgreementAcceptance? = nil) {
            self.name = name
            self.phone = phone
            self.status = status
            self.parentID = parentID
            self.buyerID = buyerID
            self.acceptance = acceptance
        }
    }

    /// Signed agreement evidence (电子签约存证): stored once, never changed.
    public struct AgreementAcceptance: Sendable, Equatable {
        public var version: String
        public var signedName: String
        public var ip: String?
        public var userAgent: String?

        public init(version: String, signedName: String, ip: String?, userAgent: String?) {
            self.version = version
            self.signedName = signedName
            self.ip = ip
            self.userAgent = userAgent
        }
    }

    /// Creates a promoter (and its agreement evidence) in one transaction. The parent must be an
    /// active promoter; a phone number belongs to one promoter only.
    public func create(_ new: NewPromoter, at now: Instant) async throws -> Promoter {
        let phone = try new.phone.map { raw -> (encrypted: String, masked: String, hash: String) in
            guard let normalized = Phone.normalize(raw) else { throw TuikeError.validation("phone is not a phone number") }
            return (try cipher.encrypt(normalized), Phone.mask(normalized), cipher.hash(normalized))
        }
        let id = Identifier.make("prm", at: now)
        let name = new.name.trimmingCharacters(in: .whitespacesAndNewlines)
        return try await database.write { db in
            if let parentID = new.parentID {
                let parent = try await db.first("SELECT status FROM promoters WHERE id = \(bind: parentID)")
                guard let parent else { throw TuikeError.validation("parent_id \(parentID) is not a promoter") }
                guard try parent.decode(column: "status", as: String.self) == Promoter.Status.active.rawValue else {
                    throw TuikeError.validation("the upline \(parentID) is not an active promoter")
                }
            }
            if let hash = phone?.hash, try await db.first("SELECT id FROM promoters WHERE phone_hash = \(bind: hash)") != nil {
                throw TuikeError(.conflict, code: "phone_taken", "a promoter with this phone number exists")
            }
            // An invite code collision is astronomically rare; trying a few codes costs nothing.
            for _ in 0..<5 {
                let code = InviteCode.make()
                let inserted = try await db.first("""
                    INSERT INTO promoters (id, name, phone_encrypted, phone_masked, phone_hash, status, parent_id, invite_code, buyer_id, created_at, updated_at)
                    VALUES (\(bind: id), \(bind: name), \(bind: phone?.encrypted), \(bind: phone?.masked), \(bind: phone?.hash),
                            \(bind: new.status.rawValue), \(bind: new.parentID), \(bind: code), \(bind: new.buyerID),
                            \(bind: now.milliseconds), \(bind: now.milliseconds))
                    ON CONFLICT DO NOTHING RETURNING \(unsafeRaw: Self.columns)
                    """)
                guard let inserted else {
                    if let hash = phone?.hash, try await db.first("SELECT id FROM promoters WHERE phone_hash = \(bind: hash)") != nil {
                        throw TuikeError(.conflict, code: "phone_taken", "a promoter with this phone number exists")
                    }
                    continue
                }
                if let acceptance = new.acceptance {
                    try await AgreementRepository.recordAcceptance(acceptance, promoterID: id, at: now, in: db)
                }
                return try Self.decode(inserted)
            }
            throw TuikeError(.conflict, code: "invite_code_exhausted", "could not allocate an invite code; try again")
        }
    }

    public func find(_ id: String) async throws -> Promoter? {
        try await database.read { db in try await Self.find(id, in: db) }
    }

    static func find(_ id: String, in db: any SQLDatabase) async throws -> Promoter? {
        try await db.first("SELECT \(unsafeRaw: columns) FROM promoters WHERE id = \(bind: id)").map(decode)
    }

    /// The names of the promoters among `ids` (unknown ids are left out).
    public func names(_ ids: [String]) async throws -> [String: String] {
        try await database.read { db in try await Self.names(ids, in: db) }
    }

    static func names(_ ids: [String], in db: any SQLDatabase) async throws -> [String: String] {
        var names: [String: String] = [:]
        for chunk in Array(Set(ids)).sorted().chunked(by: 500) {
            for row in try await db.rows("SELECT id, name FROM promoters WHERE id IN (\(SQLList(chunk.map { SQLBind($0) })))") {
                names[try row.decode(column: "id", as: String.self)] = try row.decode(column: "name", as: String.self)
            }
        }
        return names
    }

    public func find(inviteCode: String) async throws -> Promoter? {
        let code = InviteCode.normalize(inviteCode)
        return try await database.read { db in
            try await db.first("SELECT \(unsafeRaw: Self.columns) FROM promoters WHERE invite_code = \(bind: code)").map(Self.decode)
        }
    }

    /// The stored phone number in clear, for the promoter itself and admins (never listed).
    public func phone(of id: String) async throws -> String? {
        let sealed = try await database.read { db in
            try await db.first("SELECT phone_encrypted FROM promoters WHERE id = \(bind: id)")?.decode(column: "phone_encrypted", as: String?.self)
        }
        return try sealed.map(cipher.decrypt)
    }

    /// `ids`: only these promoters (an empty set gives none).
    public func list(status: Promoter.Status?, parentID: String?, ids: Set<String>? = nil, limit: Int, before: String?) async throws -> [Promoter] {
        if ids?.isEmpty == true { return [] }
        return try await database.read { db in
            let condition = SQLQueryString.all([
                status.map { "status = \(bind: $0.rawValue)" }, parentID.map { "parent_id = \(bind: $0)" }, before.map { "id < \(bind: $0)" },
                ids.map { "id IN (\(SQLList($0.sorted().map { SQLBind($0) })))" },
            ])
            return try await db.rows("""
                SELECT \(unsafeRaw: Self.columns) FROM promoters WHERE \(condition)
                ORDER BY id DESC LIMIT \(bind: limit)
                """).map(Self.decode)
        }
    }

    /// Moves a promoter from one of `from` to `next` if the rules allow it, in one conditional
    /// statement. Throws 404 for an unknown id and 409 `invalid_transition` otherwise.
    public func transition(_ id: String, from: Set<Promoter.Status> = Set(Promoter.Status.allCases), to next: Promoter.Status,
                           reason: String? = nil, actor: String, at now: Instant) async throws -> Promoter {
        let allowedFrom = Promoter.Status.allCases.filter { from.contains($0) && $0.canMove(to: next) }.map(\.rawValue)
        return try await database.write { db in
            let updated = try await db.first("""
                UPDATE promoters SET status = \(bind: next.rawValue), updated_at = \(bind: now.milliseconds),
                    rejection_reason = \(bind: next == .rejected ? reason : nil)
                WHERE id = \(bind: id) AND status IN (\(SQLList(allowedFrom.map { SQLBind($0) })))
                RETURNING \(unsafeRaw: Self.columns)
                """)
            guard let updated else {
                guard let current = try await Self.find(id, in: db) else { throw TuikeError.notFound("promoter", id) }
                throw TuikeError(.conflict, code: "invalid_transition", "a promoter that is \(current.status.rawValue) cannot become \(next.rawValue)")
            }
            try await AuditLog.append(actor: actor, action: "promoter.\(next.rawValue)", subject: id, detail: reason ?? "", at: now, in: db)
            // Access ends with the status: the promoter's open portal sessions go with it.
            if next != .active { try await SessionRepository.revoke(kind: "promoter", subjectID: id, in: db) }
            return try Self.decode(updated)
        }
    }

    /// Re-parents a promoter (admin only, audited). Refuses a parent inside the promoter's own
    /// downline, so the tree never has a cycle; on PostgreSQL a transaction-scoped advisory lock
    /// serializes re-parenting so two concurrent moves cannot close a cycle between them.
    public func setParent(_ id: String, to parentID: String?, actor: String, reason: String, at now: Instant) async throws -> Promoter {
        let dialect = database.dialect
        return try await database.write { db in
            if dialect.kind == .postgres { try await db.execute("SELECT pg_advisory_xact_lock(7368758)") }
            guard let promoter = try await Self.find(id, in: db) else { throw TuikeError.notFound("promoter", id) }
            if let parentID {
                guard try await Self.find(parentID, in: db) != nil else { throw TuikeError.validation("parent_id \(parentID) is not a promoter") }
                var cursor: String? = parentID
                var steps = 0
                while let current = cursor {
                    if current == id { throw TuikeError.validation("\(parentID) is in the downline of \(id): that would make a cycle") }
                    cursor = try await db.first("SELECT parent_id FROM promoters WHERE id = \(bind: current)")?.decode(column: "parent_id", as: String?.self)
                    steps += 1
                    if steps > 100_000 { throw TuikeError.validation("the invite tree is corrupt") }
                }
            }
            let updated = try await db.one("""
                UPDATE promoters SET parent_id = \(bind: parentID), updated_at = \(bind: now.milliseconds)
                WHERE id = \(bind: id) RETURNING \(unsafeRaw: Self.columns)
                """)
            try await AuditLog.append(actor: actor, action: "promoter.reparent", subject: id,
                                      detail: "\(promoter.parentID ?? "none") -> \(parentID ?? "none"): \(reason)", at: now, in: db)
            return try Self.decode(updated)
        }
    }

    /// A direct downline member with the aggregates a promoter may see of it.
    public struct TeamMember: Sendable, Equatable {
        public let id: String
        public let name: String
        public let status: Promoter.Status
        public let joinedAt: Instant
        public let clicks: Int64
        public let directTeamSize: Int64
        /// The member's own sales since it joined (never its team's): paid orders and GMV less refunds.
        public let paidOrders: Int64
        public let gmv: Int64
    }

    public func team(of id: String, limit: Int, before: String?) async throws -> [TeamMember] {
        let sqlite = database.dialect.kind == .sqlite
        return try await database.read { db in
            let cursorFilter = SQLQueryString.all([before.map { "p.id < \(bind: $0)" }])
            // Rolled-up days from the totals, the rest from the rows since the rollups' watermark:
            // orders by the promoter's index (paid since); the refunds of the span (by their keys
            // on SQLite, their time index on PostgreSQL) summed by promoter once, not each
            // member's orders of all time searched for refunds.
            let through = try await DayRollups.state(in: db)?.through ?? Instant(milliseconds: 0)
            let refundsSince: SQLQueryString = sqlite
                ? "x.id >= \(bind: Identifier.lowerBound("rfd", at: through)) AND x.created_at >= \(bind: through.milliseconds)"
                : "x.created_at >= \(bind: through.milliseconds)"
            let join = sqlite ? "CROSS JOIN" : "JOIN"
            return try await db.rows("""
                WITH refunded AS MATERIALIZED (
                    SELECT o.promoter_id, SUM(x.amount) AS amount FROM refunds x \(unsafeRaw: join) orders o ON o.id = x.order_id
                    WHERE \(refundsSince) AND o.promoter_id IS NOT NULL GROUP BY o.promoter_id)
                SELECT p.id, p.name, p.status, p.created_at,
                    CAST(COALESCE((SELECT t.clicks FROM scope_totals t WHERE t.scope = 'promoter:' || p.id), 0)
                    + (SELECT COUNT(*) FROM clicks c JOIN links l ON l.id = c.link_id WHERE l.promoter_id = p.id AND c.is_bot = 0
                        AND c.at >= \(bind: through.milliseconds)) AS BIGINT) AS clicks,
                    (SELECT COUNT(*) FROM promoters q WHERE q.parent_id = p.id) AS team_size,
                    CAST(COALESCE((SELECT t.paid_orders FROM scope_totals t WHERE t.scope = 'promoter:' || p.id), 0)
                    + (SELECT COUNT(*) FROM orders o WHERE o.promoter_id = p.id AND o.paid_at >= \(bind: through.milliseconds)) AS BIGINT) AS paid_orders,
                    CAST(COALESCE((SELECT t.gmv - t.refunded FROM scope_totals t WHERE t.scope = 'promoter:' || p.id), 0)
                    + COALESCE((SELECT SUM(o.amount) FROM orders o WHERE o.promoter_id = p.id AND o.paid_at >= \(bind: through.milliseconds)), 0)
                    - COALESCE((SELECT r.amount FROM refunded r WHERE r.promoter_id = p.id), 0) AS BIGINT) AS gmv
                FROM promoters p WHERE p.parent_id = \(bind: id) AND \(cursorFilter)
                ORDER BY p.id DESC LIMIT \(bind: limit)
                """).map { row in
                TeamMember(
                    id: try row.decode(column: "id", as: String.self),
                    name: try row.decode(column: "name", as: String.self),
                    status: try row.decodeEnum(column: "status", as: Promoter.Status.self),
                    joinedAt: try row.decodeInstant(column: "created_at"),
                    clicks: try row.decode(column: "clicks", as: Int64.self),
                    directTeamSize: try row.decode(column: "team_size", as: Int64.self),
                    paidOrders: try row.decode(column: "paid_orders", as: Int64.self), gmv: try row.decode(column: "gmv", as: Int64.self))
            }
        }
    }

    static func decode(_ row: any SQLRow) throws -> Promoter {
        Promoter(
            id: try row.decode(column: "id", as: String.self),
            name: try row.decode(column: "name", as: String.self),
            phoneMasked: try row.decode(column: "phone_masked", as: String?.self),
            status: try row.decodeEnum(column: "status", as: Promoter.Status.self),
            parentID: try row.decode(column: "parent_id", as: String?.self),
            inviteCode: try row.decode(column: "invite_code", as: String.self),
            buyerID: try row.decode(column: "buyer_id", as: String?.self),
            rejectionReason: try row.decode(column: "rejection_reason", as: String?.self),
            rankID: try row.decode(column: "rank_id", as: String?.self),
            createdAt: try row.decodeInstant(column: "created_at"),
            updatedAt: try row.decodeInstant(column: "updated_at"))
    }
}
