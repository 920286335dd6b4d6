import SQLKit
import TuikeCore

/// Merchant and promoter coupons. A use is taken in the order's own transaction by a statement
/// that checks the limit, so concurrent orders can never use a coupon more often than allowed.
public struct CouponRepository: Sendable {
    let database: any Database

    public init(database: any Database) { self.database = database }

    static let columns = "code, kind, value, promoter_id, min_amount, starts_at, ends_at, usage_limit, used"

    public func create(_ coupon: Coupon, at now: Instant) async throws {
        let inserted = try await database.write { db in
            if let promoter = coupon.promoterID, try await PromoterRepository.find(promoter, in: db) == nil {
                throw TuikeError.validation("promoter_id \(promoter) is not a promoter")
            }
            return try await Self.insert(coupon, at: now, in: db)
        }
        if !inserted { throw TuikeError(.conflict, code: "coupon_exists", "coupon \(coupon.code) exists") }
    }

    /// Inserts the coupon in the caller's transaction; false if its code is taken.
    static func insert(_ coupon: Coupon, at now: Instant, in db: any SQLDatabase) async throws -> Bool {
        try await db.first("""
            INSERT INTO coupons (code, kind, value, promoter_id, min_amount, starts_at, ends_at, usage_limit, created_at)
            VALUES (\(bind: coupon.code), \(bind: coupon.kind.rawValue), \(bind: coupon.value), \(bind: coupon.promoterID), \(bind: coupon.minAmount),
                    \(bind: coupon.startsAt?.milliseconds), \(bind: coupon.endsAt?.milliseconds), \(bind: coupon.usageLimit), \(bind: now.milliseconds))
            ON CONFLICT DO NOTHING RETURNING code
            """) != nil
    }

    public func find(_ code: String) async throws -> Coupon? {
        try await database.read { db in
            try await db.first("SELECT \(unsafeRaw: Self.columns) FROM coupons WHERE code = \(bind: Coupon.normalize(code))").map(Self.decode)
        }
    }

    public func list() async throws -> [Coupon] {
        try await database.read { db in try await db.rows("SELECT \(unsafeRaw: Self.columns) FROM coupons ORDER BY created_at DESC, code").map(Self.decode) }
    }

    /// Takes one use, or throws 409 `coupon_used_up`.
    static func redeem(_ code: String, in db: any SQLDatabase) async throws {
        let taken = try await db.first("""
            UPDATE coupons SET used = used + 1 WHERE code = \(bind: code) AND (usage_limit IS NULL OR used < usage_limit) RETURNING code
            """)
        if taken == nil { throw TuikeError(.conflict, code: "coupon_used_up", "coupon \(code) has been used up") }
    }

    /// Gives back the use of a cancelled order.
    static func release(_ code: String, in db: any SQLDatabase) async throws {
        try await db.execute("UPDATE coupons SET used = used - 1 WHERE code = \(bind: code) AND used > 0")
    }

    static func decode(_ row: any SQLRow) throws -> Coupon {
        Coupon(
            code: try row.decode(column: "code", as: String.self), kind: try row.decodeEnum(column: "kind", as: Coupon.Kind.self),
            value: try row.decode(column: "value", as: Int64.self), promoterID: try row.decode(column: "promoter_id", as: String?.self),
            minAmount: try row.decode(column: "min_amount", as: Int64.self), startsAt: try row.decodeOptionalInstant(column: "starts_at"),
            endsAt: try row.decodeOptionalInstant(column: "ends_at"), usageLimit: try row.decode(column: "usage_limit", as: Int64?.self),
            used: try row.decode(column: "used", as: Int64.self))
    }
}
