import Foundation

/// A thing a merchant sells. Prices are fen; `stock == nil` means unlimited.
public struct Product: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, Sendable, CaseIterable { case course, physical, service }
    public enum Status: String, Codable, Sendable, CaseIterable { case active, archived }

    public var id: String
    public var title: String
    public var description: String
    public var kind: Kind
    public var price: Int64
    public var currency: String
    public var stock: Int64?
    public var status: Status
    public var createdAt: Instant
    public var updatedAt: Instant

    public init(
        id: String, title: String, description: String = "", kind: Kind = .course, price: Int64,
        currency: String = "CNY", stock: Int64? = nil, status: Status = .active,
        createdAt: Instant, updatedAt: Instant
    ) {
        self.id = id
        self.title = title
        self.description = description
        self.kind = kind
        self.price = price
        self.currency = currency
        self.stock = stock
        self.status = status
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    public static let maxTitleLength = 200
    public static let maxDescriptionLength = 20_000
    /// 10,000,000.00 yuan: far above any course, low enough that no sum of lines can overflow.
    public static let maxPrice: Int64 = 1_000_000_000
    public static let maxStock: Int64 = 1_000_000_000

    public static func validate(title: String) throws(TuikeError) {
        let trimmed = title.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { throw .validation("title must not be empty") }
        if title.count > maxTitleLength { throw .validation("title is longer than \(maxTitleLength) characters") }
        try PlainText.check(title, field: "title")
    }

    public static func validate(description: String) throws(TuikeError) {
        if description.count > maxDescriptionLength {
            throw .validation("description is longer than \(maxDescriptionLength) characters")
        }
        try PlainText.check(description, field: "description", multiline: true)
    }

    public static func validate(price: Int64) throws(TuikeError) {
        if !(0...maxPrice).contains(price) { throw .validation("price must be between 0 and \(maxPrice) fen") }
    }

    public static func validate(stock: Int64?) throws(TuikeError) {
        if let stock, !(0...maxStock).contains(stock) { throw .validation("stock must be between 0 and \(maxStock)") }
    }
}

/// A change to a product; `nil` leaves a field alone. `stock` is doubly optional so that
/// `"stock": null` can make stock unlimited again.
public struct ProductChanges: Equatable, Sendable {
    public var title: String?
    public var description: String?
    public var kind: Product.Kind?
    public var price: Int64?
    public var stock: Int64??
    public var status: Product.Status?

    public init(title: String? = nil, description: String? = nil, kind: Product.Kind? = nil, price: Int64? = nil, stock: Int64?? = nil, status: Product.Status? = nil) {
        self.title = title
        self.description = description
        self.kind = kind
        self.price = price
        self.stock = stock
        self.status = status
    }

    public var isEmpty: Bool { self == ProductChanges() }

    public func validate() throws(TuikeError) {
        if let title { try Product.validate(title: title) }
        if let description { try Product.validate(description: description) }
        if let price { try Product.validate(price: price) }
        if let stock { try Product.validate(stock: stock) }
    }

    public func applied(to product: Product, at now: Instant) -> Product {
        var result = product
        if let title { result.title = title }
        if let description { result.description = description }
        if let kind { result.kind = kind }
        if let price { result.price = price }
        if let stock { result.stock = stock }
        if let status { result.status = status }
        result.updatedAt = now
        return result
    }
}
