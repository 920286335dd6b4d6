/// A failure the caller can act on. Every variant maps to one HTTP status and one
/// machine-readable `code` (RULES.md §10); the server adds nothing but the status.
public struct TuikeError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case malformed          // 400
        case unauthorized       // 401
        case forbidden          // 403
        case notFound           // 404
        case conflict           // 409
        case unprocessable      // 422
    }

    public let kind: Kind
    public let code: String
    public let message: String

    public init(_ kind: Kind, code: String, _ message: String) {
        self.kind = kind
        self.code = code
        self.message = message
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
