/// What happened, as the outbox records it and webhooks deliver it: each case is one event type
/// with its payload. The store records an event in the transaction that makes the change.
public enum DomainEvent: Sendable, Equatable {
    case orderCreated(orderID: String, buyerID: String, amount: Int64, promoterID: String?)
    case orderPaid(orderID: String, paymentID: String, provider: String, amount: Int64)
    case orderCancelled(orderID: String)
    case refundCreated(refundID: String, orderID: String, amount: Int64, orderStatus: Order.Status)
    /// `kind` is set for commissions that are not an order line's (a tier ladder's adjustment).
    case commissionCreated(commissionID: String, orderID: String, promoterID: String, level: Int64, amount: Int64, kind: String?)
    /// A refund took `amount` back from a commission: `reversed` before it settled, `clawedBack` after.
    case commissionReversed(commissionID: String, promoterID: String, amount: Int64, remaining: Int64, status: Commission.Status)
    case commissionClawedBack(commissionID: String, promoterID: String, amount: Int64, remaining: Int64, status: Commission.Status)
    case adjustmentCreated(adjustmentID: String, promoterID: String, amount: Int64, reason: String)
    case settlementCreated(settlementID: String, periodEnd: Instant, gross: Int64, tax: Int64, net: Int64, promoters: Int64, commissions: Int64)
    /// A withdrawal entered `status` (requested, approved, rejected, paid or failed).
    case withdrawal(WithdrawalStatus, withdrawalID: String, promoterID: String, amount: Int64)
    case appealCreated(appealID: String, commissionID: String, promoterID: String)
    case appealAnswered(appealID: String, promoterID: String, adjustment: Int64?)
    /// A change on a group's live stream, with the group's counts after it.
    case group(GroupEvent.Kind, groupID: String, seq: Int64, members: Int64, reserved: Int64, size: Int64, status: GroupStatus)
    /// A parcel of a physical order left the warehouse.
    case orderShipped(orderID: String, buyerID: String, carrier: String, trackingNumber: String)
    /// The buyer confirmed receipt, or `automatic` after `auto_receive_days`.
    case orderReceived(orderID: String, buyerID: String, automatic: Bool)
    /// An after-sale entered `status`.
    case afterSale(AfterSale.Status, afterSaleID: String, orderID: String, buyerID: String, amount: Int64)
    /// A risk case entered `status`: `open` (commissions held), `recorded` (shadow rules only),
    /// `released` or `rejected`; `codes` are its signals' codes.
    case riskCase(RiskCase.Status, caseID: String, promoterID: String, orderID: String?, codes: [String])

    /// A value in an event's payload.
    public enum Value: Encodable, Sendable, Equatable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
        case string(String), int(Int64), null

