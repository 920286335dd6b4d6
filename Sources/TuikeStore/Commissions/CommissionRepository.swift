import Foundation
import SQLKit
import TuikeCore

public struct CommissionRepository: Sendable {
    let database: any Database

    public init(database: any Database) { self.database = database }

    /// Newest first; `from` / `to` bound the creation time (`[from, to)`).
    public func list(promoterID: String?, orderID: String?, status: Commission.Status?, from: Instant? = nil, to: Instant? = nil,
                     settlementID: String? = nil, riskCaseID: String? = nil, limit: Int?, before: String?) async throws -> [Commission] {
        try await select(where: .all([
            promoterID.map { "promoter_id = \(bind: $0)" }, orderID.map { "order_id = \(bind: $0)" },
            status.map { "status = \(bind: $0.rawValue)" }, before.map { "id < \(bind: $0)" },
            from.map { "created_at >= \(bind: $0.milliseconds)" }, to.map { "created_at < \(bind: $0.milliseconds)" },
            settlementID.map { "settlement_id = \(bind: $0)" }, riskCaseID.map { "risk_case_id = \(bind: $0)" },
            // On SQLite a time range is also a range of the time-ordered key (`MadeWithin`), so
            // a range of old commissions does not walk every newer one.
            database.dialect.kind == .sqlite ? from.map { "id >= \(bind: Identifier.lowerBound("com", at: $0))" } : nil,
            database.dialect.kind == .sqlite ? to.map { "id < \(bind: Identifier.lowerBound("com", at: $0))" } : nil,
        ]), limit: limit)
    }

    public func find(_ id: String) async throws -> Commission? {
        try await select(where: "id = \(bind: id)", limit: 1).first
    }

    private func select(where condition: SQLQueryString, limit: Int?) async throws -> [Commission] {
        try await database.read { db in
            try await db.rows("""
                SELECT id, order_id, promoter_id, level, amount, reversed, status, rule_source, basis, eligible_at, created_at, kind, settlement_id
                FROM commissions WHERE \(condition) ORDER BY id DESC \(unsafeRaw: limit.map { "LIMIT \($0)" } ?? "")
                """).map { row in
                let earned = try row.decode(column: "amount", as: Int64.self)
                let reversed = try row.decode(column: "reversed", as: Int64.self)
                return Commission(
                    id: try row.decode(column: "id", as: String.self), orderID: try row.decode(column: "order_id", as: String.self),
                    promoterID: try row.decode(column: "promoter_id", as: String.self), level: try row.decode(column: "level", as: Int64.self),
                    amount: earned - reversed, earned: earned, reversed: reversed,
                    status: try row.decodeEnum(column: "status", as: Commission.Status.self),
                    ruleSource: try row.decode(column: "rule_source", as: String.self), basis: try row.decode(column: "basis", as: String.self),
                    eligibleAt: try row.decodeInstant(column: "eligible_at"), createdAt: try row.decodeInstant(column: "created_at"),
                    kind: try row.decode(column: "kind", as: String.self), settlementID: try row.decode(column: "settlement_id", as: String?.self))
            }
        }
    }
}

/// Time-boxed campaign rules (限时高额返利).
public struct CampaignRuleRepository: Sendable {
    let database: any Database

    public init(database: any Database) { self.database = database }

    public func create(_ campaign: CampaignRule, at now: Instant) async throws {
        let body = String(decoding: try JSONEncoder().encode(campaign.rule), as: UTF8.self)
        try await database.write { db in
            try await db.execute("""
                INSERT INTO campaign_rules (id, product_id, starts_at, ends_at, body, created_at)
                VALUES (\(bind: campaign.id), \(bind: campaign.productID), \(bind: campaign.startsAt.milliseconds), \(bind: campaign.endsAt.milliseconds),
                        \(bind: body), \(bind: now.milliseconds))
                """)
        }
    }

    public func find(_ id: String) async throws -> CampaignRule? {
        try await list(where: "id = \(bind: id)").first
    }

    /// Campaigns that have not ended by `instant`, soonest start first.
    public func current(at instant: Instant) async throws -> [CampaignRule] {
        try await list(where: "ends_at > \(bind: instant.milliseconds)")
    }

    private func list(where condition: SQLQueryString) async throws -> [CampaignRule] {
        try await database.read { db in
            try await db.rows("SELECT \(unsafeRaw: Self.columns) FROM campaign_rules WHERE \(condition) ORDER BY starts_at, id").map(Self.decode)
        }
    }

    static let columns = "id, product_id, starts_at, ends_at, body"

    /// Campaigns running at `instant` (`ProgramRepository.inForce`).
    static func running(at instant: Instant) -> SQLQueryString {
        "starts_at <= \(bind: instant.milliseconds) AND ends_at > \(bind: instant.milliseconds)"
    }

    static func decode(_ row: any SQLRow) throws -> CampaignRule {
        CampaignRule(
            id: try row.decode(column: "id", as: String.self), productID: try row.decode(column: "product_id", as: String?.self),
            startsAt: try row.decodeInstant(column: "starts_at"), endsAt: try row.decodeInstant(column: "ends_at"),
            rule: try StoredJSON.rules.decode(try row.decode(column: "body", as: String.self)))
    }
}
