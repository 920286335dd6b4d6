/// An order with its attribution snapshot: who brought the buyer and which rule applied,
/// fixed when the order is created so later binding or rule changes never move its commissions.
public struct Order: Equatable, Sendable {
    public enum Status: String, Codable, Sendable, CaseIterable, StatusMachine {
        case pendingPayment = "pending_payment", paid, partiallyRefunded = "partially_refunded", refunded, cancelled

        /// An unpaid order is paid or cancelled at its deadline; a payment that arrives for a
        /// cancelled order is still booked (the buyer paid). Refunds move a paid order on.
        public var next: Set<Status> {
            switch self {
            case .pendingPayment: [.paid, .cancelled]
            case .cancelled: [.paid]
            case .paid, .partiallyRefunded: [.partiallyRefunded, .refunded]
            case .refunded: []
            }
        }

        /// Refunds are taken from paid orders only.
        public var isRefundable: Bool { self == .paid || self == .partiallyRefunded }
    }

    public struct Item: Equatable, Sendable {
        public let id: String
        public let productID: String
        public let title: String
        public let kind: Product.Kind
        public let unitPrice: Int64
        public let quantity: Int64
        /// The line's share of the order's coupon discount.
        public let discount: Int64
        /// What the buyer pays for the line after discounts; commissions are computed on it.
        public let paid: Int64
        public var refunded: Int64
        public let rule: CommissionRule
        public let ruleSource: String
        /// The variant bought (its code, and its row's id for the stock), for products with SKUs.
        public let sku: String?
        public let skuID: String?

        public init(id: String, productID: String, title: String, kind: Product.Kind, unitPrice: Int64, quantity: Int64, discount: Int64 = 0,
                    paid: Int64, refunded: Int64 = 0, rule: CommissionRule, ruleSource: String, sku: String? = nil, skuID: String? = nil) {
            self.sku = sku
            self.skuID = skuID
            self.id = id
            self.productID = productID
            self.title = title
            self.kind = kind
            self.unitPrice = unitPrice
            self.quantity = quantity
            self.discount = discount
            self.paid = paid
            self.refunded = refunded
            self.rule = rule
            self.ruleSource = ruleSource
        }

        /// What is left to refund on the line.
        public var refundable: Int64 { paid - refunded }

        /// Goods that will not be sent: a physical line refunded in full (a free line only with
        /// its whole order, which `Order.goodsToShip` checks by the order's status).
        public var isWithdrawn: Bool { kind == .physical && paid > 0 && refunded >= paid }
    }

    public let id: String
    public let buyerID: String
    public let externalID: String?
    public var status: Status
    public let currency: String
    /// What the buyer pays: the lines' prices less `discount`.
    public let amount: Int64
    public let discount: Int64
    public var refunded: Int64
    public let visitorID: String?
    public let clickID: String?
    public let coupon: String?
    /// Level 1: one promoter, or several (earliest first) under linear attribution.
    public let levelOne: [String]
    public let levelTwo: String?
    public let levelThree: String?
    public let attributionRule: Attribution.Rule
    public let attributionClickID: String?
    public let selfReferral: Bool
    public let createdAt: Instant
    public var paidAt: Instant?
    public var items: [Item]
    /// The group (拼团) this order holds a slot in, if any.
    public var groupID: String?
    /// Where physical lines go; required when the order has any.
    public var shippingAddress: ShippingAddress?
    /// Set when the order has physical lines.
    public var fulfilment: FulfilmentStatus?
    public var receivedAt: Instant?

    public init(id: String, buyerID: String, externalID: String?, status: Status, currency: String = "CNY", amount: Int64, discount: Int64 = 0, refunded: Int64 = 0,
                visitorID: String?, clickID: String?, coupon: String?, levelOne: [String], levelTwo: String?, levelThree: String?,
                attributionRule: Attribution.Rule, attributionClickID: String?, selfReferral: Bool, createdAt: Instant, paidAt: Instant? = nil,
                items: [Item], groupID: String? = nil, shippingAddress: ShippingAddress? = nil, fulfilment: FulfilmentStatus? = nil,
                receivedAt: Instant? = nil) {
        self.groupID = groupID
        self.shippingAddress = shippingAddress
        self.fulfilment = fulfilment
        self.receivedAt = receivedAt
        self.id = id
        self.buyerID = buyerID
        self.externalID = externalID
        self.status = status
        self.currency = currency
        self.amount = amount
        self.discount = discount
        self.refunded = refunded
        self.visitorID = visitorID
        self.clickID = clickID
        self.coupon = coupon
        self.levelOne = levelOne
        self.levelTwo = levelTwo
        self.levelThree = levelThree
        self.attributionRule = attributionRule
        self.attributionClickID = attributionClickID
        self.selfReferral = selfReferral
        self.createdAt = createdAt
        self.paidAt = paidAt
        self.items = items
    }

    /// Where the order came from, as keyed hashes (docs/rules.md §16): the buyer's address and
    /// device, when the storefront saw them or the integrator sent them. Risk signals compare
    /// them with the promoter's own; nothing else reads them.
    public var originIPHash: String?
    public var originDeviceHash: String?

    public var promoterID: String? { levelOne.first }

    /// Whether any line is a physical good (shipped, received, with after-sales).
    public var hasPhysicalLines: Bool { items.contains { $0.kind == .physical } }

    /// The physical lines still to be sent: none once the order is refunded in full or not paid.
    /// A line refunded in full before it shipped goes back into stock and is never sent.
    public var goodsToShip: [Item] {
        guard status.isRefundable else { return [] }
        return items.filter { $0.kind == .physical && !$0.isWithdrawn }
    }

    /// The statuses of orders that count for their promoter: paid and not refunded in full.
    public static let countedStatuses: [Status] = [.paid, .partiallyRefunded]

    /// Whether the order counts for its level-1 promoter (ranks, tier ladders, conversion): paid,
    /// not refunded in full, and not bought by the promoter themself.
    public var counts: Bool { promoterID != nil && !selfReferral && Self.countedStatuses.contains(status) }

    /// What is left to refund: what was paid less what went back already.
    public var refundable: Int64 { Self.refundable(amount: amount, refunded: refunded) }

    /// The same for an order known by its figures only (a page's row).
    public static func refundable(amount: Int64, refunded: Int64) -> Int64 { amount - refunded }

    /// Why `amount` cannot be refunded from this order now, or nil when it can. The store takes
    /// the refund in the statement that checks the same bounds, so concurrent refunds agree.
    public func refundRefusal(_ amount: Int64) -> TuikeError? {
        switch status {
        case .pendingPayment, .cancelled:
            TuikeError(.conflict, code: "not_paid", "order \(id) is \(status.rawValue); only paid orders are refunded")
        case .refunded:
            TuikeError(.conflict, code: "already_refunded", "order \(id) is refunded in full")
        case .paid, .partiallyRefunded:
            amount > 0 && amount <= refundable ? nil : TuikeError.validation("amount \(amount) exceeds the \(refundable) fen left to refund")
        }
    }

    public var flags: [String] { selfReferral ? ["self_referral"] : [] }

    public static let maxItems = 50
    public static let maxQuantity: Int64 = 10_000
}
