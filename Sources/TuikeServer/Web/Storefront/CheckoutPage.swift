import Foundation
import HTTPTypes
import Hummingbird
import TuikeCore
import TuikeStore

/// The storefront's checkout page, `/pay/{id}`: the order, and the ways to pay it that the
/// merchant has set up. Showing the page asks no provider anything: the buyer presses WeChat Pay
/// (the page then shows its QR code, kept and shown again on every load) or Alipay (the buyer is
/// sent to its cashier), or the sandbox's pay button with `--sandbox`. While a QR code waits the
/// page reloads itself every few seconds, so it shows the payment as soon as the provider's
/// notification is booked. Payment options appear only for the buyer's own storefront order (a
/// guest's, or the signed-in buyer's); any other order shows its state and nothing to press.
struct CheckoutPage {
    let orders: OrderRepository
    let checkout: CheckoutController
    let buyerPages: BuyerPages
    let sandbox: Bool
    static let refreshSeconds = 5

    func addRoutes(to api: APIRoutes) {
        api.add(.get, "/pay/{id}", summary: "Checkout page for an order (HTML)", tag: "Pages", access: .publicAccess,
                responses: [(200, "HTML.", nil), (404, "No such order (HTML).", nil)], handler: page)
        api.add(.post, "/pay/{id}/{provider}", summary: "The checkout page's WeChat Pay or Alipay button (form)", tag: "Pages", access: .publicAccess,
                responses: [(303, "To the QR code (WeChat Pay) or the provider's cashier (Alipay).", nil), (404, "No such order (HTML).", nil)],
                handler: start)
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
            let providers = checkout.wechatPay.providers
            if try await WechatPayConfig.load(from: providers, at: checkout.clock.now()) != nil {
                if let kept = try await providers.checkout(orderID: order.id, provider: WechatPayConfig.provider), kept.method == "native", let code = kept.detail {
                    page["wechat_qr"] = try QRCode(code, correction: .medium).svg(size: 220, logo: nil)
                    page["refresh"] = "\(Self.refreshSeconds)"
                } else {
                    page["wechat_button"] = true
                }
            }
            page["alipay_button"] = try await AlipayConfig.load(from: checkout.alipay.providers) != nil
        }
        if let error = request.uri.queryParameters["error"].map(String.init), !error.isEmpty { page["pay_errors"] = [String(error.prefix(300))] }
        var response = Templates.page("checkout", title: strings[.checkout], language: language, context: page)
        if isNew { response.headers.append(HTTPField(name: .setCookie, value: Forms.cookie(csrf))) }
        return response
    }

    /// A payment button: starts the order's payment with the provider (once; pressing again is the
    /// same payment), then back to the page for WeChat Pay's QR code, or on to Alipay's cashier.
    @Sendable func start(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        _ = try await Forms.verified(request, context: context)
        let id = try context.parameters.require("id")
        let provider = try context.parameters.require("provider")
        guard let order = try await orders.find(id), try await isOwnStorefrontOrder(order, request: request),
              [WechatPayConfig.provider, AlipayConfig.provider].contains(provider) else { return Self.orderNotFound(Language.of(request)) }
        do {
            let method = provider == WechatPayConfig.provider ? WechatPayPayments.Method.native.rawValue : AlipayPayments.Method.page.rawValue
            let started = try await checkout.start(order, provider: provider, method: method, openid: nil, clientIP: context.clientIP(request))
            if provider == AlipayConfig.provider, let url = started.redirectUrl { return .redirect(to: url, type: .normal) }
            return .redirect(to: "/pay/\(order.id)", type: .normal)
        } catch let error as TuikeError {
            return .redirect(to: "/pay/\(order.id)?error=" + FormEncoding.escape(error.message), type: .normal)
        }
    }

    /// A guest's order from the storefront, or the signed-in buyer's own.
    func isOwnStorefrontOrder(_ order: Order, request: Request) async throws -> Bool {
        guard order.externalID == nil else { return false }
        if order.buyerID.hasPrefix(CheckoutController.guestPrefix) { return true }
        return try await buyerPages.signedIn(request) == order.buyerID
    }
}
