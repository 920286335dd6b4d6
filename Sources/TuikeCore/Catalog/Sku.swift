import Foundation

/// A variant of a physical product (规格): a colour and a size, say, with its own code, price and
/// stock, and optionally its own commission rule. Orders of such a product name the SKU they buy,
/// and its stock is taken in the statement that stores the order, so it never goes below zero.
public struct Sku: Equatable, Sendable {
    public let id: String
    public let productID: String
    /// The merchant's code, unique within the product; orders name it.
    public var code: String
    /// Spec names to values, such as 颜色: 白, 尺码: L.
    public var attributes: [String: String]
    public var price: Int64
    public var stock: Int64
    /// Overrides the product's rule for this variant (a campaign rule still comes first).
    public var rule: CommissionRule?
    public let position: Int64

    public init(id: String, productID: String, code: String, attributes: [String: String], price: Int64, stock: Int64,
                rule: CommissionRule? = nil, position: Int64 = 0) {
        self.id = id
        self.productID = productID
        self.code = code
        self.attributes = attributes
        self.price = price
        self.stock = stock
        self.rule = rule
        self.position = position
    }

    public static let maxPerProduct = 200
    public static let maxAttributes = 10
    public static let maxCodeLength = 64
    public static let maxAttributeLength = 50

    /// The attributes as one label, in name order: `尺码: L / 颜色: 白`.
    public var label: String {
        attributes.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: " / ")
    }

    /// A code is letters, digits, `-`, `_` and `.`, so it survives CSV files and URLs unquoted.
    public static func validate(code: String) throws(TuikeError) {
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
        guard (1...maxCodeLength).contains(code.count), code.allSatisfy(allowed.contains) else {
            throw .validation("sku code \(code.prefix(maxCodeLength)) must be 1 to \(maxCodeLength) letters, digits, - _ or .")
        }
    }

    public static func validate(attributes: [String: String]) throws(TuikeError) {
        if attributes.count > maxAttributes { throw .validation("a sku has at most \(maxAttributes) attributes") }
        for (name, value) in attributes {
            for (text, what) in [(name, "attribute name"), (value, "attribute value")] {
                let trimmed = text.trimmingCharacters(in: .whitespaces)
                if trimmed.isEmpty || text.count > maxAttributeLength {
                    throw .validation("\(what) must be 1 to \(maxAttributeLength) characters")
                }
                try PlainText.check(text, field: what)
            }
        }
    }

    /// Checks one variant's fields; `validate(_:)` checks a product's list as a whole.
    public func validate() throws(TuikeError) {
        try Self.validate(code: code)
        try Self.validate(attributes: attributes)
        try Product.validate(price: price)
        guard (0...Product.maxStock).contains(stock) else { throw .validation("sku stock must be between 0 and \(Product.maxStock)") }
    }

    /// A product's variants: at most `maxPerProduct`, codes unique, and no two with the same attributes.
    public static func validate(_ skus: [Sku]) throws(TuikeError) {
        if skus.count > maxPerProduct { throw .validation("a product has at most \(maxPerProduct) skus") }
        var codes = Set<String>()
        var combinations = Set<[String: String]>()
        for sku in skus {
            try sku.validate()
            if !codes.insert(sku.code).inserted { throw .validation("sku code \(sku.code) appears twice") }
            if !sku.attributes.isEmpty, !combinations.insert(sku.attributes).inserted {
                throw .validation("two skus have the attributes \(sku.label)")
            }
        }
    }
}
