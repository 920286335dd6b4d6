import SQLKit
import TuikeCore

/// Groups, slots and their events (docs/rules.md §9). The capacity rule is enforced by the one
/// statement that takes a slot (`paid_members + reserved < size` in its WHERE), so concurrent
/// joins can never overfill a group, on one instance or many; every transition is a conditional
/// UPDATE on the current status, so it happens once.
public struct GroupRepository: Sendable {
    let database: any Database

    public init(database: any Database) { self.database = database }

    public static let expireJob = "groups.expire"
    public static let expiringSoonJob = "groups.expiring_soon"
    public static let refundJob = "groups.refund"

    /// Opens a group for its leader: takes one of the campaign's groups, the leader's slot and the
    /// leader's order in one transaction.
    public func open(campaign: GroupCampaign, order: Order, at now: Instant) async throws -> Group {
        guard let groupID = order.groupID else { preconditionFailure("a group order carries its group id") }
        return try await database.write { db in
            let opened = try await db.first("""
                UPDATE group_campaigns SET groups_opened = groups_opened + 1
                WHERE id = \(bind: campaign.id) AND status = 'active' AND starts_at <= \(bind: now.milliseconds) AND ends_at > \(bind: now.milliseconds)
                    AND (max_groups IS NULL OR groups_opened < max_groups)
                RETURNING id
                """)
            guard opened != nil else { throw try await Self.campaignRefusal(campaign.id, at: now, in: db) }
            try await Self.takeSlot(campaignID: campaign.id, buyerID: order.buyerID, limit: campaign.perUserLimit, in: db)
            try await db.execute("""
                INSERT INTO groups (id, campaign_id, leader_buyer_id, status, size, paid_members, reserved, created_at)
                VALUES (\(bind: groupID), \(bind: campaign.id), \(bind: order.buyerID), 'pending', \(bind: campaign.groupSize), 0, 1, \(bind: now.milliseconds))
                """)
            try await Self.insertMember(order: order, role: .leader, paymentTimeout: campaign.paymentTimeoutSeconds, at: now, in: db)
            try await Self.append(.reserved, groupID: groupID, at: now, in: db)
            return try await Self.find(groupID, in: db).required("group", groupID)
        }
    }

    /// Reserves a slot for a buyer with its order, refused with 409 `group_full` when paid members
    /// and live reservations fill the group.
    public func join(groupID: String, order: Order, at now: Instant) async throws -> Group {
        try await database.write { db in
            let taken = try await db.first("""
                UPDATE groups SET reserved = reserved + 1
                WHERE id = \(bind: groupID) AND status = 'forming' AND expires_at > \(bind: now.milliseconds) AND paid_members + reserved < size
                RETURNING campaign_id
                """)
            guard let taken else { throw try await Self.joinRefusal(groupID, at: now, in: db) }
            let campaignID = try taken.decode(column: "campaign_id", as: String.self)
            let campaign = try await GroupCampaignRepository.find(campaignID, in: db).required("campaign", campaignID)
            if try await db.first("""
                SELECT id FROM group_members WHERE group_id = \(bind: groupID) AND buyer_id = \(bind: order.buyerID) AND status IN ('reserved', 'paid')
                """) != nil {
                throw TuikeError(.conflict, code: "already_in_group", "buyer \(order.buyerID) already holds a slot in this group")
            }
            try await Self.takeSlot(campaignID: campaign.id, buyerID: order.buyerID, limit: campaign.perUserLimit, in: db)
            try await Self.insertMember(order: order, role: .member, paymentTimeout: campaign.paymentTimeoutSeconds, at: now, in: db)
            try await Self.append(.reserved, groupID: groupID, at: now, in: db)
            return try await Self.find(groupID, in: db).required("group", groupID)
        }
    }

    static func insertMember(order: Order, role: GroupMember.Role, paymentTimeout: Int64, at now: Instant, in db: any SQLDatabase) async throws {
        guard try await OrderRepository.insert(order, expiresAt: now.adding(seconds: paymentTimeout), redeemsCoupon: false, in: db) else {
            throw TuikeError(.conflict, code: "conflict", "the order could not be stored; try again")
        }
        let member = try await db.first("""
            INSERT INTO group_members (id, group_id, buyer_id, order_id, role, status, created_at)
            VALUES (\(bind: Identifier.make("gmb", at: now)), \(bind: order.groupID!), \(bind: order.buyerID), \(bind: order.id), \(bind: role.rawValue),
                    'reserved', \(bind: now.milliseconds))
            ON CONFLICT DO NOTHING RETURNING id
            """)
        guard member != nil else { throw TuikeError(.conflict, code: "already_in_group", "buyer \(order.buyerID) already holds a slot in this group") }
    }

