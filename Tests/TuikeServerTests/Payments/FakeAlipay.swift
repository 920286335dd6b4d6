import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HTTPTypes
import HummingbirdTesting
import Testing
import TuikeCore
@testable import TuikeServer
import _CryptoExtras

/// The fake Alipay gateway (`fake_alipay.py`, built on `python-alipay-sdk`) on loopback for one
/// test, with a fresh app key and platform key.
struct FakeAlipay: Sendable {
    let port: Int
    let appKey: _RSA.Signing.PrivateKey
    let platformPublicKeyPEM: String
    static let appID = "2021000000000000"
    static let sellerID = "2088102177846880"

    var gatewayURL: String { "http://127.0.0.1:\(port)/gateway.do" }

    /// The body of `PUT /api/v1/payment-providers/alipay`, keys given as the bare base64 Alipay's tools print.
    var settings: String {
        func bare(_ pem: String) -> String { pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined() }
        let fields = ["app_id": Self.appID, "app_private_key": bare(appKey.pkcs8PEMRepresentation), "alipay_public_key": bare(platformPublicKeyPEM),
                      "seller_id": Self.sellerID, "gateway_url": gatewayURL]
        return String(decoding: (try? JSONSerialization.data(withJSONObject: fields)) ?? Data(), as: UTF8.self)
    }

    static func with<T: Sendable>(_ body: @Sendable (FakeAlipay) async throws -> T) async throws -> T {
        let app = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let platform = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        return try await FakePlatform.run(script: "fake_alipay.py", config: [
            "app_id": appID, "seller_id": sellerID, "app_public_key": app.publicKey.pemRepresentation, "platform_private_key": platform.pkcs8PEMRepresentation,
        ]) { port in
            try await body(FakeAlipay(port: port, appKey: app, platformPublicKeyPEM: platform.publicKey.pemRepresentation))
        }
    }

    func control(_ path: String, _ body: [String: Any] = [:]) async throws -> [String: Any] {
        try await FakePlatform.control("http://127.0.0.1:\(port)" + path, body)
    }

    func state() async throws -> [String: Any] { try await control("/fake/state") }

    /// Opens a page-pay address as the buyer's browser does; the fake checks its signature.
    func open(_ url: String) async throws -> (status: Int, text: String) {
        let (data, response) = try await URLSession.shared.data(from: try #require(URL(string: url)))
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    /// The notification of the order's payment, as form fields signed by the fake.
    func pay(_ order: String, tamper: [String: String] = [:]) async throws -> [String: String] {
        let fields = try await control("/fake/pay", ["out_trade_no": order, "tamper": tamper])
        return fields.compactMapValues { $0 as? String }
    }

    static func deliver(_ fields: [String: String], to client: any TestClientProtocol) async throws -> TestResponse {
        try await client.send(.post, "/api/v1/payments/alipay/notify", headers: [.contentType: "application/x-www-form-urlencoded"],
                              body: FormEncoding.encode(fields))
    }
}
