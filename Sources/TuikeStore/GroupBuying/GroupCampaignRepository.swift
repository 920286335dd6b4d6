import SQLKit
import TuikeCore

public struct GroupCampaignRepository: Sendable {
    let database: any Database

    public init(database: any Database) { self.database = database }

    public func create(_ campaign: GroupCampaign, at now: Instant) async throws {
        try await database.write { db in
            try await db.execute("""
                INSERT INTO group_campaigns (id, product_id, group_price, leader_price, group_size, duration_seconds, per_user_limit, max_groups,
                    virtual_success, payment_timeout_seconds, expiring_soon_seconds, starts_at, ends_at, status, created_at, updated_at)
                VALUES (\(bind: campaign.id), \(bind: campaign.productID), \(bind: campaign.groupPrice), \(bind: campaign.leaderPrice),
                    \(bind: campaign.groupSize), \(bind: campaign.durationSeconds), \(bind: campaign.perUserLimit), \(bind: campaign.maxGroups),
                    \(bind: Int64(campaign.virtualSuccess ? 1 : 0)), \(bind: campaign.paymentTimeoutSeconds), \(bind: campaign.expiringSoonSeconds),
                    \(bind: campaign.startsAt.milliseconds), \(bind: campaign.endsAt.milliseconds), \(bind: campaign.status.rawValue),
                    \(bind: now.milliseconds), \(bind: now.milliseconds))
                """)
        }
    }

    /// Writes the campaign's settings back; `groups_opened` is the store's and is never overwritten.
    /// The group size of groups already opened stays what it was when they opened.
    public func update(_ campaign: GroupCampaign, at now: Instant) async throws {
        let stock: SQLQueryString = campaign.maxGroups.map { "groups_opened <= \(bind: $0)" } ?? "1 = 1"
        try await database.write { db in
            let updated = try await db.first("""
                UPDATE group_campaigns SET group_price = \(bind: campaign.groupPrice), leader_price = \(bind: campaign.leaderPrice),
                    group_size = \(bind: campaign.groupSize), duration_seconds = \(bind: campaign.durationSeconds),
                    per_user_limit = \(bind: campaign.perUserLimit), max_groups = \(bind: campaign.maxGroups),
                    virtual_success = \(bind: Int64(campaign.virtualSuccess ? 1 : 0)), payment_timeout_seconds = \(bind: campaign.paymentTimeoutSeconds),
                    expiring_soon_seconds = \(bind: campaign.expiringSoonSeconds), starts_at = \(bind: campaign.startsAt.milliseconds),
                    ends_at = \(bind: campaign.endsAt.milliseconds), status = \(bind: campaign.status.rawValue), updated_at = \(bind: now.milliseconds)
                WHERE id = \(bind: campaign.id) AND \(stock)
                RETURNING id
                """)
            if updated == nil { throw TuikeError.validation("max_groups is below the number of groups opened already") }
        }
    }

    public func find(_ id: String) async throws -> GroupCampaign? {
        try await database.read { db in try await Self.find(id, in: db) }
    }

    public func list(limit: Int, before: String?) async throws -> [GroupCampaign] {
        try await database.read { db in
            try await db.rows("""
                SELECT \(unsafeRaw: Self.columns) FROM group_campaigns WHERE \(SQLQueryString.all([before.map { "id < \(bind: $0)" }]))
                ORDER BY id DESC LIMIT \(bind: limit)
                """).map(Self.decode)
        }
    }

    /// The newest campaign running at `now` for each product (of `productIDs`, or of all): the
    /// storefront's group-buy boxes, in one query.
    public func running(productIDs: [String]? = nil, at now: Instant) async throws -> [String: GroupCampaign] {
        try await database.read { db in
            let only: SQLQueryString? = productIDs.map { "product_id IN (\(SQLList($0.map { SQLBind($0) })))" }
            let found = try await db.rows("""
                SELECT \(unsafeRaw: Self.columns) FROM group_campaigns
                WHERE \(SQLQueryString.all([only, "status = 'active'", "starts_at <= \(bind: now.milliseconds)", "ends_at > \(bind: now.milliseconds)"]))
                ORDER BY id
                """).map(Self.decode)
            // Ascending ids: a later campaign of the same product replaces an earlier one.
            return Dictionary(found.map { ($0.productID, $0) }, uniquingKeysWith: { _, newer in newer })
        }
    }

    static let columns = """
        id, product_id, group_price, leader_price, group_size, duration_seconds, per_user_limit, max_groups, groups_opened, virtual_success,
        payment_timeout_seconds, expiring_soon_seconds, starts_at, ends_at, status
        """

    static func find(_ id: String, in db: any SQLDatabase) async throws -> GroupCampaign? {
        try await db.first("SELECT \(unsafeRaw: columns) FROM group_campaigns WHERE id = \(bind: id)").map(decode)
    }

    static func decode(_ row: any SQLRow) throws -> GroupCampaign {
        GroupCampaign(
            id: try row.decode(column: "id", as: String.self), productID: try row.decode(column: "product_id", as: String.self),
            groupPrice: try row.decode(column: "group_price", as: Int64.self), leaderPrice: try row.decode(column: "leader_price", as: Int64?.self),
            groupSize: try row.decode(column: "group_size", as: Int64.self), durationSeconds: try row.decode(column: "duration_seconds", as: Int64.self),
            perUserLimit: try row.decode(column: "per_user_limit", as: Int64.self), maxGroups: try row.decode(column: "max_groups", as: Int64?.self),
            virtualSuccess: try row.decode(column: "virtual_success", as: Int64.self) != 0,
            paymentTimeoutSeconds: try row.decode(column: "payment_timeout_seconds", as: Int64.self),
            expiringSoonSeconds: try row.decode(column: "expiring_soon_seconds", as: Int64.self),
            startsAt: try row.decodeInstant(column: "starts_at"), endsAt: try row.decodeInstant(column: "ends_at"),
            status: try row.decodeEnum(column: "status", as: GroupCampaign.Status.self), groupsOpened: try row.decode(column: "groups_opened", as: Int64.self))
    }
}
