import Foundation
import HTTPTypes
import Hummingbird
import TuikeCore
import TuikeStore

/// The buyer's pages on the storefront: sign-in by phone and SMS code, and "my account" with the
/// buyer's orders (status, parcels, after-sales, confirm receipt, ask for a refund or return),
/// courses and address book. The session is the buyer's API token in an HttpOnly cookie.
struct BuyerPages {
    let buyers: BuyerRepository
    let buyersAPI: BuyersController
    let orders: OrderRepository
    let products: ProductRepository
    let fulfilment: FulfilmentRepository
    let afterSales: AfterSalesController
    let forms: FormReplay
    let program: ProgramRepository
    let clock: any TuikeClock

    static let cookieName = "tk_buyer"

    func addRoutes(to api: APIRoutes) {
        api.add(.get, "/account/login", summary: "The buyer's sign-in page (phone and SMS code)", tag: "Pages", access: .publicAccess,
                responses: [(200, "HTML.", nil)], handler: loginPage)
        api.add(.post, "/account/code", summary: "Sends a sign-in code and shows the code field", tag: "Pages", access: .publicAccess,
                responses: [(200, "HTML.", nil)], handler: sendCode)
        api.add(.post, "/account/login", summary: "Signs the buyer in, then to the account", tag: "Pages", access: .publicAccess,
                responses: [(303, "To /account.", nil)], handler: login)
        api.add(.post, "/account/logout", summary: "Signs the buyer out", tag: "Pages", access: .publicAccess, responses: [(303, "To /.", nil)], handler: logout)
        api.add(.get, "/account", summary: "My account: orders, parcels, after-sales, courses, addresses (HTML)", tag: "Pages", access: .publicAccess,
                responses: [(200, "HTML.", nil), (303, "To the sign-in page.", nil)], handler: account)
        api.add(.post, "/account/orders/{id}/receipt", summary: "The buyer confirms receipt", tag: "Pages", access: .publicAccess,
                responses: [(303, "Back to /account.", nil)], handler: receive)
        api.add(.post, "/account/orders/{id}/after-sales", summary: "The buyer asks for a refund or a return", tag: "Pages", access: .publicAccess,
                responses: [(303, "Back to /account.", nil)], handler: askAfterSale)
        api.add(.post, "/account/addresses", summary: "The buyer adds an address", tag: "Pages", access: .publicAccess,
                responses: [(303, "Back to /account.", nil)], handler: addAddress)
    }

    /// The signed-in buyer's id, from the session cookie.
    func signedIn(_ request: Request) async throws -> String? {
        guard let token = request.cookies[Self.cookieName]?.value, !token.isEmpty,
              case .buyer(let id, _)? = try await buyers.principal(for: token, at: clock.now()) else { return nil }
        return id
    }

    static func words(_ language: Language) -> [String: String] {
        language == .zh ? [
            "sign_in": "登录", "phone": "手机号", "send_code": "获取验证码", "code": "验证码", "sandbox_code": "沙箱模式，验证码：",
            "my_account": "我的", "sign_out": "退出登录", "my_orders": "我的订单", "parcel": "包裹", "after_sale": "售后", "pay": "去支付",
            "confirm_receipt": "确认收货", "return": "退货退款", "refund_only": "仅退款", "amount": "金额（元）", "reason": "原因",
            "ask_after_sale": "申请售后", "no_orders": "还没有订单。", "my_courses": "我的课程", "no_courses": "还没有课程。",
            "addresses": "收货地址", "default": "默认", "add_address": "添加地址", "variant": "规格", "sold_out": "已售罄", "ship_to": "收货地址",
            "sign_in_for_addresses": "登录后可使用地址簿、查看订单与物流",
        ] : [
            "sign_in": "Sign in", "phone": "Phone", "send_code": "Send a code", "code": "Code", "sandbox_code": "Sandbox mode, the code is",
            "my_account": "My account", "sign_out": "Sign out", "my_orders": "My orders", "parcel": "Parcel", "after_sale": "After-sale", "pay": "Pay",
            "confirm_receipt": "Confirm receipt", "return": "Return and refund", "refund_only": "Refund only", "amount": "Amount (yuan)",
            "reason": "Reason", "ask_after_sale": "Ask for an after-sale", "no_orders": "No orders yet.", "my_courses": "My courses",
            "no_courses": "No courses yet.", "addresses": "Addresses", "default": "default", "add_address": "Add the address", "variant": "Variant",
            "sold_out": "sold out", "ship_to": "Ship to", "sign_in_for_addresses": "Sign in to use your address book and follow your orders",
        ]
    }

