import Crypto
import Foundation
import TuikeCore

/// The Standard Webhooks signature (standardwebhooks.com), which stock libraries verify:
/// `webhook-id` (the event's id, the same on every retry, for deduplication), `webhook-timestamp`
/// (unix seconds) and `webhook-signature`, space-separated `v1,<base64 HMAC-SHA256>` of
/// `id.timestamp.body`, one per secret that signs (two during a rotation). The key is the base64
/// after `whsec_`.
enum StandardWebhooks {
    static let idHeader = "webhook-id"
    static let timestampHeader = "webhook-timestamp"
    static let signatureHeader = "webhook-signature"

    /// The three headers for one delivery.
    static func headers(id: String, body: Data, secrets: [String], at now: Instant) -> [String: String] {
        let timestamp = now.milliseconds / 1000
        return [idHeader: id, timestampHeader: String(timestamp),
                signatureHeader: secrets.map { signature(id: id, timestamp: timestamp, body: body, secret: $0) }.joined(separator: " ")]
    }

    static func signature(id: String, timestamp: Int64, body: Data, secret: String) -> String {
        var message = Data("\(id).\(timestamp).".utf8)
        message.append(body)
        return "v1," + Data(HMAC<SHA256>.authenticationCode(for: message, using: key(secret))).base64EncodedString()
    }

    /// The secret's key: the bytes its base64 names. Every secret Tuike made is base64 (the
    /// earliest were 32 base62 characters, which read as base64 too); anything else signs with
    /// its UTF-8 bytes rather than not at all.
    static func key(_ secret: String) -> SymmetricKey {
        let encoded = secret.hasPrefix("whsec_") ? String(secret.dropFirst("whsec_".count)) : secret
        return SymmetricKey(data: Data(base64Encoded: encoded) ?? Data(secret.utf8))
    }
}
