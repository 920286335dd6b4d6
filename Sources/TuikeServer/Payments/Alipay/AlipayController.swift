import Foundation
import Hummingbird
import Logging
import TuikeCore
import TuikeStore

/// Alipay's settings (the app's private key goes in and never comes out) and its asynchronous
/// notification: verified on the fields as received with Alipay's public key, then checked
/// against the order (app, seller when set, number, amount) before anything is booked. Alipay
/// repeats a notification until it reads `success`; a repeat books nothing more.
struct AlipayController {
    let payments: AlipayPayments
    let clock: any TuikeClock
    let publicURL: String
    let logger = Logger(label: "tuike.payments.alipay")

    struct SettingsView: Encodable, Sendable {
        let provider: String
        let appId: String
        let alipayPublicKey: String
        @ExplicitNull var sellerId: String?
        let gatewayUrl: String
        let notifyUrl: String
        let updatedAt: String
    }

    func addRoutes(to api: APIRoutes) {
        let notifyURL = publicURL + AlipayConfig.notifyPath
        ProviderSettingsRoutes<AlipayConfig.Input, AlipayConfig.Settings, AlipayConfig.Secrets, SettingsView>(
            provider: AlipayConfig.provider, title: "Alipay", providers: payments.providers, clock: clock,
            validate: { input in
                let (_, settings, secrets) = try AlipayConfig.validated(input)
                return (settings, secrets)
            },
            view: { settings, updatedAt in
                SettingsView(provider: AlipayConfig.provider, appId: settings.appId, alipayPublicKey: settings.alipayPublicKey, sellerId: settings.sellerId,
                             gatewayUrl: settings.gatewayUrl, notifyUrl: notifyURL, updatedAt: updatedAt.rfc3339)
            }, logger: logger
        ).addRoutes(to: api, request: Schemas.object([
            ("app_id", Schemas.text(1...32, "The app's id (digits).")),
            ("app_private_key", Schemas.text(1...16_384, "The app's RSA2 private key: PEM, or the bare base64 Alipay's key tool prints.")),
            ("alipay_public_key", Schemas.text(1...16_384, "Alipay's public key for the app (public-key mode): PEM or bare base64.")),
            ("seller_id", Schemas.text(16...16, "The merchant's Alipay user id, 2088…; notifications for another seller are refused.")),
            ("gateway_url", Schemas.webURL("Alipay's gateway (default https://openapi.alipay.com/gateway.do); the sandbox's for a sandbox.")),
        ], required: ["app_id", "app_private_key", "alipay_public_key"]), viewSchema: Schemas.object([
            ("provider", Schemas.string), ("app_id", Schemas.string), ("alipay_public_key", Schemas.string), ("seller_id", Schemas.nullable(Schemas.string)),
            ("gateway_url", Schemas.string), ("notify_url", Schemas.string), ("updated_at", Schemas.time),
        ]))
        api.add(.post, AlipayConfig.notifyPath, summary: "Alipay's asynchronous notifications (form fields, RSA2-signed)", tag: "Payments",
                access: .publicAccess,
                responses: [(200, "`success` (text): accepted, or accepted before.", nil), (400, "A sign that does not verify.", nil),
                            (422, "The payment does not match the order (amount, app, seller): nothing booked.", nil)], handler: notify)
    }

    @Sendable func notify(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let body = String(buffer: try await request.body.collect(upTo: 64 * 1024))
        do {
            try await receive(FormEncoding.decode(body))
            return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: "success")))
        } catch let error as TuikeError {
            NotificationRefusals.report(error, provider: AlipayConfig.provider, logger: logger)
            throw error
        }
    }

    func receive(_ fields: [String: String]) async throws {
        guard let config = try await AlipayConfig.load(from: payments.providers) else {
            throw TuikeError(.conflict, code: "provider_not_configured", "Alipay is not set up")
        }
        try AlipayCrypto.verifyNotification(fields, key: config.alipayPublicKey)
        let trade = AlipayPayments.Trade(appID: fields["app_id"], sellerID: fields["seller_id"], outTradeNo: fields["out_trade_no"],
                                         tradeNo: fields["trade_no"], status: fields["trade_status"], totalAmount: fields["total_amount"])
        guard trade.appID == config.appID else {
            throw TuikeError(.unprocessable, code: "payment_mismatch", "the notification is for app \(trade.appID ?? "none"), not \(config.appID)")
        }
        // Paid (a later refund's notification repeats the paid state and books nothing more);
        // anything else (a trade closed unpaid) needs nothing here.
        if AlipayPayments.paidStates.contains(trade.status ?? "") {
            _ = try await payments.book(trade, config: config)
        }
    }
}
