/// Fulfilment of an order with physical lines (docs/rules.md §13): unfulfilled until a parcel
/// ships, shipped (more parcels may follow) until the buyer confirms receipt or
/// `auto_receive_days` pass after the last parcel, then received. Orders with only courses and
/// services have no fulfilment status.
public enum FulfilmentStatus: String, Codable, Sendable, CaseIterable, StatusMachine {
    case unfulfilled, shipped, received

    public var next: Set<FulfilmentStatus> {
        switch self {
        case .unfulfilled: [.shipped]
        case .shipped: [.shipped, .received]
        case .received: []
        }
    }
}

/// A parcel: the carrier's name and its tracking number.
public struct Shipment: Equatable, Sendable {
    public let id: String
    public let orderID: String
    public let carrier: String
    public let trackingNumber: String
    public let createdAt: Instant

    public init(id: String, orderID: String, carrier: String, trackingNumber: String, createdAt: Instant) {
        self.id = id
        self.orderID = orderID
        self.carrier = carrier
        self.trackingNumber = trackingNumber
        self.createdAt = createdAt
    }

    /// The most parcels one order may have.
    public static let maxPerOrder = 20

    /// A carrier is a short name (顺丰, SF, 中通…); a tracking number is letters, digits and dashes.
    public static func validate(carrier: String, trackingNumber: String) throws(TuikeError) {
        guard (1...40).contains(carrier.count), !carrier.allSatisfy(\.isWhitespace) else { throw .validation("carrier must be 1 to 40 characters") }
        try PlainText.check(carrier, field: "carrier")
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-")
        guard (4...40).contains(trackingNumber.count), trackingNumber.allSatisfy(allowed.contains) else {
            throw .validation("tracking_number must be 4 to 40 letters, digits or dashes")
        }
    }
}

/// When the commission on a physical line may be settled (docs/rules.md §5): `after_sale_days`
/// after the goods were received, and never earlier than `freeze_days` after payment. Until the
/// goods are received, or while an after-sale on the line is open, it waits (`awaiting`).
public enum GoodsFreeze {
    /// `eligible_at` of a commission waiting for receipt or an after-sale (9999-12-31).
    public static let awaiting = Instant(milliseconds: 253_402_300_799_000)

    public static func eligibleAt(paidAt: Instant, receivedAt: Instant?, settings: ProgramSettings) -> Instant {
        guard let receivedAt else { return awaiting }
        let afterFreeze = paidAt.adding(seconds: settings.freezeDays * 86_400)
        let afterSales = receivedAt.adding(seconds: settings.afterSaleDays * 86_400)
        return max(afterFreeze, afterSales)
    }

    /// When a shipped order counts as received if the buyer says nothing.
    public static func receiveBy(lastShipment: Instant, settings: ProgramSettings) -> Instant {
        lastShipment.adding(seconds: settings.autoReceiveDays * 86_400)
    }

    /// The end of the after-sale window of goods received at `receivedAt`.
    public static func afterSaleDeadline(receivedAt: Instant, settings: ProgramSettings) -> Instant {
        receivedAt.adding(seconds: settings.afterSaleDays * 86_400)
    }
}
