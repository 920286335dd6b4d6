import TuikeCore

/// An after-sale as the API shows it.
struct AfterSaleView: Encodable, Sendable {
    let id: String
    let orderId: String
    let itemId: String
    let buyerId: String
    let type: String
    let status: String
    let amount: Int64
    let quantity: Int64
    let reason: String
    let photos: [String]
    @ExplicitNull var answer: String?
    @ExplicitNull var returnCarrier: String?
    @ExplicitNull var returnTrackingNumber: String?
    let createdAt: Instant
    let updatedAt: Instant

    init(_ afterSale: AfterSale) {
        id = afterSale.id
        orderId = afterSale.orderID
        itemId = afterSale.itemID
        buyerId = afterSale.buyerID
        type = afterSale.kind.rawValue
        status = afterSale.status.rawValue
        amount = afterSale.amount
        quantity = afterSale.quantity
        reason = afterSale.reason
        photos = afterSale.photos
        answer = afterSale.answer
        returnCarrier = afterSale.returnCarrier
        returnTrackingNumber = afterSale.returnTrackingNumber
        createdAt = afterSale.createdAt
        updatedAt = afterSale.updatedAt
    }

    static let schema = Schemas.object([
        ("id", Schemas.string), ("order_id", Schemas.string), ("item_id", Schemas.string), ("buyer_id", Schemas.string),
        ("type", Schemas.enumeration(AfterSale.Kind.allCases.map(\.rawValue))), ("status", Schemas.enumeration(AfterSale.Status.allCases.map(\.rawValue))),
        ("amount", Schemas.integer), ("quantity", Schemas.integer), ("reason", Schemas.string), ("photos", Schemas.array(Schemas.string)),
        ("answer", Schemas.nullable(Schemas.string)), ("return_carrier", Schemas.nullable(Schemas.string)),
        ("return_tracking_number", Schemas.nullable(Schemas.string)), ("created_at", Schemas.time), ("updated_at", Schemas.time),
    ])
}

extension AfterSaleView: JSONWritable {
    func writeJSON(to json: inout JSONWriter) {
        json.object { json in
            json.field("amount", amount)
            json.field("answer", answer)
            json.field("buyer_id", buyerId)
            json.field("created_at", createdAt)
            json.field("id", id)
            json.field("item_id", itemId)
            json.field("order_id", orderId)
            json.field("photos", photos)
            json.field("quantity", quantity)
            json.field("reason", reason)
            json.field("return_carrier", returnCarrier)
            json.field("return_tracking_number", returnTrackingNumber)
            json.field("status", status)
            json.field("type", type)
            json.field("updated_at", updatedAt)
        }
    }
}
