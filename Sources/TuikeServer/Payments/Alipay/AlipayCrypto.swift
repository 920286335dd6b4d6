import Crypto
import Foundation
import TuikeCore
import _CryptoExtras

/// Alipay's open-platform signatures, RSA2 (RSA-SHA256, PKCS#1 v1.5, base64). A request is signed
/// over its parameters sorted by name as `k=v&k=v` (raw values, `sign` left out, empty values
/// left out); an asynchronous notification is verified the same way over the parameters received
/// (`sign` and `sign_type` left out); a synchronous response is verified over the raw text of its
/// `<method>_response` object exactly as received, never over a re-serialised copy.
enum AlipayCrypto {
    /// The text a parameter set is signed over.
    static func content(_ parameters: [String: String], leaving left: Set<String>) -> String {
        parameters.filter { !left.contains($0.key) && !$0.value.isEmpty }.sorted { $0.key < $1.key }
            .map { "\($0.key)=\($0.value)" }.joined(separator: "&")
    }

    /// The `sign` of a request's parameters (`sign_type` included, as Alipay signs it).
    static func sign(_ parameters: [String: String], key: _RSA.Signing.PrivateKey) throws -> String {
        try key.signature(for: Data(content(parameters, leaving: ["sign"]).utf8), padding: .insecurePKCS1v1_5).rawRepresentation.base64EncodedString()
    }

    /// Checks an asynchronous notification's parameters (form fields as received, decoded).
    static func verifyNotification(_ parameters: [String: String], key: _RSA.Signing.PublicKey) throws(TuikeError) {
        guard parameters["sign_type"].map({ $0 == "RSA2" }) ?? true else { throw refused("sign_type must be RSA2") }
        guard let sign = parameters["sign"] else { throw refused("the notification has no sign") }
        try check(sign, over: Data(content(parameters, leaving: ["sign", "sign_type"]).utf8), key: key)
    }

    /// Checks a synchronous response on its raw text: the signature covers the `responseKey`
    /// object's text as sent. Returns that object's raw text.
    static func verifyResponse(_ raw: Data, responseKey: String, key: _RSA.Signing.PublicKey) throws(TuikeError) -> Data {
        let json = (try? JSONSerialization.jsonObject(with: raw)) as? [String: Any]
        guard let sign = json?["sign"] as? String else { throw refused("the response has no sign") }
        guard let object = rawObject(named: responseKey, in: Array(raw)) else { throw refused("the response has no \(responseKey)") }
        let text = Data(object)
        try check(sign, over: text, key: key)
        return text
    }

    /// The raw bytes of the top-level member `name`'s object value: found by scanning the text
    /// with strings and escapes respected, so a brace inside a value cannot end it early.
    static func rawObject(named name: String, in bytes: [UInt8]) -> ArraySlice<UInt8>? {
        let quoted = Array("\"\(name)\"".utf8)
        var index = 0, depth = 0, inString = false
        while index < bytes.count {
            let byte = bytes[index]
            if inString {
                if byte == UInt8(ascii: "\\") { index += 2; continue }
                if byte == UInt8(ascii: "\"") { inString = false }
                index += 1
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                // A member name of the top-level object: is it ours, followed by `:` and `{`?
                if depth == 1, bytes.count - index >= quoted.count, Array(bytes[index..<(index + quoted.count)]) == quoted {
                    var next = index + quoted.count
                    while next < bytes.count, [UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"), UInt8(ascii: ":")].contains(bytes[next]) {
                        next += 1
                    }
                    if next < bytes.count, bytes[next] == UInt8(ascii: "{"), let end = objectEnd(from: next, in: bytes) { return bytes[next...end] }
                }
                inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
            default: break
            }
            index += 1
        }
        return nil
    }

    /// The index of the `}` that closes the object opening at `start`.
    static func objectEnd(from start: Int, in bytes: [UInt8]) -> Int? {
        var depth = 0, inString = false, index = start
        while index < bytes.count {
            let byte = bytes[index]
            if inString {
                if byte == UInt8(ascii: "\\") { index += 2; continue }
                if byte == UInt8(ascii: "\"") { inString = false }
            } else if byte == UInt8(ascii: "\"") {
                inString = true
            } else if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") {
                depth += 1
            } else if byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") {
                depth -= 1
                if depth == 0 { return index }
            }
            index += 1
        }
        return nil
    }

    static func check(_ sign: String, over message: Data, key: _RSA.Signing.PublicKey) throws(TuikeError) {
        guard let raw = Data(base64Encoded: sign) else { throw refused("the sign is not base64") }
        guard key.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: raw), for: message, padding: .insecurePKCS1v1_5) else {
            throw refused("the sign does not verify")
        }
    }

    static func refused(_ message: String) -> TuikeError { Signature.invalid(message) }
}
