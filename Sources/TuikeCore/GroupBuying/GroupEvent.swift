public struct GroupEvent: Sendable, Equatable {
    /// What happened to the group: a slot reserved, released or paid (`joined`), the group's
    /// outcome, or the warning that it expires soon.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case reserved, joined, succeeded, failed, expiringSoon = "expiring_soon", released, cancelled
    }

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
