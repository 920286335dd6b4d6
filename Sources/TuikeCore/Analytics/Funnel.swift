/// A funnel over a span (rules §17): every click on a tracked link (bots included); the human
/// ones, each a view of the page its link leads to (a product's page for a product link); the
/// distinct visitors behind those views; the orders they placed, paid and refunded.
public struct Funnel: Sendable, Equatable {
    public var clicks: Int64
    public var views: Int64
    public var visitors: Int64
    public var orders: Int64
    public var paid: Int64
    /// Refunds made in the span (a partial refund counts as one).
    public var refunded: Int64
    public var gmv: Int64
    public var refundedAmount: Int64
    /// The median time from click to payment of the paid orders that came through a click
    /// (`DelayHistogram`); nil without them.
    public var medianPaySeconds: Int64?
    /// A video's plays on its platform over the span's days (pushed by integrators); nil for
    /// other scopes.
    public var plays: Int64?

    public init(clicks: Int64, views: Int64, visitors: Int64, orders: Int64, paid: Int64, refunded: Int64, gmv: Int64, refundedAmount: Int64,
                medianPaySeconds: Int64? = nil, plays: Int64? = nil) {
        self.medianPaySeconds = medianPaySeconds
        self.plays = plays
        self.clicks = clicks
        self.views = views
        self.visitors = visitors
        self.orders = orders
        self.paid = paid
        self.refunded = refunded
        self.gmv = gmv
        self.refundedAmount = refundedAmount
    }

    /// `part / whole` in basis points, rounded half up; nil when there is no whole.
    public static func rate(_ part: Int64, of whole: Int64) -> Int64? {
        guard whole > 0 else { return nil }
        return Money.share(Money.fullRate, part: part, whole: whole)
    }

    /// Each step's conversion: visitors who ordered, orders paid, paid orders refunded.
    public var conversion: (order: Int64?, payment: Int64?, refund: Int64?) {
        (Self.rate(orders, of: visitors), Self.rate(paid, of: orders), Self.rate(refunded, of: paid))
    }
}
