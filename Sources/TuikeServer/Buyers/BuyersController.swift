import Foundation
import Hummingbird
import TuikeCore
import TuikeStore

/// Buyer accounts over the API: a one-time code by SMS, sign-in to a session token, the buyer's
/// profile and address book, orders and courses. The storefront's pages use the same repository.
struct BuyersController {
    let buyers: BuyerRepository
    let orders: OrderRepository
    let fulfilment: FulfilmentRepository
    let afterSales: AfterSaleRepository
    let messaging: Messaging
    let clock: any TuikeClock

    func addRoutes(to api: APIRoutes) {
        api.add(.post, "/api/v1/buyer/sms-codes", summary: "Send a sign-in code by SMS", tag: "Buyers", access: .publicAccess,
                request: Schemas.object([("phone", Schemas.text(5...20, "A mainland mobile number (+86 optional) or +<country><number>."))], required: ["phone"]),
                responses: [(202, "Sent. In sandbox mode `sandbox_code` shows the code.", Self.codeSentSchema)], handler: sendCode)
        api.add(.post, "/api/v1/buyer/sessions", summary: "Sign in with the phone and its code", tag: "Buyers", access: .publicAccess,
                request: Schemas.object([("phone", Schemas.text(5...20)), ("code", Schemas.text(6...6))], required: ["phone", "code"]),
                responses: [(201, "The session token (30 days) and the buyer.", Self.sessionSchema)], handler: signIn)
        api.add(.delete, "/api/v1/buyer/sessions", summary: "Sign out (revokes the token sent)", tag: "Buyers", access: .buyer,
                responses: [(204, "Signed out.", nil)], handler: signOut)
        api.add(.get, "/api/v1/buyer/me", summary: "The signed-in buyer", tag: "Buyers", access: .buyer,
                responses: [(200, "The buyer.", Schemas.ref("Buyer"))], handler: me)
        api.add(.patch, "/api/v1/buyer/me", summary: "Change the buyer's preferences", tag: "Buyers", access: .buyer,
                request: Self.preferencesSchema, responses: [(200, "The buyer.", Schemas.ref("Buyer"))], handler: preferences)
        api.add(.get, "/api/v1/buyer/addresses", summary: "The buyer's address book", tag: "Buyers", access: .buyer,
                responses: [(200, "Addresses, the default first.", Schemas.object([("data", Schemas.array(Self.savedAddressSchema))]))], handler: addresses)
        api.add(.post, "/api/v1/buyer/addresses", summary: "Add an address", tag: "Buyers", access: .buyer,
                request: Self.addressInputSchema, responses: [(201, "The address.", Self.savedAddressSchema)], handler: addAddress)
        api.add(.delete, "/api/v1/buyer/addresses/{id}", summary: "Remove an address", tag: "Buyers", access: .buyer,
                responses: [(204, "Removed.", nil)], handler: removeAddress)
        api.add(.get, "/api/v1/buyer/orders", summary: "The buyer's orders, newest first, with their parcels and after-sales", tag: "Buyers", access: .buyer,
                responses: [(200, "A page of orders.", Schemas.page(of: "Order"))], parameters: Schemas.pagination, handler: myOrders)
        api.add(.get, "/api/v1/buyer/courses", summary: "The courses the buyer may open", tag: "Buyers", access: .buyer,
                responses: [(200, "Entitlements.", Schemas.object([("data", Schemas.array(Schemas.object([("product_id", Schemas.string), ("granted_at", Schemas.time)])))]))],
                handler: courses)
    }

    struct PhoneRequest: RequestBody {
        let phone: String
        let code: String?
        typealias Keys = CodingKeys
        enum CodingKeys: String, CodingKey, CaseIterable { case phone, code }
    }

    static func normalized(_ phone: String) throws(TuikeError) -> String {
        guard let normalized = Phone.normalize(phone) else { throw TuikeError.validation("phone is not a phone number") }
        return normalized
    }

    struct CodeSent: Encodable { let sent: Bool; let expiresIn: Int64; @ExplicitNull var sandboxCode: String? }

