public struct Withdrawal: Sendable, Equatable {
    public let id: String
    public let promoterID: String
    public let amount: Int64
    public let fee: Int64
    public let channel: String
    public let account: String?
    public let status: WithdrawalStatus
    public let reason: String?
    public let provider: String?
    public let providerReference: String?
    public let requestedBy: String
    public let decidedBy: String?
    public let requestedAt: Instant
    public let decidedAt: Instant?
    public let completedAt: Instant?

    /// What reaches the promoter: the amount less the fee.
    public var payout: Int64 { Self.payout(amount: amount, fee: fee) }

    /// Also for sums (the fee is per withdrawal, so the payouts of many are their amounts less their fees).
    public static func payout(amount: Int64, fee: Int64) -> Int64 { amount - fee }

    public init(id: String, promoterID: String, amount: Int64, fee: Int64, channel: String, account: String?, status: WithdrawalStatus, reason: String?, provider: String?, providerReference: String?, requestedBy: String, decidedBy: String?, requestedAt: Instant, decidedAt: Instant?, completedAt: Instant?) {
        self.id = id
        self.promoterID = promoterID
        self.amount = amount
        self.fee = fee
        self.channel = channel
        self.account = account
        self.status = status
        self.reason = reason
        self.provider = provider
        self.providerReference = providerReference
        self.requestedBy = requestedBy
        self.decidedBy = decidedBy
        self.requestedAt = requestedAt
        self.decidedAt = decidedAt
        self.completedAt = completedAt
    }
}
