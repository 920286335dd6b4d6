import SQLKit
import TuikeCore

/// What changes a group: payments of its members, its expiry, its leader's lapsed reservation.
/// The decisions are the Core's (`GroupMember.paymentAction`, `GroupStatus.atExpiry`); each
/// change is a conditional UPDATE on the group's current status, so it happens once.
extension GroupRepository {
    /// A group order's payment, inside the payment's transaction: the reservation becomes a paid
    /// member (the leader's opens the group), the group succeeds with its last member, and a
    /// payment whose slot is gone is marked for refund. A payment that arrives after its
    /// reservation lapsed takes a slot again if the group still has room.
    static func paymentArrived(_ order: Order, settings: ProgramSettings, at now: Instant, in db: any SQLDatabase) async throws -> PaymentPlan.GroupPayment {
        guard let member = try await db.first("SELECT id, group_id, buyer_id, role, status FROM group_members WHERE order_id = \(bind: order.id)") else {
            return .vanished
        }
        let groupID = try member.decode(column: "group_id", as: String.self)
        let buyerID = try member.decode(column: "buyer_id", as: String.self)
        let role = try member.decodeEnum(column: "role", as: GroupMember.Role.self)
        let status = try member.decodeEnum(column: "status", as: GroupMember.Status.self)
        let campaignID = try await db.one("SELECT campaign_id FROM groups WHERE id = \(bind: groupID)").decode(column: "campaign_id", as: String.self)
        let campaign = try await GroupCampaignRepository.find(campaignID, in: db).required("campaign", campaignID)

        func vanish() async throws -> PaymentPlan.GroupPayment {
            try await db.execute("""
                UPDATE group_members SET status = 'refunding', paid_at = \(bind: now.milliseconds) WHERE order_id = \(bind: order.id)
                """)
            return .vanished
        }

        var counted: (any SQLRow)?
        switch GroupMember.paymentAction(status: status, role: role) {
        case .openGroup:
            let expires = now.adding(seconds: campaign.durationSeconds)
            counted = try await db.first("""
                UPDATE groups SET status = 'forming', reserved = reserved - 1, paid_members = paid_members + 1, expires_at = \(bind: expires.milliseconds)
                WHERE id = \(bind: groupID) AND status = 'pending' RETURNING paid_members, size
                """)
            if counted != nil {
                try await JobQueue.schedule(kind: expireJob, at: expires, payload: groupID, dedupeKey: "\(expireJob):\(groupID)", now: now, in: db)
                let warning = expires.adding(seconds: -campaign.expiringSoonSeconds)
                if warning > now {
                    try await JobQueue.schedule(kind: expiringSoonJob, at: warning, payload: groupID, dedupeKey: "\(expiringSoonJob):\(groupID)", now: now, in: db)
                }
            }
        case .payReservation:
            counted = try await db.first("""
                UPDATE groups SET reserved = reserved - 1, paid_members = paid_members + 1
                WHERE id = \(bind: groupID) AND status = 'forming' RETURNING paid_members, size
                """)
            if counted == nil {
                // The group finished while the reservation was alive: the reservation ends here.
                try await db.execute("UPDATE groups SET reserved = reserved - 1 WHERE id = \(bind: groupID) AND reserved > 0")
                try await giveSlot(groupID: groupID, buyerID: buyerID, in: db)
            }
        case .retakeSlot:
            let holdsAnother = try await db.first("""
                SELECT id FROM group_members WHERE group_id = \(bind: groupID) AND buyer_id = \(bind: buyerID) AND status IN ('reserved', 'paid')
                """) != nil
            // The cancellation put the order's goods back: they are taken again with the slot, or
            // the payment is refunded like one that found no slot.
            if !holdsAnother, try await Stock.retake(orderID: order.id, in: db) {
                counted = try await db.first("""
                    UPDATE groups SET paid_members = paid_members + 1
                    WHERE id = \(bind: groupID) AND status = 'forming' AND expires_at > \(bind: now.milliseconds) AND paid_members + reserved < size
                    RETURNING paid_members, size
                    """)
                if counted != nil {
                    try await takeSlot(campaignID: campaign.id, buyerID: buyerID, limit: nil, in: db)
                } else {
                    try await Stock.giveBackAll(orderID: order.id, in: db)
                }
            }
        case .refund:
            break
        }
        guard let counted else { return try await vanish() }
        let isNew = try await db.first("""
            SELECT id FROM orders WHERE buyer_id = \(bind: buyerID) AND paid_at IS NOT NULL AND id <> \(bind: order.id) LIMIT 1
            """) == nil
        try await db.execute("""
            UPDATE group_members SET status = 'paid', paid_at = \(bind: now.milliseconds), is_new_buyer = \(bind: Int64(isNew ? 1 : 0))
            WHERE order_id = \(bind: order.id)
            """)
        try await append(.joined, groupID: groupID, at: now, in: db)
        let full = try counted.decode(column: "paid_members", as: Int64.self) >= counted.decode(column: "size", as: Int64.self)
        if full { try await succeed(groupID, settings: settings, at: now, in: db) }
        return .slotted(succeeded: full)
    }

