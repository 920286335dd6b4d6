/// A commission as listed to admins and promoters; `amount` is what is left after reversals.
public struct Commission: Sendable, Equatable {
    /// `pending` (frozen) → `settled` by a settlement → `withdrawn` by a paid withdrawal; a refund
    /// reverses an unsettled one in full (`reversed`), and claws a settled one back without moving
    /// it. `held` and `rejected` are kept for risk review: a held commission is released to
    /// `pending` or rejected.
    public enum Status: String, Codable, Sendable, CaseIterable, StatusMachine {
        case pending, held, settled, withdrawn, reversed, rejected

        public var next: Set<Status> {
            switch self {
            case .pending: [.settled, .reversed, .held]
            case .held: [.pending, .rejected, .reversed]
            case .settled: [.withdrawn]
            case .withdrawn, .reversed, .rejected: []
            }
        }

        /// Counts toward what a promoter earned (and toward a tier ladder).
        public var counts: Bool { self != .reversed && self != .rejected }
    }
    public let id: String
    public let orderID: String
    public let promoterID: String
    public let level: Int64
    public let amount: Int64
    public let earned: Int64
    public let reversed: Int64
    public let status: Status
    public let ruleSource: String
    public let basis: String
    public let eligibleAt: Instant
    public let createdAt: Instant
    /// `order`, or `tier_adjustment` for a retroactive ladder booked at month close.
    public let kind: String
    public let settlementID: String?

    public init(id: String, orderID: String, promoterID: String, level: Int64, amount: Int64, earned: Int64, reversed: Int64, status: Status, ruleSource: String, basis: String, eligibleAt: Instant, createdAt: Instant, kind: String, settlementID: String?) {
        self.id = id
        self.orderID = orderID
        self.promoterID = promoterID
        self.level = level
        self.amount = amount
        self.earned = earned
        self.reversed = reversed
        self.status = status
        self.ruleSource = ruleSource
        self.basis = basis
        self.eligibleAt = eligibleAt
        self.createdAt = createdAt
        self.kind = kind
        self.settlementID = settlementID
    }
}
