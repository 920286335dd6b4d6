import Foundation
import TuikeCore

/// Payment providers: whether WeChat Pay and Alipay are set up, with what (never the secrets),
/// the notification addresses to enter at the providers, and the forms that set them up. The
/// owner's alone.
extension ConsolePages {
    static let paymentPages: [ConsolePage] = [
        ConsolePage(path: "/admin/payments", title: .navPayments, inNavigation: true, summary: "payment providers", roles: ConsoleRole.owner,
                    build: payments),
    ]

    static let paymentActions: [ConsoleAction] = [
        ConsoleAction(path: "/admin/payments/wechatpay", summary: "set up WeChat Pay", roles: ConsoleRole.owner, back: "/admin/payments") { fields, _ in
            var body: [String: Any] = [:]
            for name in ["mchid", "appid", "merchant_serial_no", "merchant_private_key", "api_v3_key"] { body[name] = try fields.required(name) }
            for name in ["platform_public_key", "platform_public_key_id", "api_base_url"] { body[name] = fields.text(name) }
            if let certificate = fields.text("platform_certificate") { body["platform_certificates"] = [certificate] }
            return .init(method: .put, path: "/api/v1/payment-providers/wechatpay", body: body.compactMapValues { $0 })
        },
        ConsoleAction(path: "/admin/payments/alipay", summary: "set up Alipay", roles: ConsoleRole.owner, back: "/admin/payments") { fields, _ in
            var body: [String: Any] = [:]
            for name in ["app_id", "app_private_key", "alipay_public_key"] { body[name] = try fields.required(name) }
            for name in ["seller_id", "gateway_url"] { body[name] = fields.text(name) }
            return .init(method: .put, path: "/api/v1/payment-providers/alipay", body: body.compactMapValues { $0 })
        },
        ConsoleAction(path: "/admin/payments/{provider}/delete", summary: "turn a payment provider off", roles: ConsoleRole.owner,
                      back: "/admin/payments") { _, call in
            let provider = try call.parameter("provider")
            guard [WechatPayConfig.provider, AlipayConfig.provider].contains(provider) else { throw TuikeError.notFound("payment provider", provider) }
            return .init(method: .delete, path: "/api/v1/payment-providers/\(provider)", body: nil)
        },
    ]

    struct WechatPayRow: Decodable {
        let mchid: String; let appid: String; let merchantSerialNo: String; let platformPublicKeyId: String?; let apiBaseUrl: String
        let notifyUrl: String
    }
    struct AlipayRow: Decodable { let appId: String; let sellerId: String?; let gatewayUrl: String; let notifyUrl: String }

    static func payments(_ call: ConsoleCall) async throws -> [V.Node] {
        let t = call.t
        // A provider not set up answers 404: the page then offers its form alone.
        let wechat = try? await call.get("/api/v1/payment-providers/wechatpay", as: WechatPayRow.self)
        let alipay = try? await call.get("/api/v1/payment-providers/alipay", as: AlipayRow.self)
        let remove = { (provider: String) in [V.action(t[.removeProvider], "/admin/payments/\(provider)/delete", secondary: true)] }
        let wechatTable = wechat.map { found in
            V.table([t[.status], "mchid", "appid", "serial", "PUB_KEY_ID", t[.notifyURL]],
                    [V.row("wechatpay", [t[.providerConfigured], found.mchid, found.appid, found.merchantSerialNo, V.text(found.platformPublicKeyId),
                                         found.notifyUrl])])
        }
        let alipayTable = alipay.map { found in
            V.table([t[.status], "app_id", "seller_id", "gateway", t[.notifyURL]],
                    [V.row("alipay", [t[.providerConfigured], found.appId, V.text(found.sellerId), found.gatewayUrl, found.notifyUrl])])
        }
        return [
            V.section("wechatpay", t[.wechatPaySettings] + (wechat == nil ? " · " + t[.providerNotConfigured] : ""), note: t[.paymentsNote],
                      form: V.form("/admin/payments/wechatpay", submit: t[.save], fields: [
                          V.field("mchid", "mchid", value: wechat?.mchid ?? "", required: true),
                          V.field("appid", "appid", value: wechat?.appid ?? "", required: true),
                          V.field("merchant_serial_no", "merchant_serial_no", value: wechat?.merchantSerialNo ?? "", required: true),
                          V.field("apiclient_key.pem", "merchant_private_key", type: "textarea", hint: "-----BEGIN PRIVATE KEY-----", required: true),
                          V.field("APIv3", "api_v3_key", type: "password", required: true),
                          V.field("pub_key.pem", "platform_public_key", type: "textarea", hint: "-----BEGIN PUBLIC KEY-----"),
                          V.field("PUB_KEY_ID", "platform_public_key_id", value: wechat?.platformPublicKeyId ?? "", hint: "PUB_KEY_ID_…"),
                          V.field("wechatpay_*.pem", "platform_certificate", type: "textarea", hint: "-----BEGIN CERTIFICATE-----"),
                          V.field("api_base_url", "api_base_url", value: wechat?.apiBaseUrl ?? "", hint: WechatPayConfig.defaultBaseURL),
                      ]), actions: wechat == nil ? [] : remove("wechatpay"), table: wechatTable),
            V.section("alipay", t[.alipaySettings] + (alipay == nil ? " · " + t[.providerNotConfigured] : ""),
                      form: V.form("/admin/payments/alipay", submit: t[.save], fields: [
                          V.field("app_id", "app_id", value: alipay?.appId ?? "", required: true),
                          V.field("app_private_key", "app_private_key", type: "textarea", hint: "MIIEvQIBADANBg…", required: true),
                          V.field("alipay_public_key", "alipay_public_key", type: "textarea", hint: "MIIBIjANBgkqhkiG…", required: true),
                          V.field("seller_id", "seller_id", value: alipay?.sellerId ?? "", hint: "2088…"),
                          V.field("gateway_url", "gateway_url", value: alipay?.gatewayUrl ?? "", hint: AlipayConfig.defaultGatewayURL),
                      ]), actions: alipay == nil ? [] : remove("alipay"), table: alipayTable),
        ]
    }
}