    @Sendable func sendCode(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(PhoneRequest.self, from: request, context: context)
        let shown = try await sendCode(phone: body.phone, address: context.clientIP(request) ?? "unknown")
        return try JSONOutput.response(CodeSent(sent: true, expiresIn: OneTimeCode.lifetimeSeconds, sandboxCode: shown), status: .accepted)
    }

    /// Stores a code and sends it (after the write, outside any transaction). Returns the code
    /// only when the provider is a sandbox, for the page to show.
    func sendCode(phone raw: String, address: String) async throws -> String? {
        let phone = try Self.normalized(raw)
        guard let sms = messaging.sms else { throw TuikeError.unavailable("no SMS provider is configured; buyers cannot sign in by phone", retryAfter: 3_600) }
        let code = try await buyers.issueCode(phone: phone, address: address, at: clock.now())
        try await sms.send(OutgoingMessage(channel: .sms, to: phone, template: "login_code", parameters: ["code": code],
                                           text: "【推客】验证码 \(code)，5 分钟内有效。请勿告诉他人。"))
        return sms.isSandbox ? code : nil
    }

    struct SessionView: Encodable { let token: String; let buyer: BuyerView }

    @Sendable func signIn(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(PhoneRequest.self, from: request, context: context)
        guard let code = body.code else { throw TuikeError.validation("code is required") }
        let (buyer, token) = try await buyers.signIn(phone: try Self.normalized(body.phone), code: code, at: clock.now())
        return try JSONOutput.response(SessionView(token: token, buyer: BuyerView(buyer)), status: .created)
    }

    @Sendable func signOut(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        _ = try context.requireBuyer()
        if let header = request.headers[.authorization], let token = AuthMiddleware.bearerToken(header) { try await buyers.signOut(token: token, at: clock.now()) }
        return Response(status: .noContent)
    }

    func buyer(_ context: TuikeRequestContext) async throws -> Buyer {
        let id = try context.requireBuyer()
        guard let buyer = try await buyers.find(id) else { throw TuikeError.notFound("buyer", id) }
        return buyer
    }

    @Sendable func me(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        try JSONOutput.response(BuyerView(try await buyer(context)))
    }

