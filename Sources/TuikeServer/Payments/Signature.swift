import Crypto
import Foundation
import HTTPTypes
import TuikeCore

/// Stripe-style signatures for callbacks and webhooks: `Tuike-Signature: t=<unix seconds>,v1=<hex
/// HMAC-SHA256 of "t.body">`, accepted within a tolerance of the receiver's clock.
enum Signature {
    static let header = "Tuike-Signature"
    static let headerName = HTTPField.Name("Tuike-Signature")!
    static let toleranceSeconds: Int64 = 300

    static func sign(body: Data, secret: String, at now: Instant) -> String { sign(body: body, secrets: [secret], at: now) }

    /// One `v1` per secret (a webhook endpoint's two during a rotation).
    static func sign(body: Data, secrets: [String], at now: Instant) -> String {
        let timestamp = now.milliseconds / 1000
        return "t=\(timestamp)" + secrets.map { ",v1=\(mac(body: body, secret: $0, timestamp: timestamp))" }.joined()
    }

    static func mac(body: Data, secret: String, timestamp: Int64) -> String {
        var message = Data("\(timestamp).".utf8)
        message.append(body)
        return HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Data(secret.utf8))).map { String(format: "%02x", $0) }.joined()
    }

    /// Throws 400 `invalid_signature` unless some `v1` matches and `t` is within the tolerance.
    static func verify(header: String?, body: Data, secret: String, now: Instant) throws(TuikeError) {
        guard let header else { throw invalid("the \(Signature.header) header is missing") }
        var timestamp: Int64?
        var candidates: [String] = []
        for part in header.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2 else { continue }
            if pair[0] == "t" { timestamp = Int64(pair[1]) } else if pair[0] == "v1" { candidates.append(pair[1]) }
        }
        guard let timestamp, !candidates.isEmpty else { throw invalid("the signature header must be t=<unix>,v1=<hex>") }
        // A range around now, not abs(now - t): t is the caller's, and now - Int64.min traps.
        let seconds = now.milliseconds / 1000
        guard (seconds - toleranceSeconds...seconds + toleranceSeconds).contains(timestamp) else { throw invalid("the signature's time is more than \(toleranceSeconds) seconds from now") }
        let expected = Array(mac(body: body, secret: secret, timestamp: timestamp).utf8)
        // Compare in constant time so the MAC cannot be guessed byte by byte.
        let matches = candidates.contains { candidate in
            let bytes = Array(candidate.utf8)
            return bytes.count == expected.count && zip(bytes, expected).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
        }
        guard matches else { throw invalid("the signature does not match") }
    }

    static func invalid(_ message: String) -> TuikeError { TuikeError(.malformed, code: "invalid_signature", message) }
}
