public struct Adjustment: Sendable, Equatable {
    public let id: String
    public let promoterID: String
    public let amount: Int64
    public let reason: String
    public let admin: String
    public let appealID: String?
    public let createdAt: Instant

    public init(id: String, promoterID: String, amount: Int64, reason: String, admin: String, appealID: String?, createdAt: Instant) {
        self.id = id
        self.promoterID = promoterID
        self.amount = amount
        self.reason = reason
        self.admin = admin
        self.appealID = appealID
        self.createdAt = createdAt
    }
}
