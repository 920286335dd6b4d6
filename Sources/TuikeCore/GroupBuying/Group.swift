public struct Group: Sendable, Equatable {
    public let id: String
    public let campaignID: String
    public let leaderBuyerID: String
    public let status: GroupStatus
    public let size: Int64
    public let paidMembers: Int64
    public let reserved: Int64
    public let expiresAt: Instant?
    public let createdAt: Instant
    public let finishedAt: Instant?

    public init(id: String, campaignID: String, leaderBuyerID: String, status: GroupStatus, size: Int64, paidMembers: Int64, reserved: Int64, expiresAt: Instant?, createdAt: Instant, finishedAt: Instant?) {
        self.id = id
        self.campaignID = campaignID
        self.leaderBuyerID = leaderBuyerID
        self.status = status
        self.size = size
        self.paidMembers = paidMembers
        self.reserved = reserved
        self.expiresAt = expiresAt
        self.createdAt = createdAt
        self.finishedAt = finishedAt
    }
}
