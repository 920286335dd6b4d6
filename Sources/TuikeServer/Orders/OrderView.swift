import TuikeCore
import TuikeStore

/// An order as the API shows it (docs/api.md: `items`, `payments`, `refunds`, `promoter_id`, `flags`).
struct OrderView: Encodable, Sendable {
    struct Item: Encodable, Sendable {
        let id: String
        let productId: String
        let title: String
        let unitPrice: Int64
        let quantity: Int64
        let discount: Int64
        let paid: Int64
        let refunded: Int64
        let ruleSource: String
        let kind: String
        @ExplicitNull var sku: String?
    }

    struct ShipmentView: Encodable, Sendable {
        let carrier: String
        let trackingNumber: String
        let createdAt: Instant
        static let schema = Schemas.object([("carrier", Schemas.string), ("tracking_number", Schemas.string), ("created_at", Schemas.time)])
    }

    struct Payment: Encodable, Sendable { let paymentId: String; let provider: String; let amount: Int64; let createdAt: Instant }

    struct Refund: Encodable, Sendable {
        let id: String
        let orderId: String
        @ExplicitNull var refundId: String?
        let amount: Int64
        @ExplicitNull var reason: String?
        let createdAt: Instant

        init(_ record: TuikeCore.Refund) {
            id = record.id
            orderId = record.orderID
            refundId = record.refundID
            amount = record.amount
            reason = record.reason
            createdAt = record.createdAt
        }

        static let schema = Schemas.object([
            ("id", Schemas.string), ("order_id", Schemas.string), ("refund_id", Schemas.nullable(Schemas.string)),
            ("amount", Schemas.integer), ("reason", Schemas.nullable(Schemas.string)), ("created_at", Schemas.time),
        ])
    }

    struct AttributionView: Encodable, Sendable {
        let rule: String
        let levelOne: [String]
        @ExplicitNull var levelTwo: String?
        @ExplicitNull var levelThree: String?
        @ExplicitNull var clickId: String?
    }

    let id: String
    let status: String
    let buyerId: String
    @ExplicitNull var externalId: String?
    let currency: String
    let amount: Int64
    let discount: Int64
    let refunded: Int64
    @ExplicitNull var promoterId: String?
    let attribution: AttributionView
    let flags: [String]
    let items: [Item]
    let payments: [Payment]
    let refunds: [Refund]
    let createdAt: Instant
    @ExplicitNull var paidAt: Instant?
    @ExplicitNull var groupId: String?
    @ExplicitNull var fulfilmentStatus: String?
    @ExplicitNull var shippingAddress: ShippingAddress?
    let shipments: [ShipmentView]
    @ExplicitNull var receivedAt: Instant?
    /// Only in the buyer's own list of orders (absent elsewhere: `GET /api/v1/after-sales`).
    var afterSales: [AfterSaleView]?

    /// `forBuyer`: the buyer's own view, without who brought the order or which rule paid them.
    init(_ order: Order, payments: [OrderRepository.Payment], refunds: [TuikeCore.Refund], shipments: [Shipment] = [], forBuyer: Bool = false) {
        id = order.id
        status = order.status.rawValue
        buyerId = order.buyerID
        externalId = order.externalID
        currency = order.currency
        amount = order.amount
        discount = order.discount
        refunded = order.refunded
        promoterId = forBuyer ? nil : order.promoterID
        attribution = forBuyer ? AttributionView(rule: Attribution.Rule.none.rawValue, levelOne: [], levelTwo: nil, levelThree: nil, clickId: nil)
            : AttributionView(rule: order.attributionRule.rawValue, levelOne: order.levelOne, levelTwo: order.levelTwo,
                              levelThree: order.levelThree, clickId: order.attributionClickID)
        flags = forBuyer ? [] : order.flags
        items = order.items.map {
            Item(id: $0.id, productId: $0.productID, title: $0.title, unitPrice: $0.unitPrice, quantity: $0.quantity, discount: $0.discount, paid: $0.paid,
                 refunded: $0.refunded, ruleSource: forBuyer ? "" : $0.ruleSource, kind: $0.kind.rawValue, sku: $0.sku)
        }
        fulfilmentStatus = order.fulfilment?.rawValue
        shippingAddress = order.shippingAddress
        self.shipments = shipments.map { ShipmentView(carrier: $0.carrier, trackingNumber: $0.trackingNumber, createdAt: $0.createdAt) }
        receivedAt = order.receivedAt
        self.payments = payments.map { Payment(paymentId: $0.paymentID, provider: $0.provider, amount: $0.amount, createdAt: $0.createdAt) }
        self.refunds = refunds.map(Refund.init)
        createdAt = order.createdAt
        paidAt = order.paidAt
        groupId = order.groupID
    }