    /// Every member gets access; commissions become eligible at the later of payment + freeze
    /// and now (docs/rules.md §5); those on goods wait for receipt.
    static func succeed(_ groupID: String, settings: ProgramSettings, at now: Instant, in db: any SQLDatabase) async throws {
        guard try await db.first("""
            UPDATE groups SET status = 'succeeded', finished_at = \(bind: now.milliseconds) WHERE id = \(bind: groupID) AND status = 'forming' RETURNING id
            """) != nil else { return }
        let paidOrders: SQLQueryString = "SELECT order_id FROM group_members WHERE group_id = \(bind: groupID) AND status = 'paid'"
        try await db.execute("""
            INSERT INTO entitlements (buyer_id, product_id, order_id, granted_at)
            SELECT o.buyer_id, i.product_id, o.id, \(bind: now.milliseconds) FROM order_items i JOIN orders o ON o.id = i.order_id
            WHERE i.order_id IN (\(paidOrders)) AND i.kind = 'course'
            ON CONFLICT DO NOTHING
            """)
        let freeze = settings.freezeDays * 86_400_000
        try await db.execute("""
            UPDATE commissions SET eligible_at = CASE WHEN created_at + \(bind: freeze) > \(bind: now.milliseconds) THEN created_at + \(bind: freeze)
                ELSE \(bind: now.milliseconds) END
            WHERE kind = 'order' AND status IN ('pending', 'held') AND order_id IN (\(paidOrders))
                AND order_item_id IN (SELECT id FROM order_items WHERE order_id IN (\(paidOrders)) AND kind <> 'physical')
            """)
        try await TierAdjustmentDates.redate(ordersIn: paidOrders, in: db)
        try await append(.succeeded, groupID: groupID, at: now, in: db)
    }

    /// The expiry job: a group still forming succeeds (full, or virtual success with a paid
    /// member) or fails, and every paid member of a failed group is queued for a full refund.
    public func expire(_ execution: JobExecution, settings: ProgramSettings) async throws {
        let groupID = execution.job.payload
        let now = execution.now
        try await database.write { db in
            if let row = try await db.first("""
                SELECT g.paid_members, g.size, c.virtual_success FROM groups g JOIN group_campaigns c ON c.id = g.campaign_id
                WHERE g.id = \(bind: groupID) AND g.status = 'forming'
                """) {
                let outcome = GroupStatus.atExpiry(paidMembers: try row.decode(column: "paid_members", as: Int64.self),
                                                   size: try row.decode(column: "size", as: Int64.self),
                                                   virtualSuccess: try row.decode(column: "virtual_success", as: Int64.self) != 0)
                if outcome == .succeeded {
                    try await Self.succeed(groupID, settings: settings, at: now, in: db)
                } else if try await db.first("""
                    UPDATE groups SET status = 'failed', finished_at = \(bind: now.milliseconds) WHERE id = \(bind: groupID) AND status = 'forming' RETURNING id
                    """) != nil {
                    let members = try await db.rows("""
                        UPDATE group_members SET status = 'refunding' WHERE group_id = \(bind: groupID) AND status = 'paid' RETURNING order_id, buyer_id
                        """)
                    for member in members {
                        let orderID = try member.decode(column: "order_id", as: String.self)
                        try await Self.giveSlot(groupID: groupID, buyerID: try member.decode(column: "buyer_id", as: String.self), in: db)
                        try await Self.scheduleRefund(orderID: orderID, reason: "group_failed", at: now, in: db)
                    }
                    try await Self.append(.failed, groupID: groupID, at: now, in: db)
                }
            }
            try await execution.complete(in: db)
        }
    }

