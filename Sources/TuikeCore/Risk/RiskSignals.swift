/// The signals, each a pure function over the facts it needs (docs/rules.md §16). Each returns
/// the signal when it fires at the rule's threshold, nil otherwise. Addresses and devices arrive
/// as keyed hashes: equal hashes are the same address, and nothing else is learnt from them.
public enum RiskSignals {
    /// Where a promoter was seen: an address or device, how (login, application, token use,
    /// link use) and when, last.
    public struct Sighting: Equatable, Sendable {
        public enum Kind: String, Sendable { case ip, device }
        public let kind: Kind
        public let valueHash: String
        public let source: String
        public let seenAt: Instant

        public init(kind: Kind, valueHash: String, source: String, seenAt: Instant) {
            self.kind = kind
            self.valueHash = valueHash
            self.source = source
            self.seenAt = seenAt
        }
    }

    /// The promoter's own address or device bought through the promoter's link: the order's
    /// address (or device) is one the promoter used within `hours` before the order.
    public static func selfPurchase(_ kind: Sighting.Kind, orderValueHash: String?, sightings: [Sighting], orderAt: Instant,
                                    hours: Int64) -> RiskSignal? {
        guard let orderValueHash else { return nil }
        let from = orderAt.adding(seconds: -Money.times(hours, 3_600))
        guard let seen = sightings.filter({ $0.kind == kind && $0.valueHash == orderValueHash && $0.seenAt >= from && $0.seenAt <= orderAt })
            .max(by: { $0.seenAt < $1.seenAt }) else { return nil }
        let code: RiskCode = kind == .ip ? .selfPurchaseIP : .selfPurchaseDevice
        let what = kind == .ip ? "address" : "device"
        return RiskSignal(code: code, reason: "the order came from the promoter's own \(what) (used for \(seen.source) within \(hours) h)",
                          evidence: ["matched": kind.rawValue, "source": seen.source, "seen_at": seen.seenAt.rfc3339])
    }

    /// How a flood of clicks hangs together: one address, one device, or (the data-centre
    /// pattern, addresses rotating) one user agent on clicks that each arrive without a cookie.
    public enum FloodPattern: String, Sendable, CaseIterable {
        case address, device
        case cookielessUserAgent = "cookieless_user_agent"

        var phrase: String {
            switch self {
            case .address: "from one address"
            case .device: "from one device"
            case .cookielessUserAgent: "from new cookie-less visitors with one user agent"
            }
        }
    }

    /// Clicks on one link within one minute that hang together by `pattern`, at or above the
    /// threshold.
    public static func clickFlood(clicksInMinute: Int64, threshold: Int64, pattern: FloodPattern = .address) -> RiskSignal? {
        guard clicksInMinute >= threshold else { return nil }
        return RiskSignal(code: .clickFlood, reason: "\(clicksInMinute) clicks on one link \(pattern.phrase) within a minute",
                          evidence: ["clicks": String(clicksInMinute), "pattern": pattern.rawValue])
    }

    /// A promoter's conversion far above the program's: at least `minOrders` paid orders, and
    /// orders per click at least `factor` times the program's. Integer arithmetic only:
    /// `orders × programClicks ≥ factor × programOrders × clicks`.
    public static func conversionAnomaly(clicks: Int64, orders: Int64, programClicks: Int64, programOrders: Int64, factor: Int64,
                                         minOrders: Int64 = 10) -> RiskSignal? {
        guard orders >= minOrders, clicks > 0, programClicks > 0, programOrders > 0 else { return nil }
        let (left, o1) = orders.multipliedReportingOverflow(by: programClicks)
        let (scaled, o2) = factor.multipliedReportingOverflow(by: programOrders)
        let (right, o3) = scaled.multipliedReportingOverflow(by: clicks)
        guard !o1, !o2, !o3, left >= right else { return nil }
        return RiskSignal(code: .conversionAnomaly, reason: "\(orders) orders from \(clicks) clicks, over \(factor)× the program's rate",
                          evidence: ["clicks": String(clicks), "orders": String(orders), "program_clicks": String(programClicks),
                                     "program_orders": String(programOrders)])
    }

    /// A promoter's refunded share of paid orders at or above `thresholdBps`, over at least
    /// `minOrders` paid orders.
    public static func refundAbuse(paidOrders: Int64, refundedOrders: Int64, thresholdBps: Int64, minOrders: Int64 = 5) -> RiskSignal? {
        guard paidOrders >= minOrders, paidOrders > 0 else { return nil }
        let (scaled, overflow) = refundedOrders.multipliedReportingOverflow(by: 10_000)
        guard !overflow, scaled >= Money.times(thresholdBps, paidOrders) else { return nil }
        return RiskSignal(code: .refundAbuse, reason: "\(refundedOrders) of \(paidOrders) paid orders refunded",
                          evidence: ["paid": String(paidOrders), "refunded": String(refundedOrders)])
    }

    /// Several buyers of one group behind one device or address (group stacking).
    public static func sharedDeviceGroup(buyersBehindOne: Int64, threshold: Int64) -> RiskSignal? {
        guard buyersBehindOne >= threshold else { return nil }
        return RiskSignal(code: .sharedDeviceGroup, reason: "\(buyersBehindOne) buyers of one group came from one device or address",
                          evidence: ["buyers": String(buyersBehindOne)])
    }

    /// One payout account named by several promoters.
    public static func sharedPayoutAccount(promoters: Int64, threshold: Int64) -> RiskSignal? {
        guard promoters >= threshold else { return nil }
        return RiskSignal(code: .sharedPayoutAccount, reason: "\(promoters) promoters share one payout account",
                          evidence: ["promoters": String(promoters)])
    }

    /// A promoter in its first day with a sudden volume of paid orders.
    public static func newPromoterBurst(joinedAt: Instant, ordersSinceJoining: Int64, now: Instant, threshold: Int64) -> RiskSignal? {
        guard now.milliseconds - joinedAt.milliseconds < 86_400_000, ordersSinceJoining >= threshold else { return nil }
        return RiskSignal(code: .newPromoterBurst, reason: "\(ordersSinceJoining) paid orders in the first day",
                          evidence: ["orders": String(ordersSinceJoining)])
    }
}
