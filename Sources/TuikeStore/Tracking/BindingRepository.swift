import SQLKit
import TuikeCore

/// Buyer bindings (客户关系保护期, docs/rules.md §3).
public struct BindingRepository: Sendable {
    let database: any Database

    public init(database: any Database) { self.database = database }

    public func binding(buyerID: String) async throws -> Attribution.Binding? {
        try await database.read { db in
            try await db.first("SELECT promoter_id, expires_at FROM bindings WHERE buyer_id = \(bind: buyerID)").map { row in
                Attribution.Binding(promoterID: try row.decode(column: "promoter_id", as: String.self),
                                    expiresAt: try row.decodeOptionalInstant(column: "expires_at"))
            }
        }
    }

    /// Binds a buyer to a promoter after a paid order: a new or lapsed binding is set, a binding to
    /// the same promoter is extended, a live binding to another promoter is kept. `days`: 0 none,
    /// -1 permanent. One statement, so concurrent payments cannot interleave.
    public static func bind(buyerID: String, promoterID: String, days: Int64, at now: Instant, in db: any SQLDatabase) async throws {
        if let statement = bindStatement(buyerID: buyerID, promoterID: promoterID, days: days, at: now) { try await db.execute(statement) }
    }

    /// The statement `bind` runs; nil when the program binds no one (`days` 0).
    static func bindStatement(buyerID: String, promoterID: String, days: Int64, at now: Instant) -> SQLQueryString? {
        guard days != 0 else { return nil }
        let expires: Int64? = days < 0 ? nil : now.milliseconds + days * 86_400_000
        return """
            INSERT INTO bindings (buyer_id, promoter_id, bound_at, expires_at)
            VALUES (\(bind: buyerID), \(bind: promoterID), \(bind: now.milliseconds), \(bind: expires))
            ON CONFLICT (buyer_id) DO UPDATE SET promoter_id = excluded.promoter_id, bound_at = excluded.bound_at, expires_at = excluded.expires_at
            WHERE bindings.promoter_id = excluded.promoter_id
               OR (bindings.expires_at IS NOT NULL AND bindings.expires_at <= \(bind: now.milliseconds))
            """
    }

    public func bind(buyerID: String, promoterID: String, days: Int64, at now: Instant) async throws {
        try await database.write { db in try await Self.bind(buyerID: buyerID, promoterID: promoterID, days: days, at: now, in: db) }
    }
}