    static func addressFields(_ language: Language) -> [[String: String]] {
        let labels = language == .zh ? ["收货人", "手机号", "省", "市", "区", "详细地址"] : ["Name", "Phone", "Province", "City", "District", "Street address"]
        return zip(ShippingAddress.fieldNames, labels).map { ["name": $0, "label": $1] }
    }

    func page(_ name: String, title: String, request: Request, context: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        let language = Language.of(request)
        let (csrf, newToken) = Forms.csrfToken(request)
        var full = context
        full["csrf"] = csrf
        full["w"] = Self.words(language)
        var response = Templates.page(name, title: title, language: language, context: full, status: status)
        if newToken { response.headers.append(HTTPField(name: .setCookie, value: Forms.cookie(csrf))) }
        return response
    }

    @Sendable func loginPage(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        page("account_login", title: Self.words(Language.of(request))["sign_in"] ?? "", request: request, context: [:])
    }

    @Sendable func sendCode(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let title = Self.words(Language.of(request))["sign_in"] ?? ""
        do {
            let fields = try await Forms.verified(request, context: context)
            let phone = fields["phone"] ?? ""
            let shown = try await buyersAPI.sendCode(phone: phone, address: context.clientIP(request) ?? "unknown")
            return page("account_login", title: title, request: request, context: ["phone": phone, "sent": true, "sandbox_code": shown ?? ""])
        } catch let error as TuikeError {
            return page("account_login", title: title, request: request, context: ["error": error.message], status: ErrorResponses.status(of: error.kind))
        }
    }

    @Sendable func login(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let title = Self.words(Language.of(request))["sign_in"] ?? ""
        var phone = ""
        do {
            let fields = try await Forms.verified(request, context: context)
            phone = fields["phone"] ?? ""
            let (_, token) = try await buyers.signIn(phone: try BuyersController.normalized(phone), code: fields["code"] ?? "", at: clock.now())
            var response = Response.redirect(to: "/account", type: .normal)
            response.headers[.setCookie] = "\(Self.cookieName)=\(token); Path=/; Max-Age=\(Buyer.sessionSeconds); HttpOnly; SameSite=Lax"
            return response
        } catch let error as TuikeError {
            return page("account_login", title: title, request: request, context: ["phone": phone, "sent": true, "error": error.message],
                        status: ErrorResponses.status(of: error.kind))
        }
    }

    @Sendable func logout(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        _ = try await Forms.verified(request, context: context)
        if let token = request.cookies[Self.cookieName]?.value { try await buyers.signOut(token: token, at: clock.now()) }
        var response = Response.redirect(to: "/", type: .normal)
        response.headers[.setCookie] = "\(Self.cookieName)=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"
        return response
    }

