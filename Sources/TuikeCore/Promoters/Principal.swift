/// Who is calling. Admins see everything; a promoter sees only its own resources.
public enum Principal: Sendable, Equatable {
    case admin(tokenID: String)
    case promoter(promoterID: String, tokenID: String)
    /// A storefront buyer signed in by phone: only the buyer's own orders, after-sales and address book.
    case buyer(buyerID: String, tokenID: String)

    /// The namespace for idempotency keys: two callers may use the same key independently.
    public var idempotencyScope: String {
        switch self {
        case .admin: "admin"
        case .promoter(let promoterID, _): "promoter:\(promoterID)"
        case .buyer(let buyerID, _): "buyer:\(buyerID)"
        }
    }

    public var isAdmin: Bool {
        if case .admin = self { true } else { false }
    }
}
