import Foundation
import HTTPTypes
import Hummingbird
import Logging
import TuikeCore
import TuikeStore

/// WeChat Pay's settings (owner only; the secrets go in and never come out) and its notification
/// callback: verified over the raw body with the platform key its serial names, refused when more
/// than five minutes old, decrypted with the API v3 key, and checked against the order (merchant,
/// app, number, amount, currency) before anything is booked. A notification already booked (WeChat
/// Pay retries until it hears 2xx) is answered 204 and changes nothing.
struct WechatPayController {
    let payments: WechatPayPayments
    let providers: PaymentProviderRepository
    let clock: any TuikeClock
    let publicURL: String
    let logger = Logger(label: "tuike.payments.wechatpay")

    struct SettingsView: Encodable, Sendable {
        let provider: String
        let mchid: String
        let appid: String
        let merchantSerialNo: String
        @ExplicitNull var platformPublicKey: String?
        @ExplicitNull var platformPublicKeyId: String?
        let platformCertificates: [String]
        let apiBaseUrl: String
        let notifyUrl: String
        let updatedAt: String
    }

    static let settingsSchema = Schemas.object([
        ("provider", Schemas.string), ("mchid", Schemas.string), ("appid", Schemas.string), ("merchant_serial_no", Schemas.string),
        ("platform_public_key", Schemas.nullable(Schemas.string)), ("platform_public_key_id", Schemas.nullable(Schemas.string)),
        ("platform_certificates", Schemas.array(Schemas.string)), ("api_base_url", Schemas.string),
        ("notify_url", Schemas.string), ("updated_at", Schemas.time),
    ])

    func addRoutes(to api: APIRoutes) {
        let notifyURL = publicURL + WechatPayConfig.notifyPath
        ProviderSettingsRoutes<WechatPayConfig.Input, WechatPayConfig.Settings, WechatPayConfig.Secrets, SettingsView>(
            provider: WechatPayConfig.provider, title: "WeChat Pay", providers: providers, clock: clock,
            validate: { input in
                let (_, settings, secrets) = try WechatPayConfig.validated(input, savingAt: clock.now())
                return (settings, secrets)
            },
            view: { settings, updatedAt in
                SettingsView(provider: WechatPayConfig.provider, mchid: settings.mchid, appid: settings.appid, merchantSerialNo: settings.merchantSerialNo,
                             platformPublicKey: settings.platformPublicKey, platformPublicKeyId: settings.platformPublicKeyId,
                             platformCertificates: settings.platformCertificates ?? [], apiBaseUrl: settings.apiBaseUrl, notifyUrl: notifyURL, updatedAt: updatedAt.rfc3339)
            }, logger: logger
        ).addRoutes(to: api, request: Schemas.object([
            ("mchid", Schemas.text(1...32, "The merchant number (digits).")), ("appid", Schemas.text(1...32)),
            ("merchant_serial_no", Schemas.text(1...64, "The serial of the merchant's API certificate (hex).")),
            ("merchant_private_key", Schemas.text(1...16_384, "apiclient_key.pem, as text.")),
            ("api_v3_key", Schemas.text(32...32, "The API v3 key.")),
            ("platform_public_key", Schemas.text(1...16_384, "The WeChat Pay public key (pub_key.pem), as text.")),
            ("platform_public_key_id", Schemas.text(1...64, "Its id, PUB_KEY_ID_…")),
            ("platform_certificates", Schemas.array(Schemas.text(1...16_384), maxItems: WechatPayConfig.maxCertificates,
                                                    "Platform certificates (PEM) for merchants not yet moved to the public key; each checks the signatures under its serial until it expires.")),
            ("api_base_url", Schemas.webURL("Where WeChat Pay's API is (default https://api.mch.weixin.qq.com); another address for a sandbox.")),
        ], required: ["mchid", "appid", "merchant_serial_no", "merchant_private_key", "api_v3_key"]),
        viewSchema: Self.settingsSchema)
        api.add(.post, WechatPayConfig.notifyPath, summary: "WeChat Pay's payment and refund notifications (API v3, signed and encrypted)",
                tag: "Payments", access: .publicAccess,
                responses: [(204, "Accepted (or accepted before).", nil), (400, "Bad signature, unknown serial, stale timestamp or unreadable body.", nil),
                            (422, "The payment does not match the order (amount, merchant, app, currency): nothing booked.", nil)],
                parameters: ["Wechatpay-Signature", "Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Serial"].map {
                    ["name": .string($0), "in": "header", "required": true, "schema": Schemas.string]
                }, handler: notify)
    }

