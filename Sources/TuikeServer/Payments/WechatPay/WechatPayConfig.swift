import Foundation
import TuikeCore
import TuikeStore
import X509
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
    /// key under its `PUB_KEY_ID_…`, and each platform certificate's key under the certificate's
    /// serial, until it expires (during the move from certificates to the public key WeChat Pay
    /// signs with either).
    let platformKeys: [String: _RSA.Signing.PublicKey]
    let baseURL: String

    /// The fields an owner sends (`PUT /api/v1/payment-providers/wechatpay`), PEM as text.
    struct Input: RequestBody, Codable {
        let mchid: String
        let appid: String
        let merchantSerialNo: String
        let merchantPrivateKey: String
        let apiV3Key: String
        let platformPublicKey: String?
        let platformPublicKeyId: String?
        let platformCertificates: [String]?
        let apiBaseUrl: String?
        typealias Keys = CodingKeys
        enum CodingKeys: String, CodingKey, CaseIterable {
            case mchid, appid, merchantSerialNo = "merchant_serial_no", merchantPrivateKey = "merchant_private_key", apiV3Key = "api_v3_key"
            case platformPublicKey = "platform_public_key", platformPublicKeyId = "platform_public_key_id"
            case platformCertificates = "platform_certificates", apiBaseUrl = "api_base_url"
        }
    }

    /// What is stored in clear and shown back: everything but the private key and the API v3 key.
    struct Settings: Codable, Sendable {
        let mchid: String
        let appid: String
        let merchantSerialNo: String
        let platformPublicKey: String?
        let platformPublicKeyId: String?
        let platformCertificates: [String]?
        let apiBaseUrl: String
        enum CodingKeys: String, CodingKey {
            case mchid, appid, merchantSerialNo = "merchant_serial_no", platformPublicKey = "platform_public_key"
            case platformPublicKeyId = "platform_public_key_id", platformCertificates = "platform_certificates", apiBaseUrl = "api_base_url"
        }
    }

    struct Secrets: Codable, Sendable {
        let merchantPrivateKey: String
        let apiV3Key: String
        enum CodingKeys: String, CodingKey { case merchantPrivateKey = "merchant_private_key", apiV3Key = "api_v3_key" }
    }

    /// The most platform certificates kept at once (WeChat Pay has one or two in force).
    static let maxCertificates = 5

    /// Checks every field; the first that is wrong is named in a 422. `now` given (on save), a
    /// platform certificate that has expired is refused; without it (on use), an expired one is
    /// left out, so WeChat Pay's signatures under it are refused from then on.
    static func validated(_ input: Input, savingAt now: Instant? = nil, usingAt use: Instant? = nil) throws(TuikeError) -> (WechatPayConfig, Settings, Secrets) {
        func check(_ ok: Bool, _ message: String) throws(TuikeError) { if !ok { throw TuikeError.validation(message) } }
        func token(_ text: String, max: Int, _ allowed: (Character) -> Bool) -> Bool {
            (1...max).contains(text.count) && text.allSatisfy { $0.isASCII && allowed($0) }
        }
        try check(token(input.mchid, max: 32) { $0.isNumber }, "mchid must be the merchant number, 1–32 digits")
        try check(token(input.appid, max: 32) { $0.isLetter || $0.isNumber }, "appid must be 1–32 letters and digits")
        try check(token(input.merchantSerialNo, max: 64) { $0.isHexDigit }, "merchant_serial_no must be the certificate serial, 1–64 hex digits")
        try check(input.apiV3Key.utf8.count == 32 && input.apiV3Key.allSatisfy { $0.isASCII && !$0.isWhitespace },
                  "api_v3_key must be the 32-character API v3 key")
        let baseURL = (input.apiBaseUrl ?? defaultBaseURL).trimmingSuffix("/")
        try check(baseURL.count <= 200 && (baseURL.hasPrefix("https://") || baseURL.hasPrefix("http://")) && URL(string: baseURL)?.host != nil,
                  "api_base_url must be an http(s) URL")
        guard input.merchantPrivateKey.count <= 16_384, let privateKey = try? _RSA.Signing.PrivateKey(pemRepresentation: input.merchantPrivateKey) else {
            throw TuikeError.validation("merchant_private_key must be the merchant's RSA private key in PEM (apiclient_key.pem)")
        }
        try check(privateKey.keySizeInBits >= 2048, "merchant_private_key must be an RSA key of at least 2048 bits")
        var keys: [String: _RSA.Signing.PublicKey] = [:]
        if input.platformPublicKey != nil || input.platformPublicKeyId != nil {
            guard let id = input.platformPublicKeyId, token(id, max: 64, { $0.isLetter || $0.isNumber || $0 == "_" }) else {
                throw TuikeError.validation("platform_public_key_id must be the key's id, such as PUB_KEY_ID_0114232134912410000000000000")
            }
            guard let pem = input.platformPublicKey, !pem.contains("BEGIN CERTIFICATE") else {
                throw TuikeError.validation("platform_public_key must be the WeChat Pay public key (pub_key.pem); certificates go in platform_certificates")
            }
            guard pem.count <= 16_384, let key = try? _RSA.Signing.PublicKey(pemRepresentation: pem) else {
                throw TuikeError.validation("platform_public_key must be the WeChat Pay public key in PEM (pub_key.pem)")
            }
            keys[id] = key
        }
        let certificates = input.platformCertificates ?? []
        try check(certificates.count <= maxCertificates, "platform_certificates takes at most \(maxCertificates) certificates")
        for pem in certificates {
            guard pem.count <= 16_384, let certificate = try? Certificate(pemEncoded: pem), let key = _RSA.Signing.PublicKey(certificate.publicKey) else {
                throw TuikeError.validation("platform_certificates must hold WeChat Pay platform certificates in PEM (RSA)")
            }
            let serial = certificate.serialNumber.bytes.map { String(format: "%02X", $0) }.joined()
            let expires = Instant(milliseconds: Int64(certificate.notValidAfter.timeIntervalSince1970 * 1_000))
            if let now, expires <= now {
                throw TuikeError.validation("platform_certificates: the certificate \(serial) expired at \(expires.rfc3339); download the current one")
            }
            if let use, expires <= use { continue }
            keys[serial] = key
        }
        try check(!keys.isEmpty || (use != nil && !certificates.isEmpty),
                  "platform_public_key and platform_public_key_id (or platform_certificates) are required to check WeChat Pay's signatures")
        let settings = Settings(mchid: input.mchid, appid: input.appid, merchantSerialNo: input.merchantSerialNo, platformPublicKey: input.platformPublicKey,
                                platformPublicKeyId: input.platformPublicKeyId, platformCertificates: input.platformCertificates, apiBaseUrl: baseURL)
        let secrets = Secrets(merchantPrivateKey: input.merchantPrivateKey, apiV3Key: input.apiV3Key)
        let config = WechatPayConfig(mchid: input.mchid, appid: input.appid, merchantSerialNo: input.merchantSerialNo, privateKey: privateKey,
                                     apiV3Key: input.apiV3Key, platformKeys: keys, baseURL: baseURL)
        return (config, settings, secrets)
    }

    /// The saved account, or nil when WeChat Pay is not set up.
    static func load(from providers: PaymentProviderRepository, at now: Instant) async throws -> WechatPayConfig? {
        guard let stored = try await providers.find(provider) else { return nil }
        let decoder = JSONDecoder()
        let settings = try decoder.decode(Settings.self, from: Data(stored.settings.utf8))
        let secrets = try decoder.decode(Secrets.self, from: Data(stored.secrets.utf8))
        return try validated(Input(mchid: settings.mchid, appid: settings.appid, merchantSerialNo: settings.merchantSerialNo,
                                   merchantPrivateKey: secrets.merchantPrivateKey, apiV3Key: secrets.apiV3Key, platformPublicKey: settings.platformPublicKey,
                                   platformPublicKeyId: settings.platformPublicKeyId, platformCertificates: settings.platformCertificates,
                                   apiBaseUrl: settings.apiBaseUrl), usingAt: now).0
    }

    /// Refuses a call when WeChat Pay is not set up.
    static func required(from providers: PaymentProviderRepository, at now: Instant) async throws -> WechatPayConfig {
        guard let config = try await load(from: providers, at: now) else {
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
