import SQLKit
import TuikeCore

/// The propagation tree of a product, or of the whole program, over `[from, to)` (`SpreadTree`):
/// the promoters who took part (for a product: those with a link to it made before `to`, or an
/// own paid order of it in the window; for the program: every approved promoter who joined
/// before `to`), under their inviters, with the distinct buyers of their own counted orders.
public struct SpreadQuery: Sendable {
    let database: any Database

    public init(database: any Database) { self.database = database }

    public func tree(productID: String?, from: Instant, to: Instant) async throws -> SpreadTree {
        let (identity, dialect) = (database.cacheIdentity, database.dialect)
        return try await database.report { [database] in
            try await database.read { db in
                let buyers = try await Self.buyers(productID: productID, from: from, to: to, identity: identity, dialect: dialect, in: db)
                let took: SQLQueryString = productID.map {
                    "AND EXISTS (SELECT 1 FROM links l WHERE l.promoter_id = p.id AND l.product_id = \(bind: $0) AND l.created_at < \(bind: to.milliseconds))"
                } ?? ""
                var nodes: [SpreadTree.Node] = []
                var seen: Set<String> = []
                for row in try await db.rows("""
                    SELECT p.id, p.name, p.parent_id, p.created_at FROM promoters p
                    WHERE p.created_at < \(bind: to.milliseconds) AND p.status NOT IN ('applied', 'rejected') \(took)
                    """) {
                    let id = try row.decode(column: "id", as: String.self)
                    seen.insert(id)
                    nodes.append(SpreadTree.Node(id: id, name: try row.decode(column: "name", as: String.self),
                                                 parentID: try row.decode(column: "parent_id", as: String?.self),
                                                 joinedAt: try row.decodeInstant(column: "created_at"), buyers: buyers[id] ?? 0))
                }
                // Sellers of the product without a link of it (orders reported by an integrator).
                let missing = buyers.keys.filter { !seen.contains($0) }.sorted()
                for chunk in missing.chunked(by: 500) {
                    for row in try await db.rows("""
                        SELECT id, name, parent_id, created_at FROM promoters WHERE id IN (\(SQLList(chunk.map { SQLBind($0) })))
                        """) {
                        let id = try row.decode(column: "id", as: String.self)
                        nodes.append(SpreadTree.Node(id: id, name: try row.decode(column: "name", as: String.self),
                                                     parentID: try row.decode(column: "parent_id", as: String?.self),
                                                     joinedAt: try row.decodeInstant(column: "created_at"), buyers: buyers[id] ?? 0))
                    }
                }
                return SpreadTree(nodes: nodes)
            }
        }
    }

    /// Each promoter's distinct buyers of its counted orders paid in `[from, to)`. When the span
    /// runs into today, the days before it (the rollups' `through`) give each promoter's set of
    /// buyers, made once and kept in memory until a paid order of the span changes (any mark in
    /// `roi_changes` there: a refund, the only way a paid order stops counting, leaves one);
    /// today's buyers are added to them on every read. A span that ends before today is counted
    /// on each read.
    static func buyers(productID: String?, from: Instant, to: Instant, identity: String, dialect: Dialect,
                       in db: any SQLDatabase) async throws -> [String: Int64] {
        let through = try await DayRollups.state(in: db)?.through
        guard let boundary = through, from < boundary, boundary < to else {
            return try await sets(productID: productID, from: from, to: to, dialect: dialect, in: db).mapValues { Int64($0.count) }
        }
        let key = "\(identity)|\(productID ?? "")|\(from.milliseconds)|\(boundary.milliseconds)|"
            + (try await RoiCohorts.marksKey(from: from, to: boundary, in: db))
        let kept = try await keptSets.value(key) { try await sets(productID: productID, from: from, to: boundary, dialect: dialect, in: db) }
        var counts = kept.mapValues { Int64($0.count) }
        for (promoter, today) in try await sets(productID: productID, from: boundary, to: to, dialect: dialect, in: db) {
            let before = kept[promoter]
            counts[promoter, default: 0] += Int64(before.map { today.subtracting($0).count } ?? today.count)
        }
        return counts
    }

    /// A month's sets hold about a hundred thousand buyer ids: only a few are kept.
    private static let keptSets = KeptValues<[String: Set<String>]>(limit: 4)

    /// The buyers of each promoter's counted orders paid in `[from, to)`, found through the
    /// payments of the span (SQLite is made to start from them: a range of their key).
    static func sets(productID: String?, from: Instant, to: Instant, dialect: Dialect, in db: any SQLDatabase) async throws -> [String: Set<String>] {
        guard from < to else { return [:] }
        let line: SQLQueryString = productID.map { "AND EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = o.id AND i.product_id = \(bind: $0))" } ?? ""
        let join = dialect.kind == .sqlite ? "CROSS JOIN" : "JOIN"
        var sets: [String: Set<String>] = [:]
        for row in try await db.rows("""
            SELECT o.promoter_id, o.buyer_id FROM payments p \(unsafeRaw: join) orders o ON o.id = p.order_id
            WHERE \(MadeWithin(start: from, end: to, dialect: dialect)("p", prefix: "pay"))
                AND \(CountedOrders.condition(from: from, through: to.adding(milliseconds: -1), alias: "o")) \(line)
            """) {
            sets[try row.decode(column: "promoter_id", as: String.self), default: []].insert(try row.decode(column: "buyer_id", as: String.self))
        }
        return sets
    }
}
