/// Return on commission (rules §17) of a cohort of orders, those paid in a span, as they stand
/// now: per product, per level-1 promoter and per campaign rule, and the whole cohort's. A tally
/// is made from whole orders (every line of each), so tallies of disjoint spans add up: an order
/// is paid once, and its distinct count belongs to the span of its payment.
public struct RoiTally: Sendable, Equatable {
    public enum Grouping: String, Sendable, CaseIterable { case product, promoter, campaign }

    /// One order line of the cohort and what its commissions (`order` kind) earned less reversed.
    public struct Line: Sendable, Equatable {
        public let orderID: String
        public let promoterID: String?
        public let selfReferral: Bool
        public let productID: String
        public let ruleSource: String?
        public let paid: Int64
        public let refunded: Int64
        public let commission: Int64

        public init(orderID: String, promoterID: String?, selfReferral: Bool, productID: String, ruleSource: String?,
                    paid: Int64, refunded: Int64, commission: Int64) {
            (self.orderID, self.promoterID, self.selfReferral, self.productID, self.ruleSource) = (orderID, promoterID, selfReferral, productID, ruleSource)
            (self.paid, self.refunded, self.commission) = (paid, refunded, commission)
        }
    }

    public private(set) var groups: [Grouping: [String: RoiFigures]] = [:]
    public private(set) var totals: [Grouping: RoiFigures] = [:]

    public init() {}

    public init(lines: [Line]) {
        var counted: [Grouping: Set<String>] = [:]
        var countedTotal: [Grouping: Set<String>] = [:]
        for line in lines {
            let figures = RoiFigures(orders: 0, gmv: line.paid, refunded: line.refunded, commission: line.commission,
                                     through: line.promoterID != nil && !line.selfReferral ? line.paid : 0)
            for grouping in Grouping.allCases {
                guard let key = Self.key(of: line, by: grouping) else { continue }
                var group = figures, total = figures
                if counted[grouping, default: []].insert(key + "\u{1}" + line.orderID).inserted { group.orders = 1 }
                if countedTotal[grouping, default: []].insert(line.orderID).inserted { total.orders = 1 }
                groups[grouping, default: [:]][key, default: RoiFigures()].add(group)
                totals[grouping, default: RoiFigures()].add(total)
            }
        }
    }

    /// The group a line belongs to: its product, its order's level-1 promoter ("" for a direct
    /// sale), its campaign rule (only lines a campaign paid for are in that grouping).
    public static func key(of line: Line, by grouping: Grouping) -> String? {
        switch grouping {
        case .product: line.productID
        case .promoter: line.promoterID ?? ""
        case .campaign: line.ruleSource.flatMap { $0.hasPrefix("campaign:") ? $0 : nil }
        }
    }

    public mutating func add(_ other: RoiTally) {
        for (grouping, rows) in other.groups {
            for (key, figures) in rows { add(figures, key: key, by: grouping) }
        }
        for (grouping, figures) in other.totals { addTotal(figures, by: grouping) }
    }

    /// A stored group row (a rolled-up day's).
    public mutating func add(_ figures: RoiFigures, key: String, by grouping: Grouping) {
        groups[grouping, default: [:]][key, default: RoiFigures()].add(figures)
    }

    public mutating func addTotal(_ figures: RoiFigures, by grouping: Grouping) {
        totals[grouping, default: RoiFigures()].add(figures)
    }
}

/// One group's return on commission: paid orders, what their lines paid (GMV), refunded of those
/// lines since, commission earned on them less reversed, and `through`, the GMV of the lines a
/// promoter brought (not self-purchases).
public struct RoiFigures: Sendable, Equatable {
    public var orders: Int64 = 0
    public var gmv: Int64 = 0
    public var refunded: Int64 = 0
    public var commission: Int64 = 0
    public var through: Int64 = 0

    public init(orders: Int64 = 0, gmv: Int64 = 0, refunded: Int64 = 0, commission: Int64 = 0, through: Int64 = 0) {
        (self.orders, self.gmv, self.refunded, self.commission, self.through) = (orders, gmv, refunded, commission, through)
    }

    public mutating func add(_ other: RoiFigures) {
        orders &+= other.orders
        gmv &+= other.gmv
        refunded &+= other.refunded
        commission &+= other.commission
        through &+= other.through
    }

    /// Commission per paid order, rounded half up; nil without orders.
    public var costPerOrder: Int64? { orders > 0 ? Money.share(commission, part: 1, whole: orders) : nil }
    /// The share of GMV a promoter brought, in bps.
    public var promoterShareBps: Int64? { gmv > 0 ? Money.share(Money.fullRate, part: through, whole: gmv) : nil }
}