    /// `per_user_limit`: the buyer's slots in the campaign grow in the statement that checks them.
    static func takeSlot(campaignID: String, buyerID: String, limit: Int64?, in db: any SQLDatabase) async throws {
        let cap = limit ?? Int64.max
        let taken = try await db.first("""
            INSERT INTO campaign_buyers (campaign_id, buyer_id, slots) VALUES (\(bind: campaignID), \(bind: buyerID), 1)
            ON CONFLICT (campaign_id, buyer_id) DO UPDATE SET slots = campaign_buyers.slots + 1 WHERE campaign_buyers.slots < \(bind: cap)
            RETURNING slots
            """)
        guard taken != nil else {
            throw TuikeError(.conflict, code: "per_user_limit", "buyer \(buyerID) already holds \(cap) slot(s) in this campaign")
        }
    }

    static func giveSlot(groupID: String, buyerID: String, in db: any SQLDatabase) async throws {
        try await db.execute("""
            UPDATE campaign_buyers SET slots = slots - 1
            WHERE campaign_id = (SELECT campaign_id FROM groups WHERE id = \(bind: groupID)) AND buyer_id = \(bind: buyerID) AND slots > 0
            """)
    }

    static func campaignRefusal(_ campaignID: String, at now: Instant, in db: any SQLDatabase) async throws -> TuikeError {
        guard let campaign = try await GroupCampaignRepository.find(campaignID, in: db) else { return .notFound("group campaign", campaignID) }
        if campaign.status != .active || now < campaign.startsAt || now >= campaign.endsAt {
            return TuikeError(.conflict, code: "campaign_not_running", "group campaign \(campaignID) is not running now")
        }
        return TuikeError(.conflict, code: "campaign_sold_out", "all \(campaign.maxGroups ?? 0) groups of campaign \(campaignID) are taken")
    }

    static func joinRefusal(_ groupID: String, at now: Instant, in db: any SQLDatabase) async throws -> TuikeError {
        guard let group = try await find(groupID, in: db) else { return .notFound("group", groupID) }
        switch group.status {
        case .pending: return TuikeError(.conflict, code: "group_not_open", "group \(groupID) opens when its leader has paid")
        case .succeeded, .failed, .cancelled: return TuikeError(.conflict, code: "group_closed", "group \(groupID) is \(group.status.rawValue)")
        case .forming:
            if let expires = group.expiresAt, expires <= now { return TuikeError(.conflict, code: "group_closed", "group \(groupID) has expired") }
            return TuikeError(.conflict, code: "group_full", "group \(groupID) has no free slot (\(group.paidMembers) paid, \(group.reserved) reserved of \(group.size))")
        }
    }

    // MARK: refunds of failed groups and late payments

    /// A refund went through: the member is refunded and no longer holds a slot.
    public func markRefunded(orderID: String) async throws {
        try await database.write { db in
            try await db.execute("UPDATE group_members SET status = 'refunded', refund_error = NULL WHERE order_id = \(bind: orderID) AND status = 'refunding'")
        }
    }

    /// The provider refused: kept on the member for admins to see; the job tries again.
    public func recordRefundError(orderID: String, message: String) async throws {
        try await database.write { db in
            try await db.execute("UPDATE group_members SET refund_error = \(bind: String(message.prefix(500))) WHERE order_id = \(bind: orderID)")
        }
    }

    /// Members whose refund has not gone through yet, oldest first.
    public func pendingRefunds(limit: Int) async throws -> [GroupMember] {
        try await members(where: "status = 'refunding'", order: "id", limit: limit)
    }

    // MARK: reads

    public func find(_ id: String) async throws -> Group? {
        try await database.read { db in try await Self.find(id, in: db) }
    }

    public func members(groupID: String) async throws -> [GroupMember] {
        try await members(where: "group_id = \(bind: groupID)", order: "created_at, id", limit: 200)
    }

    public func member(orderID: String) async throws -> GroupMember? {
        try await members(where: "order_id = \(bind: orderID)", order: "id", limit: 1).first
    }

    private func members(where condition: SQLQueryString, order: String, limit: Int) async throws -> [GroupMember] {
        try await database.read { db in
            try await db.rows("""
                SELECT id, group_id, buyer_id, order_id, role, status, is_new_buyer, refund_error, created_at, paid_at FROM group_members
                WHERE \(condition) ORDER BY \(unsafeRaw: order) LIMIT \(bind: limit)
                """).map { row in
                GroupMember(
                    id: try row.decode(column: "id", as: String.self), groupID: try row.decode(column: "group_id", as: String.self),
                    buyerID: try row.decode(column: "buyer_id", as: String.self), orderID: try row.decode(column: "order_id", as: String.self),
                    role: try row.decodeEnum(column: "role", as: GroupMember.Role.self), status: try row.decodeEnum(column: "status", as: GroupMember.Status.self),
                    isNewBuyer: try row.decode(column: "is_new_buyer", as: Int64.self) != 0, refundError: try row.decode(column: "refund_error", as: String?.self),
                    createdAt: try row.decodeInstant(column: "created_at"), paidAt: try row.decodeOptionalInstant(column: "paid_at"))
            }
        }
    }