        public init(_ value: String?) { self = value.map(Value.string) ?? .null }
        public init(stringLiteral value: String) { self = .string(value) }
        public init(integerLiteral value: Int64) { self = .int(value) }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .string(let value): try container.encode(value)
            case .int(let value): try container.encode(value)
            case .null: try container.encodeNil()
            }
        }
    }

    /// Every type there is: webhook endpoints subscribe to these, and the event list filters by them.
    public static let types: [String] = [
        "order.created", "order.paid", "order.cancelled", "refund.created",
        "commission.created", "commission.reversed", "commission.clawed_back", "adjustment.created", "settlement.created",
        "withdrawal.requested", "withdrawal.approved", "withdrawal.rejected", "withdrawal.paid", "withdrawal.failed",
        "appeal.created", "appeal.answered", "order.shipped", "order.received",
    ] + GroupEvent.Kind.allCases.map { "group.\($0.rawValue)" } + AfterSale.Status.allCases.map { "after_sale.\($0.rawValue)" }
        + RiskCase.Status.allCases.map { "risk_case.\($0.rawValue)" }

    public var type: String {
        switch self {
        case .orderCreated: "order.created"
        case .orderPaid: "order.paid"
        case .orderCancelled: "order.cancelled"
        case .refundCreated: "refund.created"
        case .commissionCreated: "commission.created"
        case .commissionReversed: "commission.reversed"
        case .commissionClawedBack: "commission.clawed_back"
        case .adjustmentCreated: "adjustment.created"
        case .settlementCreated: "settlement.created"
        case .withdrawal(let status, _, _, _): "withdrawal.\(status.rawValue)"
        case .appealCreated: "appeal.created"
        case .appealAnswered: "appeal.answered"
        case .group(let kind, _, _, _, _, _, _): "group.\(kind.rawValue)"
        case .orderShipped: "order.shipped"
        case .orderReceived: "order.received"
        case .afterSale(let status, _, _, _, _): "after_sale.\(status.rawValue)"
        case .riskCase(let status, _, _, _, _): "risk_case.\(status.rawValue)"
        }
    }

    /// The id of what the event is about.
    public var subject: String {
        switch self {
        case .orderCreated(let id, _, _, _), .orderPaid(let id, _, _, _), .orderCancelled(let id): id
        case .refundCreated(let id, _, _, _): id
        case .commissionCreated(let id, _, _, _, _, _), .commissionReversed(let id, _, _, _, _), .commissionClawedBack(let id, _, _, _, _): id
        case .adjustmentCreated(let id, _, _, _): id
        case .settlementCreated(let id, _, _, _, _, _, _): id
        case .withdrawal(_, let id, _, _): id
        case .appealCreated(let id, _, _), .appealAnswered(let id, _, _): id
        case .group(_, let id, _, _, _, _, _): id
        case .orderShipped(let id, _, _, _), .orderReceived(let id, _, _): id
        case .afterSale(_, let id, _, _, _): id
        case .riskCase(_, let id, _, _, _): id
        }
    }

    public var payload: [String: Value] {
        switch self {
        case let .orderCreated(orderID, buyerID, amount, promoterID):
            ["order_id": .string(orderID), "buyer_id": .string(buyerID), "amount": .int(amount), "promoter_id": Value(promoterID)]
        case let .orderPaid(orderID, paymentID, provider, amount):
            ["order_id": .string(orderID), "payment_id": .string(paymentID), "provider": .string(provider), "amount": .int(amount)]
        case let .orderCancelled(orderID):
            ["order_id": .string(orderID)]
        case let .refundCreated(refundID, orderID, amount, orderStatus):
            ["refund_id": .string(refundID), "order_id": .string(orderID), "amount": .int(amount), "order_status": .string(orderStatus.rawValue)]
        case let .commissionCreated(commissionID, orderID, promoterID, level, amount, kind):
            ["commission_id": .string(commissionID), "order_id": .string(orderID), "promoter_id": .string(promoterID), "level": .int(level),
             "amount": .int(amount), "status": .string(Commission.Status.pending.rawValue)].merging(kind.map { ["kind": .string($0)] } ?? [:]) { $1 }
        case let .commissionReversed(commissionID, promoterID, amount, remaining, status),
             let .commissionClawedBack(commissionID, promoterID, amount, remaining, status):
            ["commission_id": .string(commissionID), "promoter_id": .string(promoterID), "amount": .int(amount), "remaining": .int(remaining),
             "status": .string(status.rawValue)]
        case let .adjustmentCreated(adjustmentID, promoterID, amount, reason):
            ["adjustment_id": .string(adjustmentID), "promoter_id": .string(promoterID), "amount": .int(amount), "reason": .string(reason)]
        case let .settlementCreated(settlementID, periodEnd, gross, tax, net, promoters, commissions):
            ["settlement_id": .string(settlementID), "period_end": .string(periodEnd.rfc3339), "gross": .int(gross), "tax": .int(tax),
             "net": .int(net), "promoters": .int(promoters), "commissions": .int(commissions)]
        case let .withdrawal(status, withdrawalID, promoterID, amount):
            ["withdrawal_id": .string(withdrawalID), "promoter_id": .string(promoterID), "amount": .int(amount), "status": .string(status.rawValue)]
        case let .appealCreated(appealID, commissionID, promoterID):
            ["appeal_id": .string(appealID), "commission_id": .string(commissionID), "promoter_id": .string(promoterID)]
        case let .appealAnswered(appealID, promoterID, adjustment):
            ["appeal_id": .string(appealID), "promoter_id": .string(promoterID), "adjustment": adjustment.map(Value.int) ?? .null]
        case let .group(_, groupID, seq, members, reserved, size, status):
            ["group_id": .string(groupID), "members": .int(members), "reserved": .int(reserved), "size": .int(size), "status": .string(status.rawValue),
             "seq": .int(seq)]
        case let .orderShipped(orderID, buyerID, carrier, trackingNumber):
            ["order_id": .string(orderID), "buyer_id": .string(buyerID), "carrier": .string(carrier), "tracking_number": .string(trackingNumber)]
        case let .orderReceived(orderID, buyerID, automatic):
            ["order_id": .string(orderID), "buyer_id": .string(buyerID), "automatic": .int(automatic ? 1 : 0)]
        case let .afterSale(status, afterSaleID, orderID, buyerID, amount):
            ["after_sale_id": .string(afterSaleID), "order_id": .string(orderID), "buyer_id": .string(buyerID), "amount": .int(amount),
             "status": .string(status.rawValue)]
        case let .riskCase(status, caseID, promoterID, orderID, codes):
            ["case_id": .string(caseID), "promoter_id": .string(promoterID), "order_id": Value(orderID), "codes": .string(codes.joined(separator: ",")),
             "status": .string(status.rawValue)]
        }
    }
}
