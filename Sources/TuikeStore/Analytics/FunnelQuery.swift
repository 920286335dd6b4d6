import SQLKit
import TuikeCore

/// The funnel of a span (`Funnel`): clicks, the human views among them and their visitors, the
/// orders placed, paid and refunded. One scope (the program, a promoter, a product, a link) reads
/// the rollups (`DayRollups.figures`); a promoter's product is counted from that promoter's rows.
public struct FunnelQuery: Sendable {
    let database: any Database
    let rollups: DayRollups

    public init(database: any Database) {
        self.database = database
        rollups = DayRollups(database: database)
    }

    public func funnel(promoterID: String?, productID: String?, linkID: String?, from: Instant, to: Instant) async throws -> Funnel {
        if let promoterID, let productID, linkID == nil {
            return try await database.report { [database] in
                try await database.read { db in try await Self.count(promoterID: promoterID, productID: productID, from: from, to: to, dialect: database.dialect, in: db) }
            }
        }
        let scope: DayFigures.Scope = if let linkID { .link(linkID) } else if let promoterID { .promoter(promoterID) } else if let productID { .product(productID) } else { .program }
        let figures = try await database.report { [rollups] in try await rollups.figures(scope, from: from, to: to) }
        return Self.funnel(figures)
    }

    static func funnel(_ figures: DayFigures, plays: Int64? = nil) -> Funnel {
        Funnel(clicks: figures.clicks &+ figures.bots, views: figures.clicks, visitors: figures.visitors, orders: figures.orders,
               paid: figures.paidOrders, refunded: figures.refunds, gmv: figures.gmv, refundedAmount: figures.refunded,
               medianPaySeconds: figures.payDelays.medianSeconds, plays: plays)
    }

    /// A video's funnel: its plays on the platform over the span's days (`fromDay`…`toDay`), then
    /// the clicks on links that name it and what they led to. With `promoterID`, that promoter's
    /// share and links only; without, the video's own account's plays and every promoter's links.
    public func funnel(videoID: String, promoterID: String?, from: Instant, to: Instant, fromDay: String, toDay: String) async throws -> Funnel {
        let (links, plays) = try await database.report { [database] in
            try await database.read { db in
                let mine: SQLQueryString = promoterID.map { "AND promoter_id = \(bind: $0)" } ?? ""
                let links = try await db.rows("SELECT id FROM links WHERE video_id = \(bind: videoID) \(mine)").map { try $0.decode(column: "id", as: String.self) }
                let plays = try await db.one("""
                    SELECT CAST(COALESCE(SUM(plays), 0) AS BIGINT) AS n FROM video_stats
                    WHERE video_id = \(bind: videoID) AND promoter_key = \(bind: promoterID ?? "") AND day >= \(bind: fromDay) AND day <= \(bind: toDay)
                    """).decode(column: "n", as: Int64.self)
                return (links, plays)
            }
        }
        guard !links.isEmpty else { return Self.funnel(DayFigures(), plays: plays) }
        let figures = try await database.report { [rollups] in try await rollups.figures(links.map(DayFigures.Scope.link), from: from, to: to) }
        return Self.funnel(figures, plays: plays)
    }

    /// One promoter's figures for one product, with the definitions of `DayFigures`: clicks on the
    /// promoter's links to the product, orders with a line of it, and what those lines paid.
    static func count(promoterID: String, productID: String, from: Instant, to: Instant, dialect: Dialect, in db: any SQLDatabase) async throws -> Funnel {
        func numbers(_ query: SQLQueryString) async throws -> [Int64] {
            guard let row = try await db.first(query) else { return [] }
            return try row.allColumns.map { try row.decode(column: $0, as: Int64?.self) ?? 0 }
        }
        let clicks = try await numbers("""
            SELECT COUNT(*) AS a, COUNT(CASE WHEN c.is_bot = 0 THEN 1 END) AS b, COUNT(DISTINCT CASE WHEN c.is_bot = 0 THEN c.visitor_id END) AS c
            FROM clicks c WHERE \(ClickRepository.filter(.promoter(promoterID))) AND c.product_id = \(bind: productID)
                AND c.at >= \(bind: from.milliseconds) AND c.at < \(bind: to.milliseconds)
            """)
        let lines: SQLQueryString = """
            JOIN orders o ON o.id = x.order_id WHERE o.promoter_id = \(bind: promoterID)
                AND EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = o.id AND i.product_id = \(bind: productID))
                AND x.created_at >= \(bind: from.milliseconds) AND x.created_at < \(bind: to.milliseconds)
            """
        let orders = try await numbers("""
            SELECT COUNT(*) AS a FROM orders o WHERE o.promoter_id = \(bind: promoterID)
                AND EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = o.id AND i.product_id = \(bind: productID))
                AND o.created_at >= \(bind: from.milliseconds) AND o.created_at < \(bind: to.milliseconds)
            """)
        let part: SQLQueryString = "(SELECT CAST(SUM(i.paid) AS BIGINT) FROM order_items i WHERE i.order_id = o.id AND i.product_id = \(bind: productID)) AS part"
        let delays = try await DayFigures.payDelays("""
            o.promoter_id = \(bind: promoterID) AND EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = o.id AND i.product_id = \(bind: productID))
            """, within: MadeWithin(start: from, end: to, dialect: dialect), in: db)
        var paid: [Int64] = [0, 0]
        for row in try await db.rows("SELECT \(part) FROM payments x \(lines)") {
            paid[0] &+= 1
            paid[1] &+= try row.decode(column: "part", as: Int64?.self) ?? 0
        }
        // A product's share of a refund is in proportion to what its lines paid, rounded as
        // everywhere else (`Money.share`).
        var refunds: [Int64] = [0, 0]
        for row in try await db.rows("""
            SELECT x.amount AS refund, o.amount AS whole, \(part) FROM refunds x \(lines)
            """) {
            refunds[0] &+= 1
            refunds[1] &+= Money.share(try row.decode(column: "refund", as: Int64.self), part: try row.decode(column: "part", as: Int64?.self) ?? 0,
                                       whole: try row.decode(column: "whole", as: Int64.self))
        }
        func at(_ list: [Int64], _ index: Int) -> Int64 { index < list.count ? list[index] : 0 }
        return Funnel(clicks: at(clicks, 0), views: at(clicks, 1), visitors: at(clicks, 2), orders: at(orders, 0), paid: at(paid, 0),
                      refunded: at(refunds, 0), gmv: at(paid, 1), refundedAmount: at(refunds, 1), medianPaySeconds: delays.medianSeconds)
    }
}
