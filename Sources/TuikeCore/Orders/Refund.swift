public struct Refund: Sendable, Equatable {
    public let id: String
    public let orderID: String
    public let refundID: String?
    public let amount: Int64
    public let reason: String?
    public let createdAt: Instant

    public init(id: String, orderID: String, refundID: String?, amount: Int64, reason: String?, createdAt: Instant) {
        self.id = id
        self.orderID = orderID
        self.refundID = refundID
        self.amount = amount
        self.reason = reason
        self.createdAt = createdAt
    }
}
