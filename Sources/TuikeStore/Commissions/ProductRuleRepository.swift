import Foundation
import SQLKit
import TuikeCore

/// Per-product commission rules (`PUT /api/v1/products/{id}/commission`).
public struct ProductRuleRepository: Sendable {
    let database: any Database

    public init(database: any Database) { self.database = database }

    public func rule(productID: String) async throws -> CommissionRule? {
        try await database.read { db in
            guard let row = try await db.first("SELECT body FROM product_rules WHERE product_id = \(bind: productID)") else { return nil }
            return try StoredJSON.rules.decode(try row.decode(column: "body", as: String.self))
        }
    }

    public func set(_ rule: CommissionRule, productID: String, at now: Instant) async throws {
        let body = String(decoding: try JSONEncoder().encode(rule), as: UTF8.self)
        try await database.write { db in
            try await db.execute("""
                INSERT INTO product_rules (product_id, body, updated_at) VALUES (\(bind: productID), \(bind: body), \(bind: now.milliseconds))
                ON CONFLICT (product_id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at
                """)
        }
    }

    /// Returns whether a rule was there to remove.
    public func remove(productID: String) async throws -> Bool {
        try await database.write { db in
            try await db.first("DELETE FROM product_rules WHERE product_id = \(bind: productID) RETURNING product_id") != nil
        }
    }
}
