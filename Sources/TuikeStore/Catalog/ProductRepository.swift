import SQLKit
import TuikeCore

/// Products. Every change is one statement; `update` returns the row it wrote.
public struct ProductRepository: Sendable {
    let database: any Database

    public init(database: any Database) { self.database = database }

    static let columns = "id, title, description, kind, price, currency, stock, status, created_at, updated_at"

    public func create(_ product: Product) async throws {
        try await database.write { db in
            try await Self.insert(product, into: db)
        }
    }

    static func insert(_ product: Product, into db: any SQLDatabase) async throws {
        try await db.execute("""
            INSERT INTO products (id, title, description, kind, price, currency, stock, status, created_at, updated_at)
            VALUES (\(bind: product.id), \(bind: product.title), \(bind: product.description), \(bind: product.kind.rawValue),
                    \(bind: product.price), \(bind: product.currency), \(bind: product.stock), \(bind: product.status.rawValue),
                    \(bind: product.createdAt.milliseconds), \(bind: product.updatedAt.milliseconds))
            """)
    }

    public func find(_ id: String) async throws -> Product? {
        try await database.read { db in
            try await db.first("SELECT \(unsafeRaw: Self.columns) FROM products WHERE id = \(bind: id)").map(Self.decode)
        }
    }

    /// The product with its own commission rule, if it has one, in one read (order placement).
    public func findWithRule(_ id: String) async throws -> (product: Product, rule: CommissionRule?)? {
        try await database.read { db in
            guard let row = try await db.first("""
                SELECT \(unsafeRaw: Self.prefixedColumns), r.body AS rule_body
                FROM products p LEFT JOIN product_rules r ON r.product_id = p.id WHERE p.id = \(bind: id)
                """) else { return nil }
            return (try Self.decode(row), try row.decode(column: "rule_body", as: String?.self).map(StoredJSON.rules.decode))
        }
    }

    static let prefixedColumns = columns.split(separator: ", ").map { "p.\($0)" }.joined(separator: ", ")

    /// Newest first. `before` is the last id of the previous page.
    public func list(status: Product.Status?, limit: Int, before: String?) async throws -> [Product] {
        try await database.read { db in
            let condition = SQLQueryString.all([status.map { "status = \(bind: $0.rawValue)" }, before.map { "id < \(bind: $0)" }])
            return try await db.rows("""
                SELECT \(unsafeRaw: Self.columns) FROM products
                WHERE \(condition)
                ORDER BY id DESC LIMIT \(bind: limit)
                """).map(Self.decode)
        }
    }

    public func count() async throws -> Int64 {
        try await database.read { db in
            try await db.one("SELECT COUNT(*) AS n FROM products").decode(column: "n", as: Int64.self)
        }
    }

    /// Applies `changes` in one statement and returns the product as stored, or nil if there is none.
    public func update(_ id: String, _ changes: ProductChanges, at now: Instant) async throws -> Product? {
        try await database.write { db in
            var assignments: [any SQLExpression] = [Self.assign("updated_at", now.milliseconds)]
            if let title = changes.title { assignments.append(Self.assign("title", title)) }
            if let description = changes.description { assignments.append(Self.assign("description", description)) }
            if let kind = changes.kind { assignments.append(Self.assign("kind", kind.rawValue)) }
            if let price = changes.price { assignments.append(Self.assign("price", price)) }
            if let stock = changes.stock { assignments.append(Self.assign("stock", stock)) }
            if let status = changes.status { assignments.append(Self.assign("status", status.rawValue)) }
            let setList = SQLList(assignments)
            return try await db.first("""
                UPDATE products SET \(setList) WHERE id = \(bind: id) RETURNING \(unsafeRaw: Self.columns)
                """).map(Self.decode)
        }
    }

    static func assign(_ column: String, _ value: some Encodable & Sendable) -> any SQLExpression {
        SQLBinaryExpression(SQLIdentifier(column), .equal, SQLBind(value))
    }

    static func decode(_ row: any SQLRow) throws -> Product {
        Product(
            id: try row.decode(column: "id", as: String.self),
            title: try row.decode(column: "title", as: String.self),
            description: try row.decode(column: "description", as: String.self),
            kind: try row.decodeEnum(column: "kind", as: Product.Kind.self),
            price: try row.decode(column: "price", as: Int64.self),
            currency: try row.decode(column: "currency", as: String.self),
            stock: try row.decode(column: "stock", as: Int64?.self),
            status: try row.decodeEnum(column: "status", as: Product.Status.self),
            createdAt: try row.decodeInstant(column: "created_at"),
            updatedAt: try row.decodeInstant(column: "updated_at")
        )
    }
}
