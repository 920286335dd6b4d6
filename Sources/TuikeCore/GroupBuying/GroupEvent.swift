public struct GroupEvent: Sendable, Equatable {
    public let groupID: String
    public let seq: Int64
    public let type: String
    public let members: Int64
    public let reserved: Int64
    public let size: Int64
    public let status: String
    public let createdAt: Instant

    public init(groupID: String, seq: Int64, type: String, members: Int64, reserved: Int64, size: Int64, status: String, createdAt: Instant) {
        self.groupID = groupID
        self.seq = seq
        self.type = type
        self.members = members
        self.reserved = reserved
        self.size = size
        self.status = status
        self.createdAt = createdAt
    }
}