    struct Envelope: Decodable {
        struct Resource: Decodable {
            let algorithm: String
            let ciphertext: String
            let nonce: String
            let associatedData: String?
            enum CodingKeys: String, CodingKey { case algorithm, ciphertext, nonce, associatedData = "associated_data" }
        }
        let id: String
        let eventType: String
        let resource: Resource
        enum CodingKeys: String, CodingKey { case id, eventType = "event_type", resource }
    }

    struct RefundResource: Decodable {
        let mchid: String?
        let outTradeNo: String?
        let outRefundNo: String?
        let refundId: String?
        let refundStatus: String?
        enum CodingKeys: String, CodingKey {
            case mchid, outTradeNo = "out_trade_no", outRefundNo = "out_refund_no", refundId = "refund_id", refundStatus = "refund_status"
        }
    }

    @Sendable func notify(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let body = Data(buffer: try await request.body.collect(upTo: 64 * 1024))
        do {
            try await receive(body: body, header: { name in HTTPField.Name(name).flatMap { request.headers[$0] } })
            return Response(status: .noContent)
        } catch let error as TuikeError {
            NotificationRefusals.report(error, provider: WechatPayConfig.provider, logger: logger)
            throw error
        }
    }

    /// Verifies, decrypts and books one notification.
    func receive(body: Data, header: (String) -> String?) async throws {
        guard let config = try await WechatPayConfig.load(from: providers, at: clock.now()) else {
            throw TuikeError(.conflict, code: "provider_not_configured", "WeChat Pay is not set up")
        }
        guard let timestamp = header("Wechatpay-Timestamp"), let nonce = header("Wechatpay-Nonce"), let signature = header("Wechatpay-Signature"),
              let serial = header("Wechatpay-Serial") else {
            throw Signature.invalid("the Wechatpay-Signature, -Timestamp, -Nonce and -Serial headers are required")
        }
        try WechatPayCrypto.verify(timestamp: timestamp, nonce: nonce, body: body, signature: signature, serial: serial, keys: config.platformKeys, now: clock.now())
        let envelope = try JSONBody.decode(trusted: Envelope.self, from: body)
        guard envelope.resource.algorithm == "AEAD_AES_256_GCM" else { throw Signature.invalid("unknown algorithm \(envelope.resource.algorithm)") }
        let plain = try WechatPayCrypto.decrypt(ciphertext: envelope.resource.ciphertext, nonce: envelope.resource.nonce,
                                                associatedData: envelope.resource.associatedData ?? "", apiV3Key: config.apiV3Key)
        switch envelope.eventType {
        case "TRANSACTION.SUCCESS":
            let transaction = try JSONBody.decode(trusted: WechatPayPayments.Transaction.self, from: plain)
            _ = try await payments.book(transaction, config: config)
        case let type where type.hasPrefix("REFUND."):
            let refund = try JSONBody.decode(trusted: RefundResource.self, from: plain)
            guard refund.mchid == config.mchid else { throw TuikeError(.unprocessable, code: "payment_mismatch", "the refund is for merchant \(refund.mchid ?? "none")") }
            // The refund was booked when WeChat Pay accepted it; one that did not reach the buyer
            // (ABNORMAL: a closed bank card, say) needs the merchant, so it is reported loudly.
            if type != "REFUND.SUCCESS" {
                logger.error("a WeChat Pay refund did not reach the buyer", metadata: [
                    "order": "\(refund.outTradeNo ?? "-")", "refund": "\(refund.outRefundNo ?? "-")", "status": "\(refund.refundStatus ?? type)"])
            }
        default:
            logger.info("WeChat Pay notification ignored", metadata: ["event_type": "\(envelope.eventType)"])
        }
    }
}