    struct PreferencesRequest: RequestBody {
        var marketingOptOut: Bool?
        var wechatOpenID: String??
        enum Keys: String, CodingKey, CaseIterable { case marketingOptOut = "marketing_opt_out", wechatOpenid = "wechat_openid" }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Keys.self)
            marketingOptOut = try container.decodeIfPresent(Bool.self, forKey: .marketingOptOut)
            wechatOpenID = try container.decodeNullable(.wechatOpenid)
        }
    }

    @Sendable func preferences(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let id = try context.requireBuyer()
        let body = try await JSONBody.decode(PreferencesRequest.self, from: request, context: context)
        if let openID = body.wechatOpenID ?? nil {
            guard (1...128).contains(openID.count), openID.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
                throw TuikeError.validation("wechat_openid must be 1 to 128 letters, digits, - or _")
            }
        }
        guard let buyer = try await buyers.setPreferences(id, marketingOptOut: body.marketingOptOut, wechatOpenID: body.wechatOpenID) else {
            throw TuikeError.notFound("buyer", id)
        }
        return try JSONOutput.response(BuyerView(buyer))
    }

    @Sendable func addresses(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let id = try context.requireBuyer()
        return try JSONOutput.response(["data": try await buyers.addresses(of: id).map(SavedAddressView.init)])
    }

    struct AddressRequest: RequestBody {
        let name, phone, province, city, district, line: String?
        let isDefault: Bool?
        typealias Keys = CodingKeys
        enum CodingKeys: String, CodingKey, CaseIterable { case name, phone, province, city, district, line, isDefault = "is_default" }

        var address: ShippingAddress { AddressInput(name: name, phone: phone, province: province, city: city, district: district, line: line).address }
    }

    @Sendable func addAddress(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let id = try context.requireBuyer()
        let body = try await JSONBody.decode(AddressRequest.self, from: request, context: context)
        let saved = try await buyers.addAddress(try body.address.validated(), isDefault: body.isDefault ?? false, buyerID: id, at: clock.now())
        return try JSONOutput.response(SavedAddressView(saved), status: .created)
    }

    @Sendable func removeAddress(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let buyer = try context.requireBuyer(), id = try context.parameters.require("id")
        guard try await buyers.removeAddress(id, buyerID: buyer) else { throw TuikeError.notFound("address", id) }
        return Response(status: .noContent)
    }

    @Sendable func myOrders(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let id = try context.requireBuyer()
        let page = try PageRequest(request)
        let fetched = try await orders.list(status: nil, buyerID: id, limit: page.limit + 1, before: page.cursor)
        let parcels = try await fulfilment.shipments(orderIDs: fetched.filter { $0.fulfilment != nil }.map(\.id))
        let asked = try await afterSales.list(status: nil, orderIDs: fetched.filter { $0.fulfilment != nil }.map(\.id), buyerID: id,
                                              limit: 1_000, before: nil)  // a page is at most 100 orders
        let byOrder = Dictionary(grouping: asked, by: \.orderID)
        let views = fetched.map { order in
            var view = OrderView(order, payments: [], refunds: [], shipments: parcels[order.id] ?? [], forBuyer: true)
            view.afterSales = (byOrder[order.id] ?? []).reversed().map(AfterSaleView.init)
            return view
        }
        return try JSONOutput.response(Page(fetched: views, limit: page.limit, id: \.id))
    }

    @Sendable func courses(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let id = try context.requireBuyer()
        let rows = try await orders.entitlements(buyerID: id).map { OrdersController.EntitlementView(productId: $0.productID, grantedAt: $0.grantedAt) }
        return try JSONOutput.response(["data": rows])
    }

    static let codeSentSchema = Schemas.object([
        ("sent", Schemas.boolean), ("expires_in", Schemas.integer), ("sandbox_code", Schemas.nullable(Schemas.string)),
    ])
    static let sessionSchema = Schemas.object([("token", Schemas.string), ("buyer", Schemas.ref("Buyer"))])
    static let preferencesSchema: JSONValue = {
        var schema = Schemas.object([
            ("marketing_opt_out", ["type": "boolean", "description": "No marketing messages (reminders); order and refund news still come."] as JSONValue),
            ("wechat_openid", Schemas.nullable(Schemas.text(1...128, "The buyer's openid for WeChat template messages."))),
        ])
        schema.set("minProperties", 1)
        return schema
    }()
    static let addressInputSchema = Schemas.object(
        ShippingAddress.fieldNames.map { ($0, $0 == "line" ? Schemas.text(1...ShippingAddress.maxLineLength) : Schemas.text(1...ShippingAddress.maxFieldLength)) }
            + [("is_default", Schemas.boolean)], required: ShippingAddress.fieldNames)
    static let savedAddressSchema = Schemas.object([("id", Schemas.string), ("is_default", Schemas.boolean), ("address", OrderView.addressSchema)])
}

struct BuyerView: Encodable, Sendable {
    let id: String
    let phoneMasked: String
    let marketingOptOut: Bool
    @ExplicitNull var wechatOpenid: String?
    let createdAt: Instant

    init(_ buyer: Buyer) {
        id = buyer.id
        phoneMasked = buyer.phoneMasked
        marketingOptOut = buyer.marketingOptOut
        wechatOpenid = buyer.wechatOpenID
        createdAt = buyer.createdAt
    }

    static let schema = Schemas.object([
        ("id", Schemas.string), ("phone_masked", Schemas.string), ("marketing_opt_out", Schemas.boolean),
        ("wechat_openid", Schemas.nullable(Schemas.string)), ("created_at", Schemas.time),
    ])
}

struct SavedAddressView: Encodable, Sendable {
    let id: String
    let isDefault: Bool
    let address: ShippingAddress

    init(_ saved: SavedAddress) {
        id = saved.id
        isDefault = saved.isDefault
        address = saved.address
    }
}
