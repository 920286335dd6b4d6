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
        try await database.report { [database] in
            try await database.read { db in
                let line: SQLQueryString = productID.map { "AND EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = orders.id AND i.product_id = \(bind: $0))" } ?? ""
                var buyers: [String: Int64] = [:]
                for row in try await db.rows("""
                    SELECT promoter_id, COUNT(DISTINCT buyer_id) AS n FROM orders
                    WHERE \(CountedOrders.condition(from: from, through: to.adding(milliseconds: -1))) \(line) GROUP BY promoter_id
                    """) {
                    buyers[try row.decode(column: "promoter_id", as: String.self)] = try row.decode(column: "n", as: Int64.self)
                }
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
}
