import Foundation
import SQLKit
import TuikeCore

/// Where the signals are looked for (docs/rules.md §16): at payment (an order's own signals), at
/// a withdrawal request (its payout account), and in the hourly scan (a promoter's figures).
extension RiskRepository {
    /// Whether a payment of the order is looked at: it pays a promoter, and its origin is known.
    /// Other payments take the one-statement way (`OrderRepository.recordPayment`).
    static func mayAssess(_ order: Order) -> Bool {
        !order.levelOne.isEmpty && (order.originIPHash != nil || order.originDeviceHash != nil)
    }

    /// Inside the payment's transaction, once its commissions are booked: the promoter's own
    /// address or device buying through the promoter's link, and several buyers of one group
    /// behind one address or device. Each level-1 promoter gets a case on the order.
    static func assessPayment(_ order: Order, at now: Instant, in db: any SQLDatabase) async throws {
        guard mayAssess(order) else { return }
        let rules = try await rules(in: db)
        func rule(_ code: RiskCode) -> RiskRule { rules.first { $0.code == code } ?? RiskRule.defaultRule(code) }
        var orderSignals: [RiskSignal] = []
        if let groupID = order.groupID, rule(.sharedDeviceGroup).mode != .off {
            let same = try await db.one("""
                SELECT COUNT(DISTINCT o.buyer_id) AS n FROM orders o JOIN group_members m ON m.order_id = o.id
                WHERE m.group_id = \(bind: groupID) AND m.status IN ('reserved', 'paid')
                    AND (o.ip_hash = \(bind: order.originIPHash) OR o.device_hash = \(bind: order.originDeviceHash))
                """).decode(column: "n", as: Int64.self)
            if let signal = RiskSignals.sharedDeviceGroup(buyersBehindOne: same, threshold: rule(.sharedDeviceGroup).threshold) { orderSignals.append(signal) }
        }
        let window = max(rule(.selfPurchaseIP).threshold, rule(.selfPurchaseDevice).threshold)
        let since = now.adding(seconds: -Money.times(window, 3_600)).milliseconds
        for promoterID in order.levelOne {
            let sightings = try await db.rows("""
                SELECT kind, value_hash, source, seen_at FROM promoter_sightings WHERE promoter_id = \(bind: promoterID) AND seen_at >= \(bind: since)
                """).map { row in
                RiskSignals.Sighting(kind: try row.decodeEnum(column: "kind", as: RiskSignals.Sighting.Kind.self),
                                     valueHash: try row.decode(column: "value_hash", as: String.self), source: try row.decode(column: "source", as: String.self),
                                     seenAt: try row.decodeInstant(column: "seen_at"))
            }
            let fired = orderSignals + [
                RiskSignals.selfPurchase(.ip, orderValueHash: order.originIPHash, sightings: sightings, orderAt: now, hours: rule(.selfPurchaseIP).threshold),
                RiskSignals.selfPurchase(.device, orderValueHash: order.originDeviceHash, sightings: sightings, orderAt: now,
                                         hours: rule(.selfPurchaseDevice).threshold),
            ].compactMap { $0 }
            try await open(fired, promoterID: promoterID, subject: "order:\(order.id)", orderID: order.id, holding: .order(order.id), rules: rules,
                           at: now, in: db)
        }
    }

    /// Inside the withdrawal request's transaction: a payout account other promoters named too.
    /// Every promoter naming it gets a case (one per promoter and account): the first to use it
    /// is as much in question as the last.
    static func assessWithdrawal(promoterID: String, channel: String, account: String?, at now: Instant, in db: any SQLDatabase) async throws {
        guard let account, !account.isEmpty else { return }
        let rules = try await rules(in: db)
        let rule = rules.first { $0.code == .sharedPayoutAccount } ?? RiskRule.defaultRule(.sharedPayoutAccount)
        guard rule.mode != .off else { return }
        let sharing = try await db.rows("""
            SELECT DISTINCT promoter_id FROM withdrawals WHERE channel = \(bind: channel) AND account = \(bind: account) ORDER BY promoter_id
            """).map { try $0.decode(column: "promoter_id", as: String.self) }
        guard let signal = RiskSignals.sharedPayoutAccount(promoters: Int64(sharing.count), threshold: rule.threshold) else { return }
        let subject = "payout:" + Digest.sha256Hex("\(channel):\(account)").prefix(32)
        for sharer in sharing {
            try await open([signal], promoterID: sharer, subject: subject, orderID: nil, holding: .promoter(sharer), rules: rules, at: now, in: db)
        }
    }
}