    static let schema = Schemas.object([
        ("id", Schemas.string), ("status", Schemas.enumeration(Order.Status.allCases.map(\.rawValue))), ("buyer_id", Schemas.string),
        ("external_id", Schemas.nullable(Schemas.string)), ("currency", Schemas.string), ("amount", Schemas.money("What the buyer pays, in fen.")), ("discount", Schemas.money("Coupon discount.")),
        ("refunded", Schemas.money("Refunded so far.")), ("promoter_id", Schemas.nullable(Schemas.string)),
        ("attribution", Schemas.object([
            ("rule", Schemas.enumeration(["binding", "coupon", "first_click", "last_click", "linear", "none"])),
            ("level_one", Schemas.array(Schemas.string)), ("level_two", Schemas.nullable(Schemas.string)),
            ("level_three", Schemas.nullable(Schemas.string)), ("click_id", Schemas.nullable(Schemas.string)),
        ])),
        ("flags", Schemas.array(Schemas.enumeration(["self_referral"]))),
        ("items", Schemas.array(Schemas.object([
            ("id", Schemas.string), ("product_id", Schemas.string), ("title", Schemas.string), ("unit_price", Schemas.integer),
            ("quantity", Schemas.integer), ("discount", Schemas.integer), ("paid", Schemas.integer), ("refunded", Schemas.integer), ("rule_source", Schemas.string),
            ("kind", Schemas.enumeration(Product.Kind.allCases.map(\.rawValue))), ("sku", Schemas.nullable(Schemas.string)),
        ]))),
        ("payments", Schemas.array(Schemas.object([("payment_id", Schemas.string), ("provider", Schemas.string), ("amount", Schemas.integer), ("created_at", Schemas.time)]))),
        ("refunds", Schemas.array(Refund.schema)),
        ("created_at", Schemas.time), ("paid_at", Schemas.nullable(Schemas.time)),
        ("group_id", Schemas.nullable(Schemas.string)),
        ("fulfilment_status", Schemas.nullable(Schemas.enumeration(FulfilmentStatus.allCases.map(\.rawValue)))),
        ("shipping_address", Schemas.nullable(OrderView.addressSchema)),
        ("shipments", Schemas.array(ShipmentView.schema)),
        ("received_at", Schemas.nullable(Schemas.time)),
        ("after_sales", Schemas.array(Schemas.ref("AfterSale"), "Only in the buyer's own list of orders (GET /api/v1/buyer/orders).")),
    ])

    static let addressSchema = Schemas.object(ShippingAddress.fieldNames.map { ($0, $0 == "line" ? Schemas.text(1...ShippingAddress.maxLineLength) : Schemas.text(1...ShippingAddress.maxFieldLength)) },
                                             required: ShippingAddress.fieldNames)
}

struct CommissionView: Encodable, Sendable {
    let id: String
    let orderId: String
    let promoterId: String
    let level: Int64
    let amount: Int64
    let earned: Int64
    let reversed: Int64
    let status: String
    let ruleSource: String
    let basis: String
    let eligibleAt: Instant
    let createdAt: Instant
    let kind: String
    @ExplicitNull var settlementId: String?
    /// Why a held commission is held: its risk case's signal codes (never the evidence).
    var holdReasons: [String]?

    init(_ record: Commission, holdReasons: [String]? = nil) {
        self.holdReasons = holdReasons
        id = record.id
        orderId = record.orderID
        promoterId = record.promoterID
        level = record.level
        amount = record.amount
        earned = record.earned
        reversed = record.reversed
        status = record.status.rawValue
        ruleSource = record.ruleSource
        basis = record.basis
        eligibleAt = record.eligibleAt
        createdAt = record.createdAt
        kind = record.kind
        settlementId = record.settlementID
    }

    static let schema = Schemas.object([
        ("id", Schemas.string), ("order_id", Schemas.string), ("promoter_id", Schemas.string), ("level", Schemas.integer),
        ("amount", Schemas.money("What is left after reversals.")), ("earned", Schemas.integer), ("reversed", Schemas.integer),
        ("status", Schemas.enumeration(Commission.Status.allCases.map(\.rawValue))), ("rule_source", Schemas.string),
        ("basis", Schemas.string), ("eligible_at", Schemas.time), ("created_at", Schemas.time),
        ("kind", Schemas.enumeration(["order", "tier_adjustment"])), ("settlement_id", Schemas.nullable(Schemas.string)),
        ("hold_reasons", Schemas.array(Schemas.enumeration(RiskCode.allCases.map(\.rawValue)),
                                       "Only on a held commission: the codes of the risk signals that hold it.")),
    ])

