/// Group buying (拼团, docs/rules.md §9): a campaign sells a product at a group price to groups of
/// `groupSize` buyers who must all pay before `expiresAt`.
public struct GroupCampaign: Equatable, Sendable {
    public enum Status: String, Codable, Sendable, CaseIterable { case active, paused }

    public let id: String
    public var productID: String
    public var groupPrice: Int64
    /// The leader's price (团长价), if the leader pays less.
    public var leaderPrice: Int64?
    public var groupSize: Int64
    public var durationSeconds: Int64
    public var perUserLimit: Int64
    /// How many groups may be opened in all (stock of groups); nil for no limit.
    public var maxGroups: Int64?
    public var virtualSuccess: Bool
    public var paymentTimeoutSeconds: Int64
    /// How long before expiry the `expiring_soon` event goes out.
    public var expiringSoonSeconds: Int64
    public var startsAt: Instant
    public var endsAt: Instant
    public var status: Status
    public var groupsOpened: Int64

    public init(id: String, productID: String, groupPrice: Int64, leaderPrice: Int64? = nil, groupSize: Int64, durationSeconds: Int64 = 86_400,
                perUserLimit: Int64 = 1, maxGroups: Int64? = nil, virtualSuccess: Bool = false, paymentTimeoutSeconds: Int64 = 900,
                expiringSoonSeconds: Int64 = 3_600, startsAt: Instant, endsAt: Instant, status: Status = .active, groupsOpened: Int64 = 0) {
        self.id = id
        self.productID = productID
        self.groupPrice = groupPrice
        self.leaderPrice = leaderPrice
        self.groupSize = groupSize
        self.durationSeconds = durationSeconds
        self.perUserLimit = perUserLimit
        self.maxGroups = maxGroups
        self.virtualSuccess = virtualSuccess
        self.paymentTimeoutSeconds = paymentTimeoutSeconds
        self.expiringSoonSeconds = expiringSoonSeconds
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.status = status
        self.groupsOpened = groupsOpened
    }

    public static let sizes: ClosedRange<Int64> = 2...50
    public static let maxGroupsLimit: Int64 = 1_000_000
    public static let durations: ClosedRange<Int64> = 300...(30 * 86_400)
    public static let paymentTimeouts: ClosedRange<Int64> = 60...86_400
    public static let perUserLimits: ClosedRange<Int64> = 1...100

    /// Every problem at once, as 422 `validation_failed`. The group price must be below the list
    /// price (a group buy that costs more is nonsense) and the leader's price at most the group's.
    public func validate(listPrice: Int64) throws(TuikeError) {
        var problems: [String] = []
        if groupPrice < 0 || groupPrice >= listPrice { problems.append("group_price must be at least 0 and below the list price \(listPrice)") }
        if let leaderPrice, leaderPrice < 0 || leaderPrice > groupPrice { problems.append("leader_price must be between 0 and group_price") }
        if !Self.sizes.contains(groupSize) { problems.append("group_size must be between \(Self.sizes.lowerBound) and \(Self.sizes.upperBound)") }
        if !Self.durations.contains(durationSeconds) { problems.append("duration_seconds must be between 300 and \(Self.durations.upperBound)") }
        if !Self.perUserLimits.contains(perUserLimit) {
            problems.append("per_user_limit must be between \(Self.perUserLimits.lowerBound) and \(Self.perUserLimits.upperBound)")
        }
        if let maxGroups, !(1...Self.maxGroupsLimit).contains(maxGroups) { problems.append("max_groups must be between 1 and \(Self.maxGroupsLimit)") }
        if maxGroups.map({ $0 < groupsOpened }) == true { problems.append("max_groups is below the \(groupsOpened) groups opened already") }
        if !Self.paymentTimeouts.contains(paymentTimeoutSeconds) { problems.append("payment_timeout_seconds must be between 60 and 86400") }
        if expiringSoonSeconds < 60 || expiringSoonSeconds >= durationSeconds {
            problems.append("expiring_soon_seconds must be at least 60 and below duration_seconds")
        }
        if endsAt <= startsAt { problems.append("ends_at must be after starts_at") }
        if !problems.isEmpty { throw .validation(problems.joined(separator: "; ")) }
    }

    /// What a buyer pays for the slot.
    public func price(leader: Bool) -> Int64 { leader ? (leaderPrice ?? groupPrice) : groupPrice }
}

/// A group's life: `pending` (the leader has not paid) → `forming` → `succeeded` | `failed`;
/// `pending` → `cancelled` when the leader's payment times out.
public enum GroupStatus: String, Codable, Sendable, CaseIterable, StatusMachine {
    case pending, forming, succeeded, failed, cancelled

    public var next: Set<GroupStatus> {
        switch self {
        case .pending: [.forming, .cancelled]
        case .forming: [.succeeded, .failed]
        case .succeeded, .failed, .cancelled: []
        }
    }

    public var isFinished: Bool { isFinal }

    /// What happens at `expires_at` to a group still forming (docs/rules.md §9).
    public static func atExpiry(paidMembers: Int64, size: Int64, virtualSuccess: Bool) -> GroupStatus {
        if paidMembers >= size { return .succeeded }
        return virtualSuccess && paidMembers >= 1 ? .succeeded : .failed
    }
}

/// How a group campaign did (metrics).
public struct GroupCampaignMetrics: Equatable, Sendable {
    public let groupsOpened: Int64
    public let succeeded: Int64
    public let failed: Int64
    public let paidOrders: Int64
    public let paidAmount: Int64
    public let newBuyers: Int64
    public let refunds: Int64
    public let refundedAmount: Int64

    public init(groupsOpened: Int64, succeeded: Int64, failed: Int64, paidOrders: Int64, paidAmount: Int64, newBuyers: Int64, refunds: Int64,
                refundedAmount: Int64) {
        self.groupsOpened = groupsOpened
        self.succeeded = succeeded
        self.failed = failed
        self.paidOrders = paidOrders
        self.paidAmount = paidAmount
        self.newBuyers = newBuyers
        self.refunds = refunds
        self.refundedAmount = refundedAmount
    }

    /// Succeeded among finished groups, in bps.
    public var successRateBps: Int64 {
        succeeded + failed == 0 ? 0 : Money.share(10_000, part: succeeded, whole: succeeded + failed)
    }

    public var averageOrderValue: Int64 { paidOrders == 0 ? 0 : Money.share(paidAmount, part: 1, whole: paidOrders) }

    /// New buyers per group opened, in bps (10000 = one new buyer per group).
    public var viralCoefficientBps: Int64 { groupsOpened == 0 ? 0 : Money.share(10_000, part: newBuyers, whole: groupsOpened) }
}
