import SQLKit
import TuikeCore

extension DayFigures {
    /// Counts every scope's figures over `[start, end)` from the rows themselves (see `DayFigures`
    /// for what each figure means). With `only`, just that scope's (the rows read are the same:
    /// the span's, through their time-ordered keys). Scopes with nothing in the span are absent.
    static func count(from start: Instant, to end: Instant, only: Scope? = nil, dialect: Dialect,
                      in db: any SQLDatabase) async throws -> [Scope: DayFigures] {
        let within = MadeWithin(start: start, end: end, dialect: dialect)
        var figures: [Scope: DayFigures] = [:]
        var visitors: [Scope: Set<String>] = [:]
        func scopes(link: String?, promoter: String?, product: String?, material: Scope? = nil) -> [Scope] {
            let all: [Scope?] = [.program, link.map(Scope.link), promoter.map(Scope.promoter), product.map(Scope.product), material]
            return all.compactMap { $0 }.filter { only == nil || $0 == only }
        }
        func update(_ scopes: [Scope], _ change: (inout DayFigures) -> Void) {
            for scope in scopes { change(&figures[scope, default: DayFigures()]) }
        }

        // Only materials that exist get a scope: `?s=` is whatever a visitor typed, and a made-up
        // key must not make rows of its own.
        let known = try await Self.materialKeys(in: db)
        /// The material scope of a click: its product's, when the click named a material.
        func material(product: String?, source: String?) -> Scope? {
            guard let product, let source, known.contains(source) else { return nil }
            return .material(productID: product, key: source)
        }

        for row in try await db.rows("""
            SELECT c.link_id, c.promoter_id, c.product_id, c.visitor_id, c.is_bot, c.source FROM clicks c WHERE \(within("c", prefix: "clk", column: "at"))
            """) {
            let product = try row.decode(column: "product_id", as: String?.self), source = try row.decode(column: "source", as: String?.self)
            let bot = try row.decode(column: "is_bot", as: Int64.self) != 0
            let targets = scopes(link: try row.decode(column: "link_id", as: String.self), promoter: try row.decode(column: "promoter_id", as: String.self),
                                 product: product, material: bot ? nil : material(product: product, source: source))
            if bot {
                update(targets) { $0.bots &+= 1 }
            } else {
                let visitor = try row.decode(column: "visitor_id", as: String.self)
                let scan = source.flatMap(MaterialKey.init)?.isScan == true
                update(targets) { figures in
                    figures.clicks &+= 1
                    if scan { figures.qrClicks &+= 1 }
                }
                for scope in targets { visitors[scope, default: []].insert(visitor) }
            }
        }
        for (scope, set) in visitors {
            figures[scope, default: DayFigures()].visitors = Int64(set.count)
            figures[scope, default: DayFigures()].sketch = VisitorSketch(visitors: set)
        }

        // Orders, payments and refunds, each with its order's promoter, link and lines.
        let lines: SQLQueryString = """
            o.promoter_id, c.link_id, c.product_id AS click_product, c.source, o.amount AS order_amount, i.product_id, i.paid AS line_paid, i.position,
                o.self_referral
            FROM orders o JOIN order_items i ON i.order_id = o.id LEFT JOIN clicks c ON c.id = o.attribution_click_id
            """
        func eachLine(_ query: SQLQueryString, _ body: (_ order: [Scope], _ product: [Scope], _ row: any SQLRow) throws -> Void) async throws {
            for row in try await db.rows(query) {
                let promoter = try row.decode(column: "promoter_id", as: String?.self), link = try row.decode(column: "link_id", as: String?.self)
                // The order counts once, with its first line; each line counts for its product.
                let first = try row.decode(column: "position", as: Int64.self) == 0
                let shared = material(product: try row.decode(column: "click_product", as: String?.self), source: try row.decode(column: "source", as: String?.self))
                let order = first ? scopes(link: link, promoter: promoter, product: nil, material: shared) : []
                let product = scopes(link: nil, promoter: nil, product: try row.decode(column: "product_id", as: String.self)).filter { $0 != .program }
                try body(order, product, row)
            }
        }
        try await eachLine("SELECT \(lines) WHERE \(within("o", prefix: "ord"))") { order, product, _ in
            update(order + product) { $0.orders &+= 1 }
        }
        try await eachLine("""
            SELECT p.amount, p.created_at AS paid_at, c.at AS click_at, \(lines) JOIN payments p ON p.order_id = o.id WHERE \(within("p", prefix: "pay"))
            """) { order, product, row in
            let amount = try row.decode(column: "amount", as: Int64.self), paid = try row.decode(column: "line_paid", as: Int64.self)
            let delay = try Self.payDelay(row)
            let own = try row.decode(column: "self_referral", as: Int64.self) != 0
            update(order) { figures in
                figures.paidOrders &+= 1
                figures.gmv &+= amount
                if let delay { figures.payDelays.add(seconds: delay) }
                if own {
                    figures.selfOrders &+= 1
                    figures.selfSales &+= amount
                }
            }
            update(product) { figures in
                figures.paidOrders &+= 1
                figures.gmv &+= paid
                if let delay { figures.payDelays.add(seconds: delay) }
            }
        }
        try await eachLine("SELECT r.amount, \(lines) JOIN refunds r ON r.order_id = o.id WHERE \(within("r", prefix: "rfd"))") { order, product, row in
            let amount = try row.decode(column: "amount", as: Int64.self)
            let share = Money.share(amount, part: try row.decode(column: "line_paid", as: Int64.self), whole: try row.decode(column: "order_amount", as: Int64.self))
            let own = try row.decode(column: "self_referral", as: Int64.self) != 0
            update(order) { figures in
                figures.refunds &+= 1
                figures.refunded &+= amount
                if own { figures.selfSales &-= amount }
            }
            update(product) { $0.refunds &+= 1; $0.refunded &+= share }
        }
        for row in try await db.rows("""
            SELECT m.promoter_id, m.amount, i.product_id, c.link_id FROM commissions m JOIN order_items i ON i.id = m.order_item_id
            JOIN orders o ON o.id = m.order_id LEFT JOIN clicks c ON c.id = o.attribution_click_id WHERE \(within("m", prefix: "com"))
            """) {
            let amount = try row.decode(column: "amount", as: Int64.self)
            update(scopes(link: try row.decode(column: "link_id", as: String?.self), promoter: try row.decode(column: "promoter_id", as: String.self),
                          product: try row.decode(column: "product_id", as: String.self))) { $0.commissions &+= amount }
        }
        // Reversals and clawbacks debit the promoter's account: a positive posting takes back.
        for row in try await db.rows("""
            SELECT p.account, p.amount FROM journal_entries e JOIN journal_postings p ON p.entry_id = e.id
            WHERE \(within("e", prefix: "jrn")) AND e.kind IN ('commission_reversal', 'commission_clawback') AND p.account LIKE 'promoter:%'
            """) {
            let account = try row.decode(column: "account", as: String.self), amount = try row.decode(column: "amount", as: Int64.self)
            let parts = account.split(separator: ":")
            guard parts.count == 3 else { continue }
            update(scopes(link: nil, promoter: String(parts[1]), product: nil)) { $0.reversed &+= amount }
        }
        return figures
    }
}

