import Foundation
import TuikeCore
import TuikeStore
import _CryptoExtras

/// A merchant's WeChat Pay API v3 account, parsed and checked: the keys are keys, the ids have
/// WeChat Pay's shapes. Built when saved (so a key that does not parse is refused then, with the
/// field named) and again from the sealed row on each use, so every instance sees a change at once.
struct WechatPayConfig: Sendable {
    static let provider = "wechatpay"
    static let defaultBaseURL = "https://api.mch.weixin.qq.com"
    static let notifyPath = "/api/v1/payments/wechatpay/notify"

    let mchid: String
    let appid: String
    let merchantSerialNo: String
    let privateKey: _RSA.Signing.PrivateKey
    let apiV3Key: String
    /// The platform's verification keys by the serial its signatures name: the WeChat Pay public
    /// key under its `PUB_KEY_ID_…`.
    let platformKeys: [String: _RSA.Signing.PublicKey]
    let baseURL: String

    /// The fields an owner sends (`PUT /api/v1/payment-providers/wechatpay`), PEM as text.
    struct Input: RequestBody, Codable {
        let mchid: String
        let appid: String
        let merchantSerialNo: String
        let merchantPrivateKey: String
        let apiV3Key: String
        let platformPublicKey: String
        let platformPublicKeyId: String
        let apiBaseUrl: String?
        typealias Keys = CodingKeys
        enum CodingKeys: String, CodingKey, CaseIterable {
            case mchid, appid, merchantSerialNo = "merchant_serial_no", merchantPrivateKey = "merchant_private_key", apiV3Key = "api_v3_key"
            case platformPublicKey = "platform_public_key", platformPublicKeyId = "platform_public_key_id", apiBaseUrl = "api_base_url"
        }
    }

    /// What is stored in clear and shown back: everything but the private key and the API v3 key.
    struct Settings: Codable, Sendable {
        let mchid: String
        let appid: String
        let merchantSerialNo: String
        let platformPublicKey: String
        let platformPublicKeyId: String
        let apiBaseUrl: String
        enum CodingKeys: String, CodingKey {
            case mchid, appid, merchantSerialNo = "merchant_serial_no", platformPublicKey = "platform_public_key"
            case platformPublicKeyId = "platform_public_key_id", apiBaseUrl = "api_base_url"
        }
    }

    struct Secrets: Codable, Sendable {
        let merchantPrivateKey: String
        let apiV3Key: String
        enum CodingKeys: String, CodingKey { case merchantPrivateKey = "merchant_private_key", apiV3Key = "api_v3_key" }
    }

    /// Checks every field; the first that is wrong is named in a 422.
    static func validated(_ input: Input) throws(TuikeError) -> (WechatPayConfig, Settings, Secrets) {
        func check(_ ok: Bool, _ message: String) throws(TuikeError) { if !ok { throw TuikeError.validation(message) } }
        func token(_ text: String, max: Int, _ allowed: (Character) -> Bool) -> Bool {
            (1...max).contains(text.count) && text.allSatisfy { $0.isASCII && allowed($0) }
        }
        try check(token(input.mchid, max: 32) { $0.isNumber }, "mchid must be the merchant number, 1–32 digits")
        try check(token(input.appid, max: 32) { $0.isLetter || $0.isNumber }, "appid must be 1–32 letters and digits")
        try check(token(input.merchantSerialNo, max: 64) { $0.isHexDigit }, "merchant_serial_no must be the certificate serial, 1–64 hex digits")
        try check(token(input.platformPublicKeyId, max: 64) { $0.isLetter || $0.isNumber || $0 == "_" },
                  "platform_public_key_id must be the key's id, such as PUB_KEY_ID_0114232134912410000000000000")
        try check(input.apiV3Key.utf8.count == 32 && input.apiV3Key.allSatisfy { $0.isASCII && !$0.isWhitespace },
                  "api_v3_key must be the 32-character API v3 key")
        let baseURL = (input.apiBaseUrl ?? defaultBaseURL).trimmingSuffix("/")
        try check(baseURL.count <= 200 && (baseURL.hasPrefix("https://") || baseURL.hasPrefix("http://")) && URL(string: baseURL)?.host != nil,
                  "api_base_url must be an http(s) URL")
        guard input.merchantPrivateKey.count <= 16_384, let privateKey = try? _RSA.Signing.PrivateKey(pemRepresentation: input.merchantPrivateKey) else {
            throw TuikeError.validation("merchant_private_key must be the merchant's RSA private key in PEM (apiclient_key.pem)")
        }
        try check(privateKey.keySizeInBits >= 2048, "merchant_private_key must be an RSA key of at least 2048 bits")
        if input.platformPublicKey.contains("BEGIN CERTIFICATE") {
            throw TuikeError.validation("platform_public_key must be the WeChat Pay public key (pub_key.pem), not a certificate")
        }
        guard input.platformPublicKey.count <= 16_384, let publicKey = try? _RSA.Signing.PublicKey(pemRepresentation: input.platformPublicKey) else {
            throw TuikeError.validation("platform_public_key must be the WeChat Pay public key in PEM (pub_key.pem)")
        }
        let settings = Settings(mchid: input.mchid, appid: input.appid, merchantSerialNo: input.merchantSerialNo, platformPublicKey: input.platformPublicKey,
                                platformPublicKeyId: input.platformPublicKeyId, apiBaseUrl: baseURL)
        let secrets = Secrets(merchantPrivateKey: input.merchantPrivateKey, apiV3Key: input.apiV3Key)
        let config = WechatPayConfig(mchid: input.mchid, appid: input.appid, merchantSerialNo: input.merchantSerialNo, privateKey: privateKey,
                                     apiV3Key: input.apiV3Key, platformKeys: [input.platformPublicKeyId: publicKey], baseURL: baseURL)
        return (config, settings, secrets)
    }

    /// The saved account, or nil when WeChat Pay is not set up.
    static func load(from providers: PaymentProviderRepository) async throws -> WechatPayConfig? {
        guard let stored = try await providers.find(provider) else { return nil }
        let decoder = JSONDecoder()
        let settings = try decoder.decode(Settings.self, from: Data(stored.settings.utf8))
        let secrets = try decoder.decode(Secrets.self, from: Data(stored.secrets.utf8))
        return try validated(Input(mchid: settings.mchid, appid: settings.appid, merchantSerialNo: settings.merchantSerialNo,
                                   merchantPrivateKey: secrets.merchantPrivateKey, apiV3Key: secrets.apiV3Key, platformPublicKey: settings.platformPublicKey,
                                   platformPublicKeyId: settings.platformPublicKeyId, apiBaseUrl: settings.apiBaseUrl)).0
    }

    /// Refuses a call when WeChat Pay is not set up.
    static func required(from providers: PaymentProviderRepository) async throws -> WechatPayConfig {
        guard let config = try await load(from: providers) else {
            throw TuikeError(.conflict, code: "provider_not_configured", "WeChat Pay is not set up: PUT /api/v1/payment-providers/wechatpay first")
        }
        return config
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        var text = self
        while text.hasSuffix(suffix) { text.removeLast(suffix.count) }
        return text
    }
}