    /// Forming groups with a free slot, soonest to expire first (凑团).
    public func joinable(campaignID: String, at now: Instant, limit: Int) async throws -> [Group] {
        try await database.read { db in
            try await db.rows("""
                SELECT \(unsafeRaw: Self.columns) FROM groups
                WHERE campaign_id = \(bind: campaignID) AND status = 'forming' AND expires_at > \(bind: now.milliseconds) AND paid_members + reserved < size
                ORDER BY expires_at, id LIMIT \(bind: limit)
                """).map(Self.decode)
        }
    }

    public func list(campaignID: String, status: GroupStatus?, limit: Int, before: String?) async throws -> [Group] {
        try await database.read { db in
            try await db.rows("""
                SELECT \(unsafeRaw: Self.columns) FROM groups
                WHERE \(SQLQueryString.all(["campaign_id = \(bind: campaignID)", status.map { "status = \(bind: $0.rawValue)" }, before.map { "id < \(bind: $0)" }]))
                ORDER BY id DESC LIMIT \(bind: limit)
                """).map(Self.decode)
        }
    }

    public func events(groupID: String, after seq: Int64, limit: Int = 100) async throws -> [GroupEvent] {
        try await database.read { db in
            try await db.rows("""
                SELECT group_id, seq, type, members, reserved, size, status, created_at FROM group_events
                WHERE group_id = \(bind: groupID) AND seq > \(bind: seq) ORDER BY seq LIMIT \(bind: limit)
                """).map { row in
                GroupEvent(
                    groupID: try row.decode(column: "group_id", as: String.self), seq: try row.decode(column: "seq", as: Int64.self),
                    type: try row.decode(column: "type", as: String.self), members: try row.decode(column: "members", as: Int64.self),
                    reserved: try row.decode(column: "reserved", as: Int64.self), size: try row.decode(column: "size", as: Int64.self),
                    status: try row.decode(column: "status", as: String.self), createdAt: try row.decodeInstant(column: "created_at"))
            }
        }
    }

    public func metrics(campaignID: String) async throws -> GroupCampaignMetrics {
        try await database.read { db in
            let groups = try await db.one("""
                SELECT COUNT(CASE WHEN status <> 'cancelled' THEN 1 END) AS opened, COUNT(CASE WHEN status = 'succeeded' THEN 1 END) AS succeeded,
                    COUNT(CASE WHEN status = 'failed' THEN 1 END) AS failed
                FROM groups WHERE campaign_id = \(bind: campaignID)
                """)
            let members = try await db.one("""
                SELECT COUNT(*) AS paid, CAST(COALESCE(SUM(o.amount), 0) AS BIGINT) AS amount,
                    COUNT(CASE WHEN m.is_new_buyer = 1 AND m.role = 'member' THEN 1 END) AS new_buyers
                FROM group_members m JOIN groups g ON g.id = m.group_id JOIN orders o ON o.id = m.order_id
                WHERE g.campaign_id = \(bind: campaignID) AND m.paid_at IS NOT NULL
                """)
            let refunds = try await db.one("""
                SELECT COUNT(*) AS n, CAST(COALESCE(SUM(r.amount), 0) AS BIGINT) AS amount
                FROM refunds r JOIN group_members m ON m.order_id = r.order_id JOIN groups g ON g.id = m.group_id
                WHERE g.campaign_id = \(bind: campaignID)
                """)
            return GroupCampaignMetrics(
                groupsOpened: try groups.decode(column: "opened", as: Int64.self), succeeded: try groups.decode(column: "succeeded", as: Int64.self),
                failed: try groups.decode(column: "failed", as: Int64.self), paidOrders: try members.decode(column: "paid", as: Int64.self),
                paidAmount: try members.decode(column: "amount", as: Int64.self), newBuyers: try members.decode(column: "new_buyers", as: Int64.self),
                refunds: try refunds.decode(column: "n", as: Int64.self), refundedAmount: try refunds.decode(column: "amount", as: Int64.self))
        }
    }

    static let columns = "id, campaign_id, leader_buyer_id, status, size, paid_members, reserved, expires_at, created_at, finished_at"

    static func find(_ id: String, in db: any SQLDatabase) async throws -> Group? {
        try await db.first("SELECT \(unsafeRaw: columns) FROM groups WHERE id = \(bind: id)").map(decode)
    }

    static func decode(_ row: any SQLRow) throws -> Group {
        Group(
            id: try row.decode(column: "id", as: String.self), campaignID: try row.decode(column: "campaign_id", as: String.self),
            leaderBuyerID: try row.decode(column: "leader_buyer_id", as: String.self), status: try row.decodeEnum(column: "status", as: GroupStatus.self),
            size: try row.decode(column: "size", as: Int64.self), paidMembers: try row.decode(column: "paid_members", as: Int64.self),
            reserved: try row.decode(column: "reserved", as: Int64.self), expiresAt: try row.decodeOptionalInstant(column: "expires_at"),
            createdAt: try row.decodeInstant(column: "created_at"), finishedAt: try row.decodeOptionalInstant(column: "finished_at"))
    }
}
