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

    /// The longest a replaced secret may keep signing.
    public static let maxGraceSeconds: Int64 = 7 * 86_400

    public enum Rotation: Sendable, Equatable {
        case rotated(WebhookEndpoint)
        /// A rotation is already in its grace period: a second one would drop the secret that
        /// consumers may still be using (a retried request, two admins at once).
        case inGrace(until: Instant)
        case unknown
    }

    /// Gives the endpoint a new secret; the one it had keeps signing beside it for `grace`
    /// seconds. While an earlier rotation's grace lasts, only a rotation with no grace (a leaked
    /// secret: both old ones stop at once) goes through.
    public func rotateSecret(_ id: String, graceSeconds grace: Int64 = rotationGraceSeconds, at now: Instant) async throws -> Rotation {
        let secret = Self.newSecret()
        let until = now.adding(seconds: max(0, min(grace, Self.maxGraceSeconds)))
        return try await database.write { db in
            if let row = try await db.first("""
                UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_until = \(bind: until.milliseconds), secret = \(bind: secret)
                WHERE id = \(bind: id) AND (\(bind: grace) <= 0 OR previous_secret_until IS NULL OR previous_secret_until <= \(bind: now.milliseconds))
                RETURNING id, url, secret, event_types, status, created_at, previous_secret, previous_secret_until
                """) {
                return .rotated(try Self.decodeEndpoint(row))
            }
            guard let current = try await db.first("SELECT previous_secret_until FROM webhook_endpoints WHERE id = \(bind: id)") else { return .unknown }
            return .inGrace(until: Instant(milliseconds: try current.decode(column: "previous_secret_until", as: Int64?.self) ?? now.milliseconds))
        }
    }

    static let rotationMigration = Migration(version: 35, name: "webhook_secret_rotation", statements: [
        "ALTER TABLE webhook_endpoints ADD COLUMN previous_secret TEXT",
        "ALTER TABLE webhook_endpoints ADD COLUMN previous_secret_until BIGINT",
    ])
}
