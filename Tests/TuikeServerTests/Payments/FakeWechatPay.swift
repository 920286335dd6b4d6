import Foundation
#if canImport(Glibc)
import Glibc
#endif
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HTTPTypes
import HummingbirdTesting
import Testing
import TuikeCore
@testable import TuikeServer
import _CryptoExtras

/// The fake WeChat Pay platform (`fake_wechatpay.py`, built on the `wechatpayv3` SDK) running on
/// loopback for one test, with a fresh merchant key and platform key.
struct FakeWechatPay: Sendable {
    let port: Int
    let merchantKeyPEM: String
    let merchantPublicKey: _RSA.Signing.PublicKey
    static let mchid = "1230000109"
    static let appid = "wxd678efh567hg6787"
    static let serialNo = "5157F09EFDC096DE15EBE81A47057A72"
    static let publicKeyID = "PUB_KEY_ID_0114232134912410000000000000"
    static let apiV3Key = "0123456789abcdefghijklmnopqrstuv"
    let platformPublicKeyPEM: String
    /// The platform's key, for tests that issue it a platform certificate.
    let platformKey: _RSA.Signing.PrivateKey

    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// The body of `PUT /api/v1/payment-providers/wechatpay` pointing Tuike at this fake.
    var settings: String {
        let fields: [String: String] = [
            "mchid": Self.mchid, "appid": Self.appid, "merchant_serial_no": Self.serialNo, "merchant_private_key": merchantKeyPEM,
            "api_v3_key": Self.apiV3Key, "platform_public_key": platformPublicKeyPEM, "platform_public_key_id": Self.publicKeyID, "api_base_url": baseURL,
        ]
        return String(decoding: (try? JSONSerialization.data(withJSONObject: fields)) ?? Data(), as: UTF8.self)
    }

    static func with<T: Sendable>(_ body: @Sendable (FakeWechatPay) async throws -> T) async throws -> T {
        let merchant = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let platform = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        return try await FakePlatform.run(script: "fake_wechatpay.py", config: [
            "mchid": mchid, "appid": appid, "merchant_serial_no": serialNo, "platform_public_key_id": publicKeyID, "api_v3_key": apiV3Key,
            "merchant_public_key": merchant.publicKey.pemRepresentation, "platform_private_key": platform.pkcs8PEMRepresentation,
        ]) { port in
            try await body(FakeWechatPay(port: port, merchantKeyPEM: merchant.pkcs8PEMRepresentation, merchantPublicKey: merchant.publicKey,
                                         platformPublicKeyPEM: platform.publicKey.pemRepresentation, platformKey: platform))
        }
    }

    func control(_ path: String, _ body: [String: Any] = [:]) async throws -> [String: Any] {
        try await FakePlatform.control(baseURL + path, body)
    }

    /// A notification as the fake built it: its headers and body, to deliver as the test likes.
    struct Notification: Sendable {
        var headers: [String: String]
        var body: String

        init(_ json: [String: Any]) throws {
            headers = try #require(json["headers"] as? [String: String])
            body = try #require(json["body"] as? String)
        }

        func deliver(to client: any TestClientProtocol) async throws -> TestResponse {
            var fields: HTTPFields = [.contentType: "application/json"]
            for (name, value) in headers { if let name = HTTPField.Name(name) { fields[name] = value } }
            return try await client.send(.post, "/api/v1/payments/wechatpay/notify", headers: fields, body: body)
        }
    }

    func pay(_ order: String, tamper: [String: Any] = [:], offset: Int = 0) async throws -> Notification {
        try Notification(try await control("/fake/pay", ["out_trade_no": order, "tamper": tamper, "offset": offset]))
    }

    /// The fake's requests from Tuike, each with whether its signature verified.
    func requests() async throws -> [[String: Any]] { try await control("/fake/state")["requests"] as? [[String: Any]] ?? [] }
    func state() async throws -> [String: Any] { try await control("/fake/state") }
}

/// Runs a fake platform script from this folder on loopback for the length of `body`.
enum FakePlatform {
    static func run<T: Sendable>(script: String, config: [String: String], _ body: @Sendable (Int) async throws -> T) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fake-platform-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("config.json")
        try JSONSerialization.data(withJSONObject: config).write(to: file)
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(script).path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", path, file.path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        // SIGKILL: the test runner's threads block SIGTERM, and its children inherit the mask.
        defer { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let port = try #require(Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)), "\(script) did not start")
        return try await body(port)
    }

    /// Calls a control path of a fake; its JSON answer.
    static func control(_ url: String, _ body: [String: Any] = [:]) async throws -> [String: Any] {
        var request = URLRequest(url: try #require(URL(string: url)))
        request.httpMethod = url.hasSuffix("/fake/state") ? "GET" : "POST"
        if request.httpMethod == "POST" { request.httpBody = try JSONSerialization.data(withJSONObject: body) }
        let (data, _) = try await URLSession.shared.data(for: request)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }
}
