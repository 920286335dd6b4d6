/// A badge (勋章, rules §18): earned by a promoter whose own counted orders (`Order.counts`) paid
/// in a calendar period reach a threshold, for example 金牌推广大使: at least 50 paid orders in a
/// month. Awarded once the period has closed and the refund window after it (`freeze_days`) has
/// passed, so an order refunded in that window does not count; shown until it expires; may book a
/// bonus into the promoter's available balance, give the promoter a coupon of its own to hand to
/// its buyers, and name a perk. Never counts the downline's sales.
public struct BadgeRule: Sendable, Equatable {
    /// A coupon made for each promoter who earns the badge: the promoter's own (an order that uses
    /// it is attributed to the promoter), valid from the award until the badge expires. The
    /// merchant gives the discount; nothing is booked for it.
    public struct CouponReward: Codable, Sendable, Equatable {
        public var kind: Coupon.Kind
        /// Fen off (`fixed`), or bps off (`percent`).
        public var value: Int64
        public var usageLimit: Int64?
        public var minAmount: Int64

        public init(kind: Coupon.Kind, value: Int64, usageLimit: Int64? = nil, minAmount: Int64 = 0) {
            self.kind = kind
            self.value = value
            self.usageLimit = usageLimit
            self.minAmount = minAmount
        }

        enum CodingKeys: String, CodingKey { case kind = "type", value, usageLimit = "usage_limit", minAmount = "min_amount" }

        /// The coupon given to `promoterID` for a badge awarded at `awardedAt`, shown until `expiresAt`.
        public func coupon(code: String, promoterID: String, awardedAt: Instant, expiresAt: Instant) -> Coupon {
            Coupon(code: code, kind: kind, value: value, promoterID: promoterID, minAmount: minAmount, startsAt: awardedAt, endsAt: expiresAt,
                   usageLimit: usageLimit)
        }

        /// A new coupon code: `BG` and ten letters or digits, drawn at random.
        public static func code<G: RandomNumberGenerator>(using random: inout G) -> String {
            let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")
            return "BG" + String((0..<10).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] })
        }
    }

    public enum Metric: String, Sendable, CaseIterable {
        /// Counted orders.
        case paidOrders = "paid_orders"
        /// What those orders paid, less what was refunded of them.
        case gmv
    }

    public let id: String
    public var name: String
    public var metric: Metric
    public var period: CalendarPeriod
    public var threshold: Int64
    /// Days the badge is shown after it is awarded; 0: until the same period's next award.
    public var validDays: Int64
    /// Fen booked to the promoter's available balance with the award (a manual adjustment).
    public var bonus: Int64
    /// What the badge entitles to, as the portal shows it (exclusive materials, a coupon).
    public var perk: String?
    public var coupon: CouponReward?
    public var active: Bool
    public let createdAt: Instant

    public init(id: String, name: String, metric: Metric, period: CalendarPeriod, threshold: Int64, validDays: Int64 = 0, bonus: Int64 = 0,
                perk: String? = nil, coupon: CouponReward? = nil, active: Bool = true, createdAt: Instant) {
        self.id = id
        self.name = name
        self.metric = metric
        self.period = period
        self.threshold = threshold
        self.validDays = validDays
        self.bonus = bonus
        self.perk = perk
        self.coupon = coupon
        self.active = active
        self.createdAt = createdAt
    }

    public static let maxName = 40
    public static let maxPerk = 200
    public static let maxValidDays: Int64 = 3_660
    /// 10,000.00 yuan.
    public static let maxBonus: Int64 = 1_000_000
    public static let maxOrders: Int64 = 1_000_000

    public func validate() throws(TuikeError) {
        var problems: [String] = []
        if name.isEmpty || name.count > Self.maxName { problems.append("name must be 1 to \(Self.maxName) characters") }
        let most = metric == .paidOrders ? Self.maxOrders : Money.maxAmount
        if !(1...most).contains(threshold) { problems.append("threshold must be from 1 to \(most)") }
        if !(0...Self.maxValidDays).contains(validDays) { problems.append("valid_days must be from 0 to \(Self.maxValidDays)") }
        if !(0...Self.maxBonus).contains(bonus) { problems.append("bonus must be from 0 to \(Self.maxBonus) fen") }
        if let perk, perk.count > Self.maxPerk { problems.append("perk is at most \(Self.maxPerk) characters") }
        if let coupon {
            // The coupon's own limits, checked on the coupon it would make.
            do {
                try coupon.coupon(code: "BG0000000000", promoterID: "", awardedAt: createdAt, expiresAt: createdAt.adding(seconds: 1)).validate()
            } catch {
                problems.append("coupon: \(error.message)")
            }
        }
        if !problems.isEmpty { throw .validation(problems.joined(separator: "; ")) }
    }

    /// Whether a period's figures earn the badge: its orders, or what they paid less refunds.
    public func earned(orders: Int64, gmv: Int64) -> Bool { value(orders: orders, gmv: gmv) >= threshold }

    public func value(orders: Int64, gmv: Int64) -> Int64 { metric == .paidOrders ? orders : gmv }

    /// When a badge awarded at `awardedAt` for the period ending `periodEnd` stops showing.
    public func expiry(awardedAt: Instant, periodEnd: Instant, timeZone: String) throws(TuikeError) -> Instant {
        if validDays > 0 { return awardedAt.adding(seconds: validDays * 86_400) }
        // Until the next period's award: one period on from this one's end, plus the same wait.
        let next = try period.bounds(at: periodEnd, timeZone: timeZone).end
        return next.adding(milliseconds: awardedAt.milliseconds - periodEnd.milliseconds)
    }
}

/// Points (积分) per own counted order paid in the rule's window, with a line of its product (or
/// of any product). Points are derived from the orders, so a refund in full takes them back.
public struct PointsRule: Sendable, Equatable {
    public let id: String
    public let productID: String?
    public let points: Int64
    public let startsAt: Instant
    public let endsAt: Instant?
    public let createdAt: Instant

    public init(id: String, productID: String?, points: Int64, startsAt: Instant, endsAt: Instant?, createdAt: Instant) {
        self.id = id
        self.productID = productID
        self.points = points
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.createdAt = createdAt
    }

    public static let maxPoints: Int64 = 100_000

    public func validate() throws(TuikeError) {
        if !(1...Self.maxPoints).contains(points) { throw .validation("points must be from 1 to \(Self.maxPoints)") }
        if let endsAt, endsAt <= startsAt { throw .validation("ends_at must be after starts_at") }
    }
}
