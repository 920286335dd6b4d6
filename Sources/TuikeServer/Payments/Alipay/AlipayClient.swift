import Foundation
import TuikeCore

/// Calls to Alipay's open-platform gateway: the common parameters signed with the app's RSA2
/// key; each answer verified over its raw text with Alipay's public key before it is read. An
/// answer that does not verify, or Alipay's own "try later" (`20000`, `…SYSTEM_ERROR`), means
/// the outcome is unknown (`ProviderUnreachable`).
struct AlipayClient: Sendable {
    let config: AlipayConfig
    let transport: any ProviderTransport
    let clock: any TuikeClock
    let timeoutSeconds: Double

    /// The common parameters of a call of `method`, `biz` as its `biz_content`, signed.
    func signedParameters(method: String, biz: Data, extra: [String: String] = [:]) throws -> [String: String] {
        var parameters = ["app_id": config.appID, "method": method, "format": "JSON", "charset": "utf-8", "sign_type": "RSA2",
                          "timestamp": BeijingTime.plain(clock.now()), "version": "1.0", "biz_content": String(decoding: biz, as: UTF8.self)]
        parameters.merge(extra) { $1 }
        parameters["sign"] = try AlipayCrypto.sign(parameters, key: config.privateKey)
        return parameters
    }

    /// Where to send the buyer (page and wap pay): the gateway with the signed parameters.
    func pageURL(method: String, biz: some Encodable, extra: [String: String]) throws -> String {
        let parameters = try signedParameters(method: method, biz: try JSONEncoder().encode(biz), extra: extra)
        return config.gatewayURL + "?" + FormEncoding.encode(parameters)
    }

    /// Alipay's answer: its code (`10000` is success), its sub-code, and the answer object's raw text.
    struct Answer: Sendable {
        let code: String
        let subCode: String?
        let message: String
        let body: Data
        var succeeded: Bool { code == "10000" }

        var refusal: TuikeError { TuikeError(.conflict, code: "provider_refused", "Alipay refused: \(subCode ?? code) \(message)") }
    }

    private struct Head: Decodable {
        let code: String?
        let msg: String?
        let subCode: String?
        let subMsg: String?
        enum CodingKeys: String, CodingKey { case code, msg, subCode = "sub_code", subMsg = "sub_msg" }
    }

    func call(_ method: String, biz: some Encodable) async throws -> Answer {
        let parameters = try signedParameters(method: method, biz: try JSONEncoder().encode(biz))
        let reply = try await transport.send(method: "POST", url: config.gatewayURL,
                                             headers: ["Content-Type": "application/x-www-form-urlencoded;charset=utf-8", "Accept": "application/json"],
                                             body: Data(FormEncoding.encode(parameters).utf8), timeoutSeconds: timeoutSeconds)
        guard reply.status == 200 else { throw ProviderUnreachable(provider: AlipayConfig.provider, reason: "HTTP \(reply.status)") }
        let object: Data
        do {
            object = try AlipayCrypto.verifyResponse(reply.body, responseKey: method.replacingOccurrences(of: ".", with: "_") + "_response",
                                                     key: config.alipayPublicKey)
        } catch {
            throw ProviderUnreachable(provider: AlipayConfig.provider, reason: "an answer whose sign did not verify: \(error.message)")
        }
        guard let head = try? JSONDecoder().decode(Head.self, from: object), let code = head.code else {
            throw ProviderUnreachable(provider: AlipayConfig.provider, reason: "an answer without a code")
        }
        if code == "20000" || head.subCode?.hasSuffix("SYSTEM_ERROR") == true {
            throw ProviderUnreachable(provider: AlipayConfig.provider, reason: "\(head.subCode ?? code) \(head.subMsg ?? head.msg ?? "")")
        }
        return Answer(code: code, subCode: head.subCode, message: head.subMsg ?? head.msg ?? "", body: object)
    }

    /// Decodes an answer's object; one Tuike cannot read is an unknown outcome.
    static func read<T: Decodable>(_ type: T.Type, _ answer: Answer) throws -> T {
        do { return try JSONDecoder().decode(type, from: answer.body) } catch {
            throw ProviderUnreachable(provider: AlipayConfig.provider, reason: "an answer Tuike cannot read: \(error)")
        }
    }
}
