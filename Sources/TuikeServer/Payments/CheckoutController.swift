import Foundation
import Hummingbird
import TuikeCore
import TuikeStore

/// Starts an order's payment with a provider: a QR code's text (WeChat Pay Native), a prepay id
/// and the parameters WeChat's JSAPI needs (inside WeChat), or a page to send the buyer to (WeChat
/// Pay H5, the sandbox). Admins may start any order's payment; anyone may start a storefront
/// order's (one without an integrator's external id), which only ever asks for its exact amount.
/// Asking again asks the provider again for the same order number, so it is the same payment.
struct CheckoutController {
    let orders: OrderRepository
    let wechatPay: WechatPayPayments
    let alipay: AlipayPayments
    let program: ProgramRepository
    let publicURL: String
    let sandbox: Bool
    let clock: any TuikeClock

    static let maxOpenIDLength = 128
    static let guestPrefix = "guest-"
    /// A payment needs a little time: an order closer than this to its timeout is not started.
    static let minimumPaySeconds: Int64 = 60

    struct CheckoutRequest: RequestBody {
        let provider: String
        let method: String?
        let openid: String?
        typealias Keys = CodingKeys
        enum CodingKeys: String, CodingKey, CaseIterable { case provider, method, openid }
    }

    struct CheckoutView: Encodable {
        let provider: String
        let codeUrl: String?
        let prepayId: String?
        let redirectUrl: String?
        let payParams: [String: String]?
    }

    func addRoutes(to api: APIRoutes) {
        api.add(.post, "/api/v1/orders/{id}/checkout", summary: "Start an order's payment with a provider", tag: "Payments", access: .publicAccess,
                request: Schemas.object([
                    ("provider", Schemas.enumeration(["wechatpay", "alipay", "sandbox"])),
                    ("method", Schemas.enumeration(["native", "jsapi", "h5", "page", "wap"])),
                    ("openid", Schemas.text(1...Self.maxOpenIDLength, "The buyer's openid under the merchant's app (JSAPI only).")),
                ], required: ["provider"]),
                responses: [(200, "Where the buyer pays.", Schemas.object([
                    ("provider", Schemas.string), ("code_url", Schemas.string), ("prepay_id", Schemas.string), ("redirect_url", Schemas.string),
                    ("pay_params", Schemas.object([("appId", Schemas.string), ("timeStamp", Schemas.string), ("nonceStr", Schemas.string),
                                                   ("package", Schemas.string), ("signType", Schemas.string), ("paySign", Schemas.string)])),
                ])),
                            (404, "No such order (or not one the caller may pay).", nil), (409, "Not awaiting payment, or the provider is not set up.", nil),
                            (503, "The provider did not answer; nothing was booked.", nil)],
                handler: checkout)
    }

    @Sendable func checkout(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let body = try await JSONBody.decode(CheckoutRequest.self, from: request, context: context)
        guard let order = try await orders.find(id) else { throw TuikeError.notFound("order", id) }
        if !context.isAdmin {
            // A signed-in buyer's order is started by that buyer only; a guest's storefront order
            // by whoever holds its id (the guest's own browser); an integrator's by an admin.
            if case .buyer? = context.principal {
                try context.requireOwnOrder(order)
            } else if !order.buyerID.hasPrefix(Self.guestPrefix) || order.externalID != nil {
                throw TuikeError.notFound("order", id)
            }
        }
        return try JSONOutput.response(try await start(order, provider: body.provider, method: body.method, openid: body.openid,
                                                       clientIP: context.clientIP(request)))
    }

