public struct GroupMember: Sendable, Equatable {
    /// A slot is `reserved` until paid, or `released` when its payment times out; a payment that
    /// finds its slot released takes one again if the group has room (`paid`), else it is
    /// refunded. Members of a failed group are refunded (`refunding` until the provider agreed).
    public enum Status: String, Codable, Sendable, CaseIterable, StatusMachine {
        case reserved, paid, released, refunding, refunded

        public var next: Set<Status> {
            switch self {
            // A reservation paid after its group finished is refunded.
            case .reserved: [.paid, .released, .refunding]
            case .released: [.paid, .refunding]
            case .paid: [.refunding]
            case .refunding: [.refunded]
            case .refunded: []
            }
        }
    }

    /// The leader opened the group (and may pay the leader price); members joined it.
    public enum Role: String, Codable, Sendable, CaseIterable { case leader, member }
    public let id: String
    public let groupID: String
    public let buyerID: String
    public let orderID: String
    public let role: Role
    public let status: Status
    public let isNewBuyer: Bool
    public let refundError: String?
    public let createdAt: Instant
    public let paidAt: Instant?

    public init(id: String, groupID: String, buyerID: String, orderID: String, role: Role, status: Status, isNewBuyer: Bool, refundError: String?, createdAt: Instant, paidAt: Instant?) {
        self.id = id
        self.groupID = groupID
        self.buyerID = buyerID
        self.orderID = orderID
        self.role = role
        self.status = status
        self.isNewBuyer = isNewBuyer
        self.refundError = refundError
        self.createdAt = createdAt
        self.paidAt = paidAt
    }

    /// What a payment does for the slot of the member it pays.
    public enum PaymentAction: Sendable, Equatable {
        /// The leader's reservation: the group starts forming, its countdown starts.
        case openGroup
        /// A member's live reservation becomes a paid slot, if the group is still forming.
        case payReservation
        /// A member whose reservation lapsed takes a slot again, if the group still has room.
        case retakeSlot
        /// Nothing to take (a lapsed leader, a slot paid or refunded already): refund the payment.
        case refund
    }

    public static func paymentAction(status: Status, role: Role) -> PaymentAction {
        switch (status, role) {
        case (.reserved, .leader): .openGroup
        case (.reserved, .member): .payReservation
        case (.released, .member): .retakeSlot
        default: .refund
        }
    }
}
