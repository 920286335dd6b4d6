import SQLKit
import TuikeCore

extension DayFigures {
    /// One scope's figures over `[start, end)`, the same as `count(from:to:only:)[scope]` but
    /// read through that scope's own rows only: a promoter's or a link's clicks through the link
    /// index, the span's orders, payments, refunds and commissions filtered in the database. A
    /// report over today of one promoter then reads that promoter's day, not everyone's. A
    /// material's scope is counted the long way.
    static func one(_ scope: Scope, from start: Instant, to end: Instant, dialect: Dialect, in db: any SQLDatabase) async throws -> DayFigures {
        let within = MadeWithin(start: start, end: end, dialect: dialect)
        let clicks: SQLQueryString, orders: SQLQueryString, lines: Bool
        let clickTime: SQLQueryString = "c.at >= \(bind: start.milliseconds) AND c.at < \(bind: end.milliseconds)"
        // The span is normally minutes: its rows are found by time (the id range on SQLite), then
        // filtered by scope. SQLite would rather walk the scope's index (all of the busiest
        // promoter's orders of a year) unless told not to: a unary `+` keeps a column off an index.
        let plain = { (column: String) -> String in dialect.kind == .sqlite ? "+\(column)" : column }
        let attributed = { (link: String) -> SQLQueryString in
            "EXISTS (SELECT 1 FROM clicks k WHERE k.id = o.attribution_click_id AND k.link_id = \(bind: link))"
        }
        switch scope {
        case .program:
            return try await program(from: start, to: end, dialect: dialect, in: db).figures
        case .material:
            return try await count(from: start, to: end, only: scope, dialect: dialect, in: db)[scope] ?? DayFigures()
        case .promoter(let id):
            clicks = "c.link_id IN (SELECT l.id FROM links l WHERE l.promoter_id = \(bind: id)) AND \(clickTime)"
            orders = "\(unsafeRaw: plain("o.promoter_id")) = \(bind: id)"
            lines = false
        case .link(let id):
            clicks = "c.link_id = \(bind: id) AND \(clickTime)"
            orders = attributed(id)
            lines = false
        case .product(let id):
            clicks = "\(within("c", prefix: "clk", column: "at")) AND c.product_id = \(bind: id)"
            orders = "\(unsafeRaw: plain("i.product_id")) = \(bind: id)"
            lines = true
        }
        var figures = DayFigures()
        var visitors: Set<String> = []
        for row in try await db.rows("SELECT c.visitor_id, c.is_bot, c.source FROM clicks c WHERE \(clicks)") {
            if try row.decode(column: "is_bot", as: Int64.self) != 0 {
                figures.bots &+= 1
                continue
            }
            figures.clicks &+= 1
            visitors.insert(try row.decode(column: "visitor_id", as: String.self))
            if try row.decode(column: "source", as: String?.self).flatMap(MaterialKey.init)?.isScan == true { figures.qrClicks &+= 1 }
        }
        figures.visitors = Int64(visitors.count)
        figures.sketch = VisitorSketch(visitors: visitors)
        // A product counts each of its lines, as the rollups do; the other scopes each order once.
        let join: SQLQueryString = lines ? "JOIN order_items i ON i.order_id = o.id" : ""
        func numbers(_ query: SQLQueryString) async throws -> [Int64] {
            guard let row = try await db.first(query) else { return [0, 0] }
            return try row.allColumns.map { try row.decode(column: $0, as: Int64?.self) ?? 0 } + [0, 0]
        }
        figures.orders = try await numbers("SELECT COUNT(*) AS a FROM orders o \(join) WHERE \(within("o", prefix: "ord")) AND \(orders)")[0]
        let amount: SQLQueryString = lines ? "i.paid" : "p.amount"
        let paid = try await numbers("""
            SELECT COUNT(*) AS a, CAST(SUM(\(amount)) AS BIGINT) AS b, \(unsafeRaw: Self.selfSums("p.amount")) FROM payments p JOIN orders o ON o.id = p.order_id \(join)
            WHERE \(within("p", prefix: "pay")) AND \(orders)
            """) + [0, 0]
        (figures.paidOrders, figures.gmv) = (paid[0], paid[1])
        // Self-purchases are the order's scopes' figure, not a product's (as the rollups count them).
        if !lines { (figures.selfOrders, figures.selfSales) = (paid[2], paid[3]) }
        figures.payDelays = try await payDelays(orders, lines: lines, within: within, in: db)
        for row in try await db.rows("""
            SELECT r.amount, o.amount AS whole, \(unsafeRaw: lines ? "i.paid" : "o.amount") AS part, o.self_referral FROM refunds r JOIN orders o ON o.id = r.order_id \(join)
            WHERE \(within("r", prefix: "rfd")) AND \(orders)
            """) {
            let refund = try row.decode(column: "amount", as: Int64.self)
            figures.refunds &+= 1
            if !lines, try row.decode(column: "self_referral", as: Int64.self) != 0 { figures.selfSales &-= refund }
            figures.refunded &+= lines
                ? Money.share(refund, part: try row.decode(column: "part", as: Int64.self), whole: try row.decode(column: "whole", as: Int64.self))
                : refund
        }
        let earned: SQLQueryString = switch scope {
        case .promoter(let id): "\(unsafeRaw: plain("m.promoter_id")) = \(bind: id)"
        case .product(let id): "\(unsafeRaw: plain("i.product_id")) = \(bind: id)"
        default: attributed(String(scope.key.dropFirst("link:".count)))
        }
        figures.commissions = try await numbers("""
            SELECT CAST(SUM(m.amount) AS BIGINT) AS a FROM commissions m JOIN order_items i ON i.id = m.order_item_id JOIN orders o ON o.id = m.order_id
            WHERE \(within("m", prefix: "com")) AND \(earned)
            """)[0]
        // What refunds took back is a promoter's figure only (its account's postings).
        if case .promoter(let id) = scope {
            figures.reversed = try await numbers("""
                SELECT CAST(SUM(p.amount) AS BIGINT) AS a FROM journal_entries e JOIN journal_postings p ON p.entry_id = e.id
                WHERE \(within("e", prefix: "jrn")) AND e.kind IN ('commission_reversal', 'commission_clawback') AND p.account LIKE \(bind: "promoter:\(id):%")
                """)[0]
        }
        return figures
    }
}