    @Sendable func account(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        guard let buyerID = try await signedIn(request), let buyer = try await buyers.find(buyerID) else {
            return Response.redirect(to: "/account/login", type: .normal)
        }
        let language = Language.of(request)
        let mine = try await orders.list(status: nil, buyerID: buyerID, limit: 50, before: nil)
        let parcels = try await fulfilment.shipments(orderIDs: mine.filter { $0.fulfilment != nil }.map(\.id))
        let requests = try await afterSales.afterSales.list(status: nil, orderIDs: mine.map(\.id), limit: 200, before: nil)
        let settings = try await program.current()
        let now = clock.now()
        let fulfilmentLabels: [FulfilmentStatus: String] = language == .zh ? [.unfulfilled: "待发货", .shipped: "已发货", .received: "已收货"]
            : [.unfulfilled: "to ship", .shipped: "shipped", .received: "received"]
        let afterSaleLabels: [AfterSale.Status: String] = language == .zh
            ? [.requested: "待处理", .approved: "已同意，请寄回", .returning: "退回中", .refunded: "已退款", .refused: "已拒绝", .cancelled: "已撤销"]
            : [.requested: "requested", .approved: "approved, send it back", .returning: "on its way back", .refunded: "refunded", .refused: "refused", .cancelled: "withdrawn"]
        let orderLabels: [Order.Status: String] = language == .zh
            ? [.pendingPayment: "待支付", .paid: "已支付", .partiallyRefunded: "部分退款", .refunded: "已退款", .cancelled: "已取消"]
            : [.pendingPayment: "awaiting payment", .paid: "paid", .partiallyRefunded: "partly refunded", .refunded: "refunded", .cancelled: "cancelled"]
        let words = Self.words(language)
        let orderRows = mine.map { order -> [String: Any] in
            let inWindow = order.receivedAt.map { now <= GoodsFreeze.afterSaleDeadline(receivedAt: $0, settings: settings) } ?? true
            // Each physical line with money left and no after-sale open can be asked about.
            let askable = order.items.filter { item in
                item.kind == .physical && item.refundable > 0 && !requests.contains { $0.itemID == item.id && $0.status.isOpen }
            }
            return [
                "id": order.id, "amount": Money.format(order.amount),
                "items": order.items.map { "\($0.title)\($0.sku.map { " [\($0)]" } ?? "") ×\($0.quantity)" }.joined(separator: "，"),
                "status": order.status.rawValue, "status_label": orderLabels[order.status] ?? order.status.rawValue,
                "fulfilment_label": order.fulfilment.flatMap { fulfilmentLabels[$0] } ?? "",
                "shipments": (parcels[order.id] ?? []).map { ["carrier": $0.carrier, "tracking_number": $0.trackingNumber] },
                "after_sales": requests.filter { $0.orderID == order.id }.map { request -> [String: Any] in
                    ["type_label": request.kind == .refund ? words["refund_only"] ?? "" : words["return"] ?? "", "amount": Money.format(request.amount),
                     "status": request.status.rawValue, "status_label": afterSaleLabels[request.status] ?? request.status.rawValue]
                        .merging(request.answer.map { ["answer": $0] } ?? [:]) { $1 }
                },
                "can_pay": order.status == .pendingPayment,
                "can_receive": order.fulfilment == .shipped,
                "can_after_sale": order.status.isRefundable && !askable.isEmpty && inWindow,
                "shipped": order.fulfilment == .shipped || order.fulfilment == .received,
                "after_sale_lines": askable.map { item in
                    ["item_id": item.id, "label": "\(item.title)\(item.sku.map { " [\($0)]" } ?? "") ≤ ¥\(Money.format(item.refundable))"]
                },
                "refundable": Money.format(askable.first?.refundable ?? 0),
            ]
        }
        let granted = try await orders.entitlements(buyerID: buyerID)
        var courses: [[String: String]] = []
        for entitlement in granted { courses.append(["id": entitlement.productID, "title": try await products.find(entitlement.productID)?.title ?? entitlement.productID]) }
        let addresses = try await buyers.addresses(of: buyerID).map { ["summary": $0.address.summary, "is_default": $0.isDefault] as [String: Any] }
        var pageContext: [String: Any] = ["phone": buyer.phoneMasked, "orders": orderRows, "courses": courses, "addresses": addresses,
                                          "address_fields": Self.addressFields(language)]
        if let error = request.uri.queryParameters["error"] { pageContext["error"] = String(error) }
        return page("account", title: words["my_account"] ?? "", request: request, context: pageContext)
    }

    /// A form of the account page: the buyer signed in, the CSRF token, once per nonce; refusals
    /// come back on the account page.
    func accountForm(_ request: Request, context: TuikeRequestContext,
                     _ body: @escaping (_ buyerID: String, _ fields: [String: String]) async throws -> Void) async throws -> Response {
        guard let buyerID = try await signedIn(request) else { return Response.redirect(to: "/account/login", type: .normal) }
        do {
            let fields = try await Forms.verified(request, context: context)
            return try await forms.once(request, fields: fields) {
                do {
                    try await body(buyerID, fields)
                    return Response.redirect(to: "/account", type: .normal)
                } catch let error as TuikeError {
                    let message = error.message.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
                    return Response.redirect(to: "/account?error=\(message)", type: .normal)
                }
            }
        } catch let error as TuikeError {
            return Templates.message(error.code, error.message, language: Language.of(request), status: ErrorResponses.status(of: error.kind))
        }
    }

    /// The buyer's own order, or 404 as if there were none.
    func ownOrder(_ id: String, buyerID: String) async throws -> Order {
        guard let order = try await orders.find(id), order.buyerID == buyerID else { throw TuikeError.notFound("order", id) }
        return order
    }

    @Sendable func receive(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        return try await accountForm(request, context: context) { buyerID, _ in
            _ = try await ownOrder(id, buyerID: buyerID)
            _ = try await fulfilment.receive(orderID: id, settings: try await program.current(), at: clock.now())
        }
    }

    @Sendable func askAfterSale(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        return try await accountForm(request, context: context) { buyerID, fields in
            _ = try await ownOrder(id, buyerID: buyerID)
            guard let amount = Money.parse(fields["amount"] ?? "") else { throw TuikeError.validation("amount must be an amount in yuan, like 99.00") }
            _ = try await afterSales.create(orderID: id, .init(type: fields["type"] ?? "", amount: amount, reason: fields["reason"] ?? "",
                                                               itemId: fields["item_id"].flatMap { $0.isEmpty ? nil : $0 },
                                                               quantity: nil, photos: nil))
        }
    }

    @Sendable func addAddress(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        try await accountForm(request, context: context) { buyerID, fields in
            _ = try await buyers.addAddress(try ShippingAddress(fields: fields).validated(), isDefault: false, buyerID: buyerID, at: clock.now())
        }
    }
}
