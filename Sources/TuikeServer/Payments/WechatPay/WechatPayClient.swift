import Foundation
import TuikeCore
import _CryptoExtras

/// Signed calls to WeChat Pay API v3: each request carries the merchant's `Authorization`, each
/// successful answer must carry the platform's signature over its raw body, or it is not believed
/// (an answer nobody can vouch for is as good as none, so it is reported as unreachable and the
/// caller's record waits for a query).
struct WechatPayClient: Sendable {
    let config: WechatPayConfig
    let transport: any ProviderTransport
    let clock: any TuikeClock
    let timeoutSeconds: Double

    /// WeChat Pay's error answer.
    struct Failure: Decodable { let code: String?; let message: String? }

    /// The verified answer to a signed request. A 2xx answer is returned whole; an error answer
    /// throws: 5xx and WeChat Pay's own `SYSTEM_ERROR` mean the outcome is unknown
    /// (`ProviderUnreachable`), other errors are refusals (409 `provider_refused`) unless the
    /// caller lists the error code in `tolerating`, when the reply comes back for it to read.
    func call(_ method: String, _ path: String, body: Data? = nil, tolerating: Set<String> = [], headers extra: [String: String] = [:]) async throws -> ProviderReply {
        let timestamp = clock.now().milliseconds / 1000
        let authorization = try WechatPayCrypto.authorization(method: method, path: path, body: body ?? Data(), mchid: config.mchid,
                                                              serialNo: config.merchantSerialNo, key: config.privateKey,
                                                              timestamp: timestamp, nonce: Identifier.secret(length: 32))
        var headers = ["Authorization": authorization, "Accept": "application/json", "User-Agent": "Tuike"]
        if body != nil { headers["Content-Type"] = "application/json" }
        headers.merge(extra) { $1 }
        let reply = try await transport.send(method: method, url: config.baseURL + path, headers: headers, body: body, timeoutSeconds: timeoutSeconds)
        if (200..<300).contains(reply.status) {
            try verify(reply)
            return reply
        }
        let failure = try? JSONDecoder().decode(Failure.self, from: reply.body)
        let code = failure?.code ?? "HTTP_\(reply.status)"
        if reply.status >= 500 || code == "SYSTEM_ERROR" || code == "FREQUENCY_LIMITED" {
            throw ProviderUnreachable(provider: WechatPayConfig.provider, reason: "\(code) \(failure?.message ?? "")")
        }
        if tolerating.contains(code) { return reply }
        throw TuikeError(.conflict, code: "provider_refused", "WeChat Pay refused: \(code) \(failure?.message ?? "")")
    }

    /// Encodes `body`, calls, and decodes the verified answer.
    func call<Answer: Decodable>(_ method: String, _ path: String, json body: (some Encodable)?, answer: Answer.Type,
                                 headers: [String: String] = [:]) async throws -> Answer {
        let reply = try await call(method, path, body: try body.map { try JSONEncoder().encode($0) }, headers: headers)
        do {
            return try JSONDecoder().decode(Answer.self, from: reply.body)
        } catch {
            throw ProviderUnreachable(provider: WechatPayConfig.provider, reason: "an answer Tuike cannot read: \(error)")
        }
    }

    func verify(_ reply: ProviderReply) throws {
        guard let timestamp = reply.header("Wechatpay-Timestamp"), let nonce = reply.header("Wechatpay-Nonce"),
              let signature = reply.header("Wechatpay-Signature"), let serial = reply.header("Wechatpay-Serial") else {
            throw ProviderUnreachable(provider: WechatPayConfig.provider, reason: "an answer without the platform's signature")
        }
        do {
            try WechatPayCrypto.verify(timestamp: timestamp, nonce: nonce, body: reply.body, signature: signature, serial: serial,
                                       keys: config.platformKeys, now: clock.now())
        } catch {
            throw ProviderUnreachable(provider: WechatPayConfig.provider, reason: "an answer whose signature did not verify: \(error.message)")
        }
    }

    /// A sensitive field (a payee's name) as WeChat Pay takes it: RSA-OAEP (SHA-1) with a platform
    /// key, base64, sent with that key's serial in `Wechatpay-Serial`. The public key is preferred
    /// to a certificate, as WeChat Pay asks of merchants that have one.
    func encrypt(_ text: String) throws -> (ciphertext: String, serial: String) {
        guard let (serial, key) = config.platformKeys.sorted(by: { ($0.key.hasPrefix("PUB_KEY_ID") ? 0 : 1, $0.key) < ($1.key.hasPrefix("PUB_KEY_ID") ? 0 : 1, $1.key) }).first else {
            throw TuikeError(.conflict, code: "provider_not_configured", "WeChat Pay has no platform key to encrypt with")
        }
        let encryptionKey = try _RSA.Encryption.PublicKey(derRepresentation: key.derRepresentation)
        return (try encryptionKey.encrypt(Data(text.utf8), padding: .PKCS1_OAEP).base64EncodedString(), serial)
    }
}
