import Foundation
import SQLKit
import TuikeCore

/// What pages count about one scope over a span of time: traffic, orders, money in and out,
/// commissions. A day's figures are rolled up once the day is over (`DayRollups`); a span not
/// rolled up yet (normally today) is counted from the rows themselves with the same definitions:
/// - clicks: human clicks (page views); bots: bot clicks; visitors: distinct visitors of the
///   human clicks (exact for one span; over several, through `sketch`);
/// - orders: orders created; paid orders and GMV: payments received (a product's GMV is what its
///   lines paid); refunds and refunded: refunds made (a product's share of a refund is in
///   proportion to what its lines paid);
/// - commissions: commissions earned (created); reversed: what refunds took back from a
///   promoter's earned commissions (pending or, once settled, available), in the span of the
///   refund. A product's or link's commissions are earned amounts only.
public struct DayFigures: Sendable, Equatable {
    public var clicks: Int64 = 0
    public var visitors: Int64 = 0
    public var bots: Int64 = 0
    /// Human clicks that were scans of a QR code (`MaterialKey.isScan`).
    public var qrClicks: Int64 = 0
    public var orders: Int64 = 0
    public var paidOrders: Int64 = 0
    public var gmv: Int64 = 0
    public var refunds: Int64 = 0
    public var refunded: Int64 = 0
    public var commissions: Int64 = 0
    public var reversed: Int64 = 0
    /// Of `paidOrders` and of `gmv` less `refunded`: the self-purchases (a promoter's own order
    /// through its own link, rules §4), which the leaderboards leave out. Counted for the order's
    /// scopes (program, link, promoter, material), not per product.
    public var selfOrders: Int64 = 0
    public var selfSales: Int64 = 0
    /// The visitors behind `visitors`, mergeable with other spans'.
    public var sketch = VisitorSketch()
    /// From click to payment, for the paid orders that came through a click.
    public var payDelays = DelayHistogram()

    public init() {}

    /// Adds another span's figures; `visitors` becomes the merged sketch's count.
    public mutating func add(_ other: DayFigures) {
        clicks &+= other.clicks
        bots &+= other.bots
        qrClicks &+= other.qrClicks
        orders &+= other.orders
        paidOrders &+= other.paidOrders
        gmv &+= other.gmv
        refunds &+= other.refunds
        refunded &+= other.refunded
        commissions &+= other.commissions
        reversed &+= other.reversed
        selfOrders &+= other.selfOrders
        selfSales &+= other.selfSales
        sketch.merge(other.sketch)
        visitors = sketch.count
        payDelays.merge(other.payDelays)
    }

    /// Whose figures: the whole program, a link, a promoter (a link's promoter for traffic, the
    /// level-1 promoter for orders and money, the commission's promoter for commissions), a product.
    public enum Scope: Hashable, Sendable {
        case program
        case link(String)
        case promoter(String)
        case product(String)
        /// One material of one product (`MaterialKey`): the clicks that came through its shares
        /// and the orders those clicks led to.
        case material(productID: String, key: String)

        public static func materialPrefix(productID: String) -> String { "material:\(productID):" }

        public var key: String {
            switch self {
            case .program: "program"
            case .link(let id): "link:\(id)"
            case .promoter(let id): "promoter:\(id)"
            case .product(let id): "product:\(id)"
            case .material(let product, let key): Self.materialPrefix(productID: product) + key
            }
        }
    }
}

/// A span of rows by creation time. On SQLite a time range is also a range of the primary key,
/// whose ids start with their creation millisecond (`Identifier.lowerBound`), so no time index is
/// needed; on PostgreSQL the time columns have BRIN indexes, which cost next to nothing to keep.
struct MadeWithin: Sendable {
    let start: Instant
    let end: Instant
    let dialect: Dialect

    /// `alias.id` made in the span, as its `alias.column` says.
    func callAsFunction(_ alias: String, prefix: String, column: String = "created_at") -> SQLQueryString {
        let time: SQLQueryString = "\(unsafeRaw: alias).\(unsafeRaw: column) >= \(bind: start.milliseconds) AND \(unsafeRaw: alias).\(unsafeRaw: column) < \(bind: end.milliseconds)"
        guard dialect.kind == .sqlite else { return time }
        return "\(unsafeRaw: alias).id >= \(bind: Identifier.lowerBound(prefix, at: start)) AND \(unsafeRaw: alias).id < \(bind: Identifier.lowerBound(prefix, at: end)) AND "
            + time
    }
}
