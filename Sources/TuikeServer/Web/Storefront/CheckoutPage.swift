import Foundation
import HTTPTypes
import Hummingbird
import TuikeCore
import TuikeStore

/// The storefront's checkout page, `/pay/{id}`: the order, and the ways to pay it that the
/// merchant has set up. WeChat Pay as a QR code (Native) to scan with WeChat, Alipay as a button to
/// its cashier, the sandbox's pay button with `--sandbox`. While the order awaits payment the page
/// reloads itself every few seconds, so it shows the payment as soon as the provider's
/// notification is booked. Payment options appear only for the buyer's own storefront order
/// (a guest's, or the signed-in buyer's); any other order shows its state and nothing to press.
struct CheckoutPage {
    let orders: OrderRepository
    let checkout: CheckoutController
    let buyerPages: BuyerPages
    let sandbox: Bool
    static let refreshSeconds = 5

    func addRoutes(to api: APIRoutes) {
        api.add(.get, "/pay/{id}", summary: "Checkout page for an order (HTML)", tag: "Pages", access: .publicAccess,
                responses: [(200, "HTML.", nil), (404, "No such order (HTML).", nil)], handler: page)
    }

    static func orderNotFound(_ language: Language) -> Response {
        Templates.message(language.strings[.orderNotFound], "", language: language, status: .notFound)
    }

    @Sendable func page(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let language = Language.of(request)
        guard let order = try await orders.find(id) else { return Self.orderNotFound(language) }
        let strings = language.strings
        let (csrf, isNew) = Forms.csrfToken(request)
        let payable = order.status == .pendingPayment
        var page: [String: Any] = [
            "csrf": csrf, "order_id": order.id, "amount": Money.format(order.amount), "payable": payable, "paid": order.status == .paid,
            "other_status": [.pendingPayment, .paid].contains(order.status) ? "" : strings.label("state", order.status.rawValue),
            "lines": order.items.map { ["title": $0.title, "quantity": "\($0.quantity)", "amount_paid": Money.format($0.paid)] },
            "group_id": order.groupID ?? "", "sandbox": sandbox && payable,
        ]
        if payable, try await isOwnStorefrontOrder(order, request: request) {
            var errors: [String] = []
            if try await WechatPayConfig.load(from: checkout.wechatPay.providers, at: checkout.clock.now()) != nil {
                do {
                    let started = try await checkout.start(order, provider: WechatPayConfig.provider, method: WechatPayPayments.Method.native.rawValue,
                                                           openid: nil, clientIP: context.clientIP(request))
                    if let code = started.codeUrl { page["wechat_qr"] = try QRCode(code, correction: .medium).svg(size: 220, logo: nil) }
                } catch let error as TuikeError {
                    errors.append(error.message)
                }
            }
            if try await AlipayConfig.load(from: checkout.alipay.providers) != nil {
                do {
                    page["alipay_url"] = try await checkout.start(order, provider: AlipayConfig.provider, method: AlipayPayments.Method.page.rawValue,
                                                                  openid: nil, clientIP: nil).redirectUrl ?? ""
                } catch let error as TuikeError {
                    errors.append(error.message)
                }
            }
            page["pay_errors"] = errors
            page["refresh"] = page["wechat_qr"] != nil || page["alipay_url"] != nil ? "\(Self.refreshSeconds)" : ""
        }
        var response = Templates.page("checkout", title: strings[.checkout], language: language, context: page)
        if isNew { response.headers.append(HTTPField(name: .setCookie, value: Forms.cookie(csrf))) }
        return response
    }

    /// A guest's order from the storefront, or the signed-in buyer's own.
    func isOwnStorefrontOrder(_ order: Order, request: Request) async throws -> Bool {
        guard order.externalID == nil else { return false }
        if order.buyerID.hasPrefix(CheckoutController.guestPrefix) { return true }
        return try await buyerPages.signedIn(request) == order.buyerID
    }
}
