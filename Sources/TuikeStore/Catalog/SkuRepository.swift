import SQLKit
import TuikeCore

/// The variants (SKUs) of physical products. A product is stored with its variants in one
/// transaction; stock is changed only by orders (taken in their statement), cancellations and
/// returns, or set by the merchant.
public struct SkuRepository: Sendable {
    let database: any Database

    public init(database: any Database) { self.database = database }

    static let columns = "id, product_id, code, attributes, price, stock, rule, position"

    /// Stores a product and its variants together.
    public func create(_ product: Product, skus: [Sku], at now: Instant) async throws {
        try await database.write { db in
            try await ProductRepository.insert(product, into: db)
            for sku in skus { try await Self.insert(sku, at: now, in: db) }
        }
    }

    /// Adds a variant; 409 `sku_exists` when the product has that code already.
    public func add(_ sku: Sku, at now: Instant) async throws -> Sku {
        try await database.write { db in
            let count = try await db.one("SELECT COUNT(*) AS n FROM product_skus WHERE product_id = \(bind: sku.productID)").decode(column: "n", as: Int64.self)
            guard count < Sku.maxPerProduct else { throw TuikeError.validation("a product has at most \(Sku.maxPerProduct) skus") }
            guard try await Self.insert(Sku(id: sku.id, productID: sku.productID, code: sku.code, attributes: sku.attributes, price: sku.price,
                                            stock: sku.stock, rule: sku.rule, position: count), at: now, in: db) else {
                throw TuikeError(.conflict, code: "sku_exists", "the product has a sku \(sku.code) already")
            }
            return try await Self.find(productID: sku.productID, code: sku.code, in: db).required("sku", sku.code)
        }
    }

    @discardableResult
    static func insert(_ sku: Sku, at now: Instant, in db: any SQLDatabase) async throws -> Bool {
        try await db.first("""
            INSERT INTO product_skus (id, product_id, code, attributes, price, stock, rule, position, created_at, updated_at)
            VALUES (\(bind: sku.id), \(bind: sku.productID), \(bind: sku.code), \(bind: try StoredJSON.encode(sku.attributes)), \(bind: sku.price),
                    \(bind: sku.stock), \(bind: try sku.rule.map(StoredJSON.encode)), \(bind: sku.position), \(bind: now.milliseconds), \(bind: now.milliseconds))
            ON CONFLICT DO NOTHING RETURNING id
            """) != nil
    }

    /// A change to a variant; nil leaves a field alone, `rule: .some(nil)` removes its own rule.
    public struct Changes: Sendable {
        public var price: Int64?
        public var stock: Int64?
        public var attributes: [String: String]?
        public var rule: CommissionRule??

        public init(price: Int64? = nil, stock: Int64? = nil, attributes: [String: String]? = nil, rule: CommissionRule?? = nil) {
            self.price = price
            self.stock = stock
            self.attributes = attributes
            self.rule = rule
        }
    }

    /// Applies `changes` in one statement; nil when the product has no such variant.
    public func update(productID: String, code: String, _ changes: Changes, at now: Instant) async throws -> Sku? {
        try await database.write { db in
            var assignments: [any SQLExpression] = [ProductRepository.assign("updated_at", now.milliseconds)]
            if let price = changes.price { assignments.append(ProductRepository.assign("price", price)) }
            if let stock = changes.stock { assignments.append(ProductRepository.assign("stock", stock)) }
            if let attributes = changes.attributes { assignments.append(ProductRepository.assign("attributes", try StoredJSON.encode(attributes))) }
            if let rule = changes.rule { assignments.append(ProductRepository.assign("rule", try rule.map(StoredJSON.encode))) }
            return try await db.first("""
                UPDATE product_skus SET \(SQLList(assignments)) WHERE product_id = \(bind: productID) AND code = \(bind: code)
                RETURNING \(unsafeRaw: Self.columns)
                """).map(Self.decode)
        }
    }

    public func find(productID: String, code: String) async throws -> Sku? {
        try await database.read { db in try await Self.find(productID: productID, code: code, in: db) }
    }

    static func find(productID: String, code: String, in db: any SQLDatabase) async throws -> Sku? {
        try await db.first("SELECT \(unsafeRaw: columns) FROM product_skus WHERE product_id = \(bind: productID) AND code = \(bind: code)").map(decode)
    }

    public func list(productID: String) async throws -> [Sku] {
        try await list(productIDs: [productID])[productID] ?? []
    }

    /// The variants of several products in one statement, by product, in their order.
    public func list(productIDs: [String]) async throws -> [String: [Sku]] {
        guard !productIDs.isEmpty else { return [:] }
        return try await database.read { db in
            try await db.rows("""
                SELECT \(unsafeRaw: Self.columns) FROM product_skus WHERE product_id IN (\(SQLList(productIDs.map { SQLBind($0) })))
                ORDER BY product_id, position
                """).reduce(into: [String: [Sku]]()) { byProduct, row in
                let sku = try Self.decode(row)
                byProduct[sku.productID, default: []].append(sku)
            }
        }
    }

    static func decode(_ row: any SQLRow) throws -> Sku {
        Sku(id: try row.decode(column: "id", as: String.self), productID: try row.decode(column: "product_id", as: String.self),
            code: try row.decode(column: "code", as: String.self),
            attributes: try StoredJSON.decode([String: String].self, try row.decode(column: "attributes", as: String.self)),
            price: try row.decode(column: "price", as: Int64.self), stock: try row.decode(column: "stock", as: Int64.self),
            rule: try row.decode(column: "rule", as: String?.self).map { try StoredJSON.decode(CommissionRule.self, $0) },
            position: try row.decode(column: "position", as: Int64.self))
    }
}
