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
                let scope = try await Self.buyersScope(productID: productID, from: from, to: to, identity: identity, dialect: dialect, in: db)
                if let productID {
                    let buyers = try await Self.buyers(scope, in: db)
                    let rows = try await Self.promoters(where: """
                        p.created_at < \(bind: to.milliseconds)
                            AND EXISTS (SELECT 1 FROM links l WHERE l.promoter_id = p.id AND l.product_id = \(bind: productID) AND l.created_at < \(bind: to.milliseconds))
                        """, in: db)
                    return try await Self.tree(rows, ids: Set(rows.map(\.id)), buyers: buyers, in: db)
                }
                // The program's tree: its promoters kept under their revision, and the tree kept
                // too while the buyers are unchanged and every promoter kept joined before `to`.
                let revision = try await db.one("SELECT n FROM promoter_revision WHERE id = 1").decode(column: "n", as: Int64.self)
                let kept = try await Self.keptPromoters.value("\(identity)|\(revision)") {
                    let rows = try await Self.promoters(where: "1 = 1", in: db)
                    return KeptPromoters(rows: rows, ids: Set(rows.map(\.id)), latest: rows.map(\.joinedAt).max() ?? Instant(milliseconds: 0))
                }
                guard kept.latest < to, let buyersKey = scope.key else {
                    let rows = kept.rows.filter { $0.joinedAt < to }
                    return try await Self.tree(rows, ids: Set(rows.map(\.id)), buyers: try await Self.buyers(scope, in: db), in: db)
                }
                return try await Self.keptTrees.value("\(identity)|\(revision)|\(buyersKey)") {
                    try await Self.tree(kept.rows, ids: kept.ids, buyers: try await Self.buyers(scope, in: db), in: db)
                }
            }
        }
    }

    /// The promoters who take part in a tree: approved ones (suspended too), never applicants.
    struct PromoterRow: Sendable {
        let id: String
        let name: String
        let parentID: String?
        let joinedAt: Instant
    }

    struct KeptPromoters: Sendable {
        let rows: [PromoterRow]
        let ids: Set<String>
        let latest: Instant
    }

    /// Ten thousand promoters are read again only when one joins or changes (`promoter_revision`).
    private static let keptPromoters = KeptValues<KeptPromoters>(limit: 4)
    private static let keptTrees = KeptValues<SpreadTree>(limit: 8)

    static func promoters(where condition: SQLQueryString, in db: any SQLDatabase) async throws -> [PromoterRow] {
        try await db.rows("""
            SELECT p.id, p.name, p.parent_id, p.created_at FROM promoters p WHERE p.status NOT IN ('applied', 'rejected') AND \(condition)
            """).map(Self.row)
    }

    static func row(_ row: any SQLRow) throws -> PromoterRow {
        PromoterRow(id: try row.decode(column: "id", as: String.self), name: try row.decode(column: "name", as: String.self),
                    parentID: try row.decode(column: "parent_id", as: String?.self), joinedAt: try row.decodeInstant(column: "created_at"))
    }

    /// The tree of `rows` (whose ids are `ids`) with their buyers, and the sellers among the buyers'
    /// promoters who are not in it (orders reported by an integrator, an applicant's).
    static func tree(_ rows: [PromoterRow], ids: Set<String>, buyers: [String: Int64], in db: any SQLDatabase) async throws -> SpreadTree {
        var nodes = rows.map { SpreadTree.Node(id: $0.id, name: $0.name, parentID: $0.parentID, joinedAt: $0.joinedAt, buyers: buyers[$0.id] ?? 0) }
        let missing = buyers.keys.filter { !ids.contains($0) }.sorted()
        for chunk in missing.chunked(by: 500) {
            for row in try await db.rows("""
                SELECT id, name, parent_id, created_at FROM promoters WHERE id IN (\(SQLList(chunk.map { SQLBind($0) })))
                """).map(Self.row) {
                nodes.append(SpreadTree.Node(id: row.id, name: row.name, parentID: row.parentID, joinedAt: row.joinedAt, buyers: buyers[row.id] ?? 0))
            }
        }
        return SpreadTree(nodes: nodes)
    }

    /// Each promoter's distinct buyers of its counted orders paid in `[from, to)`. When the span
    /// runs into today, the days before it (the rollups' `through`) give each promoter's set of
    /// buyers, made once and kept in memory until a paid order of the span changes (any mark in
    /// `roi_changes` there: a refund, the only way a paid order stops counting, leaves one);
    /// today's buyers are added to them. `key` names the whole (today's payments are counted, and
    /// their refunds leave marks too), so the program's tree is kept under it. A span that ends
    /// before today is counted on each read.
    struct BuyersScope: Sendable {
        let productID: String?
        let from: Instant
        let to: Instant
        let dialect: Dialect
        /// The rollups' watermark when it falls inside the span: the days before it are kept.
        let boundary: Instant?
        /// Names the days before the boundary (`keptSets`), and with today's figures, the whole.
        let keptKey: String?
        let key: String?
    }

    /// What the buyers of a span depend on, read before them (so that buyers read after it are
    /// at least as new as the key they are kept under).
    static func buyersScope(productID: String?, from: Instant, to: Instant, identity: String, dialect: Dialect,
                            in db: any SQLDatabase) async throws -> BuyersScope {
        let through = try await DayRollups.state(in: db)?.through
        guard let boundary = through, from < boundary, boundary < to else {
            return BuyersScope(productID: productID, from: from, to: to, dialect: dialect, boundary: nil, keptKey: nil, key: nil)
        }
        let kept = "\(identity)|\(productID ?? "")|\(from.milliseconds)|\(boundary.milliseconds)|"
            + (try await RoiCohorts.marksKey(from: from, to: boundary, in: db))
        // Today's buyers change only with a payment of today (their count) or a refund (a mark).
        let today = try await db.one("""
            SELECT COUNT(*) AS n FROM payments p WHERE \(MadeWithin(start: boundary, end: to, dialect: dialect)("p", prefix: "pay"))
            """).decode(column: "n", as: Int64.self)
        let key = kept + "|\(today)|" + (try await RoiCohorts.marksKey(from: boundary, to: to, in: db))
        return BuyersScope(productID: productID, from: from, to: to, dialect: dialect, boundary: boundary, keptKey: kept, key: key)
    }

    static func buyers(_ scope: BuyersScope, in db: any SQLDatabase) async throws -> [String: Int64] {
        let (productID, dialect) = (scope.productID, scope.dialect)
        guard let boundary = scope.boundary, let key = scope.keptKey else {
            return try await sets(productID: productID, from: scope.from, to: scope.to, dialect: dialect, in: db).mapValues { Int64($0.count) }
        }
        let kept = try await keptSets.value(key) { try await sets(productID: productID, from: scope.from, to: boundary, dialect: dialect, in: db) }
        var counts = kept.mapValues { Int64($0.count) }
        for (promoter, today) in try await sets(productID: productID, from: boundary, to: scope.to, dialect: dialect, in: db) {
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

    /// Moves with every change of a promoter a tree shows (joining, name, status, inviter), in the
    /// same transaction, so a kept list of promoters is never read under a revision it does not
    /// hold. Row triggers fire only for rows that changed (a conditional update that matched
    /// nothing, or an insert that yielded to a conflict, takes no lock). Every promoter write
    /// changes one promoter, so on PostgreSQL the revision's row lock comes after that row's,
    /// always in that order.
    static let revisionMigration = Migration(version: 38, name: "promoter_revision", statements: [
        "CREATE TABLE promoter_revision (id BIGINT PRIMARY KEY CHECK (id = 1), n BIGINT NOT NULL)",
        "INSERT INTO promoter_revision (id, n) VALUES (1, 0)",
    ], dialectStatements: [
        .sqlite: ["INSERT", "DELETE", "UPDATE OF name, status, parent_id, created_at"].enumerated().map { index, event in
            "CREATE TRIGGER promoter_revision_\(index) AFTER \(event) ON promoters BEGIN UPDATE promoter_revision SET n = n + 1 WHERE id = 1; END"
        },
        .postgres: [
            """
            CREATE FUNCTION promoter_revision_bump() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                UPDATE promoter_revision SET n = n + 1 WHERE id = 1;
                RETURN NULL;
            END
            $$
            """,
            """
            CREATE TRIGGER promoter_revision_rows AFTER INSERT OR DELETE ON promoters
            FOR EACH ROW EXECUTE FUNCTION promoter_revision_bump()
            """,
            """
            CREATE TRIGGER promoter_revision_changes AFTER UPDATE OF name, status, parent_id, created_at ON promoters
            FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.status IS DISTINCT FROM NEW.status
                OR OLD.parent_id IS DISTINCT FROM NEW.parent_id OR OLD.created_at IS DISTINCT FROM NEW.created_at)
            EXECUTE FUNCTION promoter_revision_bump()
            """,
        ],
    ])
}
