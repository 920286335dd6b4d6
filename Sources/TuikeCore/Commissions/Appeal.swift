public struct Appeal: Sendable, Equatable {
    /// An appeal is answered once.
    public enum Status: String, Codable, Sendable, CaseIterable, StatusMachine {
        case open, answered

        public var next: Set<Status> { self == .open ? [.answered] : [] }
    }
    public let id: String
    public let promoterID: String
    public let commissionID: String
    public let message: String
    public let status: Status
    public let answer: String?
    public let answeredBy: String?
    public let adjustmentID: String?
    public let createdAt: Instant
    public let answeredAt: Instant?

    public init(id: String, promoterID: String, commissionID: String, message: String, status: Status, answer: String?, answeredBy: String?, adjustmentID: String?, createdAt: Instant, answeredAt: Instant?) {
        self.id = id
        self.promoterID = promoterID
        self.commissionID = commissionID
        self.message = message
        self.status = status
        self.answer = answer
        self.answeredBy = answeredBy
        self.adjustmentID = adjustmentID
        self.createdAt = createdAt
        self.answeredAt = answeredAt
    }
}
