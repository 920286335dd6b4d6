import Foundation
import TuikeCore
import TuikeStore
import _CryptoExtras

/// A merchant's Alipay open-platform app (RSA2 keys in the public-key mode), parsed and checked
/// on save and on each use, like WeChat Pay's.
struct AlipayConfig: Sendable {
    static let provider = "alipay"
    static let defaultGatewayURL = "https://openapi.alipay.com/gateway.do"
    static let notifyPath = "/api/v1/payments/alipay/notify"

    let appID: String
    let privateKey: _RSA.Signing.PrivateKey
    let alipayPublicKey: _RSA.Signing.PublicKey
    /// The merchant's Alipay account (`2088…`); when set, notifications for another seller are refused.
    let sellerID: String?
    let gatewayURL: String

    struct Input: RequestBody, Codable {
        let appId: String
        let appPrivateKey: String
        let alipayPublicKey: String
        let sellerId: String?
        let gatewayUrl: String?
        typealias Keys = CodingKeys
        enum CodingKeys: String, CodingKey, CaseIterable {
            case appId = "app_id", appPrivateKey = "app_private_key", alipayPublicKey = "alipay_public_key", sellerId = "seller_id"
            case gatewayUrl = "gateway_url"
        }
    }

    struct Settings: Codable, Sendable {
        let appId: String
        let alipayPublicKey: String
        let sellerId: String?
        let gatewayUrl: String
        enum CodingKeys: String, CodingKey { case appId = "app_id", alipayPublicKey = "alipay_public_key", sellerId = "seller_id", gatewayUrl = "gateway_url" }
    }

    struct Secrets: Codable, Sendable {
        let appPrivateKey: String
        enum CodingKeys: String, CodingKey { case appPrivateKey = "app_private_key" }
    }

    static func validated(_ input: Input) throws(TuikeError) -> (AlipayConfig, Settings, Secrets) {
        func check(_ ok: Bool, _ message: String) throws(TuikeError) { if !ok { throw TuikeError.validation(message) } }
        try check((1...32).contains(input.appId.count) && input.appId.allSatisfy { $0.isASCII && $0.isNumber }, "app_id must be the app's id, 1–32 digits")
        if let seller = input.sellerId {
            try check(seller.count == 16 && seller.hasPrefix("2088") && seller.allSatisfy { $0.isASCII && $0.isNumber },
                      "seller_id must be the merchant's Alipay user id, 16 digits starting with 2088")
        }
        let gateway = input.gatewayUrl ?? defaultGatewayURL
        try check(gateway.count <= 200 && (gateway.hasPrefix("https://") || gateway.hasPrefix("http://")) && URL(string: gateway)?.host != nil,
                  "gateway_url must be an http(s) URL")
        // A bare key is PKCS#8 from Alipay's tool for Java, PKCS#1 from the one for other languages.
        guard input.appPrivateKey.count <= 16_384,
              let privateKey = ["PRIVATE KEY", "RSA PRIVATE KEY"].lazy
                .compactMap({ try? _RSA.Signing.PrivateKey(pemRepresentation: PEMText.wrap(input.appPrivateKey, as: $0)) }).first else {
            throw TuikeError.validation("app_private_key must be the app's RSA2 private key (PEM, or the bare base64 Alipay's key tool shows)")
        }
        try check(privateKey.keySizeInBits >= 2048, "app_private_key must be an RSA key of at least 2048 bits")
        if input.alipayPublicKey.contains("BEGIN CERTIFICATE") {
            throw TuikeError.validation("alipay_public_key must be Alipay's public key (public-key mode), not a certificate")
        }
        guard input.alipayPublicKey.count <= 16_384,
              let publicKey = try? _RSA.Signing.PublicKey(pemRepresentation: PEMText.wrap(input.alipayPublicKey, as: "PUBLIC KEY")) else {
            throw TuikeError.validation("alipay_public_key must be Alipay's RSA2 public key (PEM, or the bare base64 Alipay's console shows)")
        }
        let settings = Settings(appId: input.appId, alipayPublicKey: input.alipayPublicKey, sellerId: input.sellerId, gatewayUrl: gateway)
        return (AlipayConfig(appID: input.appId, privateKey: privateKey, alipayPublicKey: publicKey, sellerID: input.sellerId, gatewayURL: gateway),
                settings, Secrets(appPrivateKey: input.appPrivateKey))
    }

    static func load(from providers: PaymentProviderRepository) async throws -> AlipayConfig? {
        guard let stored = try await providers.find(provider) else { return nil }
        let settings = try JSONDecoder().decode(Settings.self, from: Data(stored.settings.utf8))
        let secrets = try JSONDecoder().decode(Secrets.self, from: Data(stored.secrets.utf8))
        return try validated(Input(appId: settings.appId, appPrivateKey: secrets.appPrivateKey, alipayPublicKey: settings.alipayPublicKey,
                                   sellerId: settings.sellerId, gatewayUrl: settings.gatewayUrl)).0
    }

    static func required(from providers: PaymentProviderRepository) async throws -> AlipayConfig {
        guard let config = try await load(from: providers) else {
            throw TuikeError(.conflict, code: "provider_not_configured", "Alipay is not set up: PUT /api/v1/payment-providers/alipay first")
        }
        return config
    }
}

/// Keys as merchants paste them: PEM, or the bare base64 body Alipay's tools print.
enum PEMText {
    static func wrap(_ text: String, as label: String) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("-----BEGIN") { return trimmed }
        let body = trimmed.filter { !$0.isWhitespace }
        var lines: [String] = []
        var rest = Substring(body)
        while !rest.isEmpty {
            lines.append(String(rest.prefix(64)))
            rest = rest.dropFirst(64)
        }
        return "-----BEGIN \(label)-----\n" + lines.joined(separator: "\n") + "\n-----END \(label)-----"
    }
}