extension DayFigures {
    /// The keys of every material that exists: `qr`, and each poster template, copy template and image.
    static func materialKeys(in db: any SQLDatabase) async throws -> Set<String> {
        var keys: Set<String> = [MaterialKey.qr.rawValue]
        for row in try await db.rows("""
            SELECT 'p.' || id AS k FROM poster_templates UNION ALL SELECT 't.' || id FROM copy_templates UNION ALL SELECT 'm.' || id FROM media
            """) {
            keys.insert(try row.decode(column: "k", as: String.self))
        }
        return keys
    }

    /// Seconds from a row's `click_at` to its `paid_at`; nil for an order that came without a click.
    static func payDelay(_ row: any SQLRow) throws -> Int64? {
        guard let click = try row.decode(column: "click_at", as: Int64?.self) else { return nil }
        let (delay, overflow) = try row.decode(column: "paid_at", as: Int64.self).subtractingReportingOverflow(click)
        return overflow ? nil : delay / 1000
    }

    /// The delays from click to payment of the paid orders `condition` picks out of the span's
    /// payments `p` (with their orders `o` and, when `lines`, their lines `i`).
    static func payDelays(_ condition: SQLQueryString, lines: Bool = false, within: MadeWithin, in db: any SQLDatabase) async throws -> DelayHistogram {
        var delays = DelayHistogram()
        let join: SQLQueryString = lines ? "JOIN order_items i ON i.order_id = o.id" : ""
        for row in try await db.rows("""
            SELECT p.created_at AS paid_at, c.at AS click_at FROM payments p JOIN orders o ON o.id = p.order_id \(join)
                JOIN clicks c ON c.id = o.attribution_click_id
            WHERE \(within("p", prefix: "pay")) AND \(condition)
            """) {
            if let delay = try payDelay(row) { delays.add(seconds: delay) }
        }
        return delays
    }

    /// How many of the rows are of self-purchases (`c`) and their `amount` (`d`), over orders `o`.
    static func selfSums(_ amount: String) -> String {
        "COUNT(CASE WHEN o.self_referral <> 0 THEN 1 END) AS c, CAST(SUM(CASE WHEN o.self_referral <> 0 THEN \(amount) ELSE 0 END) AS BIGINT) AS d"
    }

    /// `MaterialKey.isScan` in SQL, over a click `c`: the stored sources are always valid keys.
    static let scanCondition = "(c.source = 'qr' OR c.source LIKE 'p.%')"

