/// A failure the caller can act on. Every variant maps to one HTTP status and one
/// machine-readable `code` (docs/rules.md §10); the server adds nothing but the status.
public struct TuikeError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case malformed          // 400
        case unauthorized       // 401
        case forbidden          // 403
        case notFound           // 404
        case conflict           // 409
        case unprocessable      // 422
        case tooManyRequests    // 429, with Retry-After
        case tooLarge           // 413
        case unsupportedType    // 415
        case unavailable        // 503, with Retry-After
    }

    public let kind: Kind
    public let code: String
    public let message: String
    /// Seconds after which a 429 may be tried again.
    public let retryAfter: Int64?

    public init(_ kind: Kind, code: String, _ message: String, retryAfter: Int64? = nil) {
        self.kind = kind
        self.code = code
        self.message = message
        self.retryAfter = retryAfter
    }

    public var description: String { "\(code): \(message)" }

    public static func validation(_ message: String) -> TuikeError {
        TuikeError(.unprocessable, code: "validation_failed", message)
    }

    public static func compliance(_ message: String) -> TuikeError {
        TuikeError(.unprocessable, code: "compliance_violation", message)
    }

    public static func notFound(_ what: String, _ id: String) -> TuikeError {
        TuikeError(.notFound, code: "not_found", "\(what) \(id) does not exist")
    }

    /// 429 `rate_limited`: try again after `retryAfter` seconds (sent as `Retry-After`).
    public static func rateLimited(_ message: String, retryAfter: Int64) -> TuikeError {
        TuikeError(.tooManyRequests, code: "rate_limited", "\(message); try again in \(retryAfter) s", retryAfter: retryAfter)
    }

    /// 413 `payload_too_large`.
    public static func tooLarge(_ message: String) -> TuikeError {
        TuikeError(.tooLarge, code: "payload_too_large", message)
    }

    /// 415 `unsupported_media_type`.
    public static func unsupportedType(_ message: String) -> TuikeError {
        TuikeError(.unsupportedType, code: "unsupported_media_type", message)
    }

    /// 503 `unavailable`: the server is busy or a resource ran out; nothing was changed.
    public static func unavailable(_ message: String, retryAfter: Int64 = 1) -> TuikeError {
        TuikeError(.unavailable, code: "unavailable", message, retryAfter: retryAfter)
    }

    public static func malformed(_ message: String) -> TuikeError {
        TuikeError(.malformed, code: "invalid_request", message)
    }
}

extension Optional {
    /// The value, or 404 for `what` `id`: for a row read back that another request may have removed
    /// in between, where a force unwrap would stop the whole server instead of failing one request.
    public func required(_ what: String, _ id: String) throws(TuikeError) -> Wrapped {
        guard let self else { throw .notFound(what, id) }
        return self
    }
}
