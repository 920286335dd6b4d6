/// A buyer's request to have money back on one line of a physical order (售后): a refund only,
/// or a return and refund. The merchant approves or refuses it with a reason; a return is
/// shipped back and received before the refund is paid. One open after-sale per line.
public struct AfterSale: Equatable, Sendable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// 仅退款: money back, the goods stay (not shipped yet, lost, or not worth returning).
        case refund
        /// 退货退款: the goods come back first.
        case goodsReturn = "return"
    }

    public enum Status: String, Codable, Sendable, CaseIterable, StatusMachine {
        case requested, approved, returning, refunded, refused, cancelled

        /// A refund is claimed when it is approved and paid (`approved` → `refunded`); a return is
        /// approved, shipped back (`returning`) and refunded when the merchant has it. The buyer
        /// may withdraw a request until it is being paid or the goods are on their way back; the
        /// merchant may refuse until it is paid (a refund the provider would not take, say).
        public var next: Set<Status> {
            switch self {
            case .requested: [.approved, .refunded, .refused, .cancelled]
            case .approved: [.returning, .refunded, .refused, .cancelled]
            case .returning: [.refunded, .refused]
            case .refunded, .refused, .cancelled: []
            }
        }

        /// Still being handled: the line can have no other after-sale.
        public var isOpen: Bool { [.requested, .approved, .returning].contains(self) }
        public static let open: [Status] = allCases.filter(\.isOpen)
    }

    public let id: String
    public let orderID: String
    public let itemID: String
    public let buyerID: String
    public let kind: Kind
    public var status: Status
    /// Fen to refund, at most what is left to refund on the line.
    public let amount: Int64
    /// Units sent back (returns); restocked when the return is received.
    public let quantity: Int64
    public let reason: String
    public let photos: [String]
    /// The merchant's reason for refusing.
    public var answer: String?
    public var returnCarrier: String?
    public var returnTrackingNumber: String?
    public let createdAt: Instant
    public var updatedAt: Instant

    public init(id: String, orderID: String, itemID: String, buyerID: String, kind: Kind, status: Status, amount: Int64, quantity: Int64,
                reason: String, photos: [String], answer: String? = nil, returnCarrier: String? = nil, returnTrackingNumber: String? = nil,
                createdAt: Instant, updatedAt: Instant) {
        self.id = id
        self.orderID = orderID
        self.itemID = itemID
        self.buyerID = buyerID
        self.kind = kind
        self.status = status
        self.amount = amount
        self.quantity = quantity
        self.reason = reason
        self.photos = photos
        self.answer = answer
        self.returnCarrier = returnCarrier
        self.returnTrackingNumber = returnTrackingNumber
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    public static let maxReasonLength = 500
    public static let maxPhotos = 9

    /// What the store knows of the order when a request comes in.
    public struct Facts: Sendable {
        public let order: Order
        public let fulfilment: FulfilmentStatus?
        public let receivedAt: Instant?

        public init(order: Order, fulfilment: FulfilmentStatus?, receivedAt: Instant?) {
            self.order = order
            self.fulfilment = fulfilment
            self.receivedAt = receivedAt
        }
    }

    /// Why this request cannot be made now, or nil. The open-request limit and the amount are
    /// checked again by the statements that store and pay it, so concurrent requests agree.
    public static func refusal(kind: Kind, amount: Int64, quantity: Int64, item: Order.Item, facts: Facts, settings: ProgramSettings,
                               now: Instant) -> TuikeError? {
        let order = facts.order
        guard order.status.isRefundable else {
            return order.status == .refunded ? TuikeError(.conflict, code: "already_refunded", "order \(order.id) is refunded in full")
                : TuikeError(.conflict, code: "not_paid", "order \(order.id) is \(order.status.rawValue); after-sales are for paid orders")
        }
        guard item.kind == .physical else {
            return TuikeError(.conflict, code: "not_physical", "\(item.title) is not a physical good; refund it with POST /api/v1/orders/{id}/refunds")
        }
        guard amount > 0, amount <= item.refundable else {
            return .validation("amount must be between 1 and the \(item.refundable) fen left to refund on the line")
        }
        guard (1...item.quantity).contains(quantity) else { return .validation("quantity must be between 1 and \(item.quantity)") }
        if kind == .goodsReturn, facts.fulfilment == .unfulfilled || facts.fulfilment == nil {
            return TuikeError(.conflict, code: "not_shipped", "nothing was shipped yet; ask for a refund only")
        }
        if let receivedAt = facts.receivedAt {
            let deadline = GoodsFreeze.afterSaleDeadline(receivedAt: receivedAt, settings: settings)
            if now > deadline {
                return TuikeError(.conflict, code: "after_sale_window_closed",
                                  "the after-sale window closed at \(deadline.rfc3339), \(settings.afterSaleDays) days after receipt")
            }
        }
        return nil
    }

    /// Checks the buyer's words and photos (media ids).
    public static func validate(reason: String, photos: [String]) throws(TuikeError) {
        if reason.allSatisfy(\.isWhitespace) { throw .validation("reason must not be empty") }
        if reason.count > maxReasonLength { throw .validation("reason is longer than \(maxReasonLength) characters") }
        try PlainText.check(reason, field: "reason", multiline: true)
        if photos.count > maxPhotos { throw .validation("at most \(maxPhotos) photos") }
    }
}