    /// The program's figures over `[start, end)` by aggregates in the database, the same as
    /// `count(...)[.program]`: the dashboard's today without walking every row of every scope.
    /// Also each promoter's commission earned less reversed in the span.
    static func program(from start: Instant, to end: Instant, dialect: Dialect,
                        in db: any SQLDatabase) async throws -> (figures: DayFigures, earned: [String: Int64]) {
        let within = MadeWithin(start: start, end: end, dialect: dialect)
        func numbers(_ query: SQLQueryString) async throws -> [Int64] {
            guard let row = try await db.first(query) else { return [] }
            return try row.allColumns.map { try row.decode(column: $0, as: Int64?.self) ?? 0 }
        }
        var figures = DayFigures()
        let clicks = try await numbers("""
            SELECT COUNT(CASE WHEN c.is_bot = 0 THEN 1 END) AS a, COUNT(CASE WHEN c.is_bot <> 0 THEN 1 END) AS b,
                COUNT(CASE WHEN c.is_bot = 0 AND \(unsafeRaw: Self.scanCondition) THEN 1 END) AS c
            FROM clicks c WHERE \(within("c", prefix: "clk", column: "at"))
            """)
        (figures.clicks, figures.bots) = (clicks.first ?? 0, clicks.dropFirst().first ?? 0)
        figures.qrClicks = clicks.dropFirst(2).first ?? 0
        let visitors = try await db.rows("SELECT DISTINCT c.visitor_id FROM clicks c WHERE \(within("c", prefix: "clk", column: "at")) AND c.is_bot = 0")
        for row in visitors { figures.sketch.add(try row.decode(column: "visitor_id", as: String.self)) }
        figures.visitors = Int64(visitors.count)
        figures.orders = try await numbers("SELECT COUNT(*) AS a FROM orders o WHERE \(within("o", prefix: "ord"))").first ?? 0
        let paid = try await numbers("""
            SELECT COUNT(*) AS a, CAST(SUM(p.amount) AS BIGINT) AS b, \(unsafeRaw: Self.selfSums("p.amount")) FROM payments p JOIN orders o ON o.id = p.order_id
            WHERE \(within("p", prefix: "pay"))
            """) + [0, 0, 0, 0]
        (figures.paidOrders, figures.gmv, figures.selfOrders, figures.selfSales) = (paid[0], paid[1], paid[2], paid[3])
        figures.payDelays = try await payDelays("1 = 1", within: within, in: db)
        let refunds = try await numbers("""
            SELECT COUNT(*) AS a, CAST(SUM(r.amount) AS BIGINT) AS b, \(unsafeRaw: Self.selfSums("r.amount")) FROM refunds r JOIN orders o ON o.id = r.order_id
            WHERE \(within("r", prefix: "rfd"))
            """) + [0, 0, 0, 0]
        (figures.refunds, figures.refunded) = (refunds[0], refunds[1])
        figures.selfSales &-= refunds[3]
        let earned = try await Self.earned(from: start, to: end, dialect: dialect, in: db)
        (figures.commissions, figures.reversed) = (earned.commissions, earned.reversed)
        return (figures, earned.byPromoter)
    }

    /// Commission earned over `[start, end)` and what reversals and clawbacks took back in it,
    /// in all and per promoter (earned less taken back).
    static func earned(from start: Instant, to end: Instant, dialect: Dialect,
                       in db: any SQLDatabase) async throws -> (commissions: Int64, reversed: Int64, byPromoter: [String: Int64]) {
        let within = MadeWithin(start: start, end: end, dialect: dialect)
        var (commissions, reversed) = (Int64(0), Int64(0))
        var byPromoter: [String: Int64] = [:]
        for row in try await db.rows("""
            SELECT m.promoter_id, CAST(SUM(m.amount) AS BIGINT) AS amount FROM commissions m WHERE \(within("m", prefix: "com")) GROUP BY m.promoter_id
            """) {
            let amount = try row.decode(column: "amount", as: Int64.self)
            commissions &+= amount
            byPromoter[try row.decode(column: "promoter_id", as: String.self), default: 0] &+= amount
        }
        for row in try await db.rows("""
            SELECT p.account, CAST(SUM(p.amount) AS BIGINT) AS amount FROM journal_entries e JOIN journal_postings p ON p.entry_id = e.id
            WHERE \(within("e", prefix: "jrn")) AND e.kind IN ('commission_reversal', 'commission_clawback') AND p.account LIKE 'promoter:%'
            GROUP BY p.account
            """) {
            let parts = try row.decode(column: "account", as: String.self).split(separator: ":")
            guard parts.count == 3 else { continue }
            let amount = try row.decode(column: "amount", as: Int64.self)
            reversed &+= amount
            byPromoter[String(parts[1]), default: 0] &-= amount
        }
        return (commissions, reversed, byPromoter)
    }
}
