import Foundation
import SQLKit
import TuikeCore

/// Webhook secrets in the Standard Webhooks form: `whsec_` and the base64 of 32 random bytes, the
/// HMAC key being those bytes. A rotation keeps the replaced secret signing beside the new one for
/// a grace period, so a consumer can move to the new secret without missing a delivery.
extension EventRepository {
    /// How long a replaced secret keeps signing.
    public static let rotationGraceSeconds: Int64 = 86_400

    static func newSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...UInt8.max, using: &generator) }
        return "whsec_" + Data(bytes).base64EncodedString()
    }

    /// Gives the endpoint a new secret; the one it had signs too until the grace period ends (a
    /// second rotation within it drops the oldest). Nil for an unknown endpoint.
    public func rotateSecret(_ id: String, at now: Instant) async throws -> WebhookEndpoint? {
        let secret = Self.newSecret()
        let until = now.adding(seconds: Self.rotationGraceSeconds)
        return try await database.write { db in
            try await db.first("""
                UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_until = \(bind: until.milliseconds), secret = \(bind: secret)
                WHERE id = \(bind: id)
                RETURNING id, url, secret, event_types, status, created_at, previous_secret, previous_secret_until
                """).map(Self.decodeEndpoint)
        }
    }

    static let rotationMigration = Migration(version: 35, name: "webhook_secret_rotation", statements: [
        "ALTER TABLE webhook_endpoints ADD COLUMN previous_secret TEXT",
        "ALTER TABLE webhook_endpoints ADD COLUMN previous_secret_until BIGINT",
    ])
}