    /// Starts the order's payment; the caller has checked that it may.
    func start(_ order: Order, provider: String, method: String?, openid: String?, clientIP: String?) async throws -> CheckoutView {
        let id = order.id
        guard order.status == .pendingPayment else {
            throw TuikeError(.conflict, code: "not_payable", "order \(id) is \(order.status.rawValue), not awaiting payment")
        }
        guard try await expiry(of: order) > clock.now().adding(seconds: Self.minimumPaySeconds) else {
            throw TuikeError(.conflict, code: "not_payable", "order \(id) is about to be cancelled unpaid; place it again")
        }
        switch provider {
        case SandboxPaymentsController.provider:
            guard sandbox else { throw Self.notConfigured("the sandbox provider runs only with --sandbox") }
            return CheckoutView(provider: provider, codeUrl: nil, prepayId: nil, redirectUrl: "/pay/\(order.id)", payParams: nil)
        case WechatPayConfig.provider:
            let method = try ProductsController.parse(required: method ?? WechatPayPayments.Method.native.rawValue, as: WechatPayPayments.Method.self,
                                                      field: "method")
            var payer: String?
            if method == .jsapi {
                guard let given = openid, (1...Self.maxOpenIDLength).contains(given.count), given.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
                    throw TuikeError.validation("openid is required for jsapi: the buyer's openid under the merchant's app, 1–\(Self.maxOpenIDLength) characters")
                }
                payer = given
            }
            guard order.currency == "CNY" else { throw TuikeError.validation("WeChat Pay takes CNY; the order is in \(order.currency)") }
            let expiresAt = try await expiry(of: order)
            // Noted before the call: if the answer is lost, the order is still closed at WeChat
            // Pay before it is cancelled here.
            let started = try await wechatPay.providers.recordCheckout(orderID: order.id, provider: WechatPayConfig.provider, method: method.rawValue, at: clock.now())
            // WeChat Pay refuses an order number asked again with other parameters; one number per
            // order is also what makes paying it twice impossible. So the first way stays.
            guard started == method.rawValue else {
                throw TuikeError(.conflict, code: "checkout_started", "this order's WeChat Pay payment was started as \(started); pay it that way")
            }
            // A QR code shown before is shown again without asking WeChat Pay (its code lasts two hours).
            if method == .native, let kept = try await wechatPay.providers.checkout(orderID: order.id, provider: WechatPayConfig.provider)?.detail {
                return CheckoutView(provider: provider, codeUrl: kept, prepayId: nil, redirectUrl: nil, payParams: nil)
            }
            do {
                let prepared = try await wechatPay.prepay(order, method: method, openid: payer, clientIP: clientIP, expiresAt: expiresAt)
                if let code = prepared.codeURL {
                    try await wechatPay.providers.saveCheckoutDetail(orderID: order.id, provider: WechatPayConfig.provider, detail: code)
                }
                return CheckoutView(provider: provider, codeUrl: prepared.codeURL, prepayId: prepared.prepayID, redirectUrl: prepared.redirectURL,
                                    payParams: prepared.payParams)
            } catch let unreachable as ProviderUnreachable {
                throw unreachable.asTuikeError
            }
        case AlipayConfig.provider:
            let method = try ProductsController.parse(required: method ?? AlipayPayments.Method.page.rawValue, as: AlipayPayments.Method.self,
                                                      field: "method")
            guard order.currency == "CNY" else { throw TuikeError.validation("Alipay takes CNY; the order is in \(order.currency)") }
            let url = try await alipay.payURL(order, method: method, expiresAt: try await expiry(of: order), returnURL: publicURL + "/pay/\(order.id)")
            try await alipay.providers.recordCheckout(orderID: order.id, provider: AlipayConfig.provider, method: method.rawValue, at: clock.now())
            return CheckoutView(provider: provider, codeUrl: nil, prepayId: nil, redirectUrl: url, payParams: nil)
        default:
            throw TuikeError.validation("provider must be wechatpay, alipay or sandbox")
        }
    }

    /// When the order is cancelled unpaid: the provider is told to stop taking its payment then.
    func expiry(of order: Order) async throws -> Instant {
        if let stored = try await orders.expiresAt(order.id) { return stored }
        return order.createdAt.adding(seconds: try await program.current().orderTimeoutSeconds)
    }

    static func notConfigured(_ message: String) -> TuikeError { TuikeError(.conflict, code: "provider_not_configured", message) }
}
