import Foundation
import Hummingbird
import TuikeCore
import TuikeStore

/// A product as the API shows it.
struct ProductView: Encodable, Sendable {
    let id: String
    let title: String
    let description: String
    let kind: String
    let price: Int64
    let currency: String
    @ExplicitNull var stock: Int64?
    let status: String
    let createdAt: Instant
    let updatedAt: Instant

    init(_ product: Product) {
        id = product.id
        title = product.title
        description = product.description
        kind = product.kind.rawValue
        price = product.price
        currency = product.currency
        stock = product.stock
        status = product.status.rawValue
        createdAt = product.createdAt
        updatedAt = product.updatedAt
    }
}