    /// `expiring_soon`, once, to the SSE stream and as a webhook event.
    public func expiringSoon(_ execution: JobExecution) async throws {
        try await database.write { db in
            if try await db.first("SELECT id FROM groups WHERE id = \(bind: execution.job.payload) AND status = 'forming'") != nil {
                try await Self.append(.expiringSoon, groupID: execution.job.payload, at: execution.now, in: db)
            }
            try await execution.complete(in: db)
        }
    }

    static func scheduleRefund(orderID: String, reason: String, at now: Instant, in db: any SQLDatabase) async throws {
        try await JobQueue.schedule(kind: refundJob, at: now, payload: "\(reason):\(orderID)", dedupeKey: "\(refundJob):\(orderID)", now: now, in: db)
    }

    /// An unpaid group order was cancelled at its payment timeout: its slot is free again, and a
    /// leader who never paid takes the group down with it (the campaign's group is given back).
    static func released(orderID: String, at now: Instant, in db: any SQLDatabase) async throws {
        guard let member = try await db.first("""
            UPDATE group_members SET status = 'released' WHERE order_id = \(bind: orderID) AND status = 'reserved' RETURNING group_id, buyer_id, role
            """) else { return }
        let groupID = try member.decode(column: "group_id", as: String.self)
        try await db.execute("UPDATE groups SET reserved = reserved - 1 WHERE id = \(bind: groupID) AND reserved > 0")
        try await giveSlot(groupID: groupID, buyerID: try member.decode(column: "buyer_id", as: String.self), in: db)
        try await append(.released, groupID: groupID, at: now, in: db)
        guard try member.decodeEnum(column: "role", as: GroupMember.Role.self) == .leader, let cancelled = try await db.first("""
            UPDATE groups SET status = 'cancelled', finished_at = \(bind: now.milliseconds) WHERE id = \(bind: groupID) AND status = 'pending'
            RETURNING campaign_id
            """) else { return }
        try await db.execute("""
            UPDATE group_campaigns SET groups_opened = groups_opened - 1
            WHERE id = \(bind: try cancelled.decode(column: "campaign_id", as: String.self)) AND groups_opened > 0
            """)
        try await append(.cancelled, groupID: groupID, at: now, in: db)
    }

    /// One event on the group's stream (numbered in commit order: the group's row is locked by
    /// the change it describes) and the same as a webhook event.
    static func append(_ kind: GroupEvent.Kind, groupID: String, at now: Instant, in db: any SQLDatabase) async throws {
        let row = try await db.one("""
            UPDATE groups SET event_seq = event_seq + 1 WHERE id = \(bind: groupID) RETURNING event_seq, paid_members, reserved, size, status
            """)
        let seq = try row.decode(column: "event_seq", as: Int64.self)
        let members = try row.decode(column: "paid_members", as: Int64.self)
        let reserved = try row.decode(column: "reserved", as: Int64.self)
        let size = try row.decode(column: "size", as: Int64.self)
        let status = try row.decodeEnum(column: "status", as: GroupStatus.self)
        try await db.execute("""
            INSERT INTO group_events (group_id, seq, type, members, reserved, size, status, created_at)
            VALUES (\(bind: groupID), \(bind: seq), \(bind: kind.rawValue), \(bind: members), \(bind: reserved), \(bind: size), \(bind: status.rawValue), \(bind: now.milliseconds))
            """)
        try await Outbox.emit(.group(kind, groupID: groupID, seq: seq, members: members, reserved: reserved, size: size, status: status), at: now, in: db)
    }
}
