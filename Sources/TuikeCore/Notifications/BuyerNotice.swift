/// What a buyer is told when something happens to their order or group: one notice per event and
/// buyer, rendered for each channel the buyer has. Pure: the store finds the buyers concerned.
public struct BuyerNotice: Equatable, Sendable {
    /// The template a real provider maps to its approved one (WeChat template ids, SMS signatures).
    public let template: String
    public let parameters: [String: String]
    public let text: String
    /// Marketing-type messages (reminders) respect the buyer's opt-out; order news always goes.
    public let marketing: Bool

    public init(template: String, parameters: [String: String], text: String, marketing: Bool = false) {
        self.template = template
        self.parameters = parameters
        self.text = text
        self.marketing = marketing
    }

    /// The event types that produce notices. An after-sale's refund is told by its `refund.created`.
    public static let eventTypes = ["group.succeeded", "group.failed", "group.expiring_soon", "order.shipped", "refund.created",
                                    "after_sale.approved", "after_sale.refused"]

    /// Who is told about an event: the buyer named in its payload, the buyer of its order, or the
    /// group's members (paid ones; for a failure, those being refunded).
    public enum Audience: Equatable, Sendable {
        case buyer(String)
        case orderBuyer(orderID: String)
        case groupMembers(groupID: String, statuses: [String])
    }

    public static func audience(type: String, payload: [String: DomainEvent.Value]) -> Audience? {
        func text(_ key: String) -> String? { if case .string(let value)? = payload[key] { value } else { nil } }
        switch type {
        case "group.succeeded", "group.expiring_soon":
            return text("group_id").map { .groupMembers(groupID: $0, statuses: ["paid"]) }
        case "group.failed":
            return text("group_id").map { .groupMembers(groupID: $0, statuses: ["paid", "refunding", "refunded"]) }
        case "refund.created":
            return text("order_id").map { .orderBuyer(orderID: $0) }
        default:
            return text("buyer_id").map(Audience.buyer)
        }
    }

    /// The notice of an event, or nil for types that tell buyers nothing.
    public static func notice(type: String, payload: [String: DomainEvent.Value]) -> BuyerNotice? {
        func text(_ key: String) -> String { if case .string(let value)? = payload[key] { value } else { "" } }
        func number(_ key: String) -> Int64 { if case .int(let value)? = payload[key] { value } else { 0 } }
        switch type {
        case "group.succeeded":
            return BuyerNotice(template: "group_succeeded", parameters: ["group_id": text("group_id")], text: "【推客】拼团成功！你参加的团已满员，订单将尽快处理。")
        case "group.failed":
            return BuyerNotice(template: "group_failed", parameters: ["group_id": text("group_id")], text: "【推客】很遗憾，你参加的团未在时限内成团，货款将原路退回。")
        case "group.expiring_soon":
            let missing = max(number("size") - number("members"), 0)
            return BuyerNotice(template: "group_expiring", parameters: ["group_id": text("group_id"), "missing": String(missing)],
                               text: "【推客】你的团还差 \(missing) 人，快邀请好友一起拼吧。", marketing: true)
        case "order.shipped":
            return BuyerNotice(template: "order_shipped",
                               parameters: ["order_id": text("order_id"), "carrier": text("carrier"), "tracking_number": text("tracking_number")],
                               text: "【推客】你的订单已发货：\(text("carrier")) \(text("tracking_number"))。")
        case "refund.created":
            return BuyerNotice(template: "refund_paid", parameters: ["order_id": text("order_id"), "amount": Money.format(number("amount"))],
                               text: "【推客】退款 ¥\(Money.format(number("amount"))) 已原路退回，请留意到账。")
        case "after_sale.approved":
            return BuyerNotice(template: "after_sale_approved", parameters: ["after_sale_id": text("after_sale_id")],
                               text: "【推客】你的退货申请已同意，请寄回商品并填写快递单号。")
        case "after_sale.refused":
            return BuyerNotice(template: "after_sale_refused", parameters: ["after_sale_id": text("after_sale_id")],
                               text: "【推客】你的售后申请未通过，详情请在订单页查看。")
        default:
            return nil
        }
    }

    /// Seconds to wait before the n-th retry of a message a provider did not accept (1-based):
    /// 1, 5, 30 minutes, then 2 and 6 hours; after `maxAttempts` the message is `failed`.
    public static func retryDelay(attempt: Int64) -> Int64 {
        [60, 300, 1_800, 7_200, 21_600][Int(min(max(attempt, 1), 5)) - 1]
    }

    public static let maxAttempts: Int64 = 6
}