    static let ruleSchema = Schemas.object([
        ("type", Schemas.enumeration(CommissionRule.Kind.allCases.map(\.rawValue))),
        ("levels", Schemas.array(ruleRateSchema, minItems: 1, maxItems: 3)),
        ("tiers", Schemas.array(Schemas.object([("from", Schemas.integer(in: 1...CommissionRule.maxTierFrom,
                                                                                 "The first tier starts from order 1; then increasing.")),
                                                ("rate", ruleRateSchema),
                                                ("type", Schemas.enumeration(CommissionRule.Kind.allCases.map(\.rawValue)))],
                                               required: ["from", "rate"]),
                                minItems: 1, maxItems: CommissionRule.maxTiers)),
        ("tier_mode", Schemas.enumeration(CommissionRule.TierMode.allCases.map(\.rawValue))),
        ("max_amount", Schemas.integer(in: 0...Money.maxAmount, "Cap per line per level, in fen.")),
    ], required: ["type", "levels"])

    /// A rate of a commission rule: bps for percent (at most 10000), fen per unit for fixed.
    static let ruleRateSchema = Schemas.integer(in: 0...Product.maxPrice, "bps for percent rules (at most 10000), fen per unit for fixed rules.")

    static let balanceSchema = Schemas.object([
        ("promoter_id", Schemas.string), ("pending", Schemas.integer), ("available", Schemas.integer),
        ("withdrawing", Schemas.integer), ("withdrawn", Schemas.integer),
    ])

    static let trialBalanceSchema = Schemas.object([
        ("balanced", Schemas.boolean), ("total", Schemas.integer),
        ("accounts", Schemas.array(Schemas.object([("account", Schemas.string), ("balance", Schemas.integer)]))),
    ])
}

extension OrderView: JSONWritable {
    func writeJSON(to json: inout JSONWriter) {
        json.object { json in
            if let afterSales {
                json.key("after_sales")
                json.array(afterSales) { afterSale, json in afterSale.writeJSON(to: &json) }
            }
            json.field("amount", amount)
            json.key("attribution")
            json.object { json in
                json.field("click_id", attribution.clickId)
                json.field("level_one", attribution.levelOne)
                json.field("level_three", attribution.levelThree)
                json.field("level_two", attribution.levelTwo)
                json.field("rule", attribution.rule)
            }
            json.field("buyer_id", buyerId)
            json.field("created_at", createdAt)
            json.field("currency", currency)
            json.field("discount", discount)
            json.field("external_id", externalId)
            json.field("flags", flags)
            json.field("fulfilment_status", fulfilmentStatus)
            json.field("group_id", groupId)
            json.field("id", id)
            json.key("items")
            json.array(items) { item, json in
                json.object { json in
                    json.field("discount", item.discount)
                    json.field("id", item.id)
                    json.field("kind", item.kind)
                    json.field("paid", item.paid)
                    json.field("product_id", item.productId)
                    json.field("quantity", item.quantity)
                    json.field("refunded", item.refunded)
                    json.field("rule_source", item.ruleSource)
                    json.field("sku", item.sku)
                    json.field("title", item.title)
                    json.field("unit_price", item.unitPrice)
                }
            }
            json.field("paid_at", paidAt)
            json.key("payments")
            json.array(payments) { payment, json in
                json.object { json in
                    json.field("amount", payment.amount)
                    json.field("created_at", payment.createdAt)
                    json.field("payment_id", payment.paymentId)
                    json.field("provider", payment.provider)
                }
            }
            json.field("promoter_id", promoterId)
            json.field("received_at", receivedAt)
            json.field("refunded", refunded)
            json.key("refunds")
            json.array(refunds) { refund, json in
                json.object { json in
                    json.field("amount", refund.amount)
                    json.field("created_at", refund.createdAt)
                    json.field("id", refund.id)
                    json.field("order_id", refund.orderId)
                    json.field("reason", refund.reason)
                    json.field("refund_id", refund.refundId)
                }
            }
            json.key("shipments")
            json.array(shipments) { shipment, json in
                json.object { json in
                    json.field("carrier", shipment.carrier)
                    json.field("created_at", shipment.createdAt)
                    json.field("tracking_number", shipment.trackingNumber)
                }
            }
            json.key("shipping_address")
            if let address = shippingAddress {
                json.object { json in
                    json.field("city", address.city)
                    json.field("district", address.district)
                    json.field("line", address.line)
                    json.field("name", address.name)
                    json.field("phone", address.phone)
                    json.field("province", address.province)
                }
            } else {
                json.value(nil as String?)
            }
            json.field("status", status)
        }
    }
}
