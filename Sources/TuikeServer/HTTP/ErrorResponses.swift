import Foundation
import Hummingbird
import Logging
import TuikeCore
import TuikeStore

/// Turns any error into the JSON error of docs/rules.md §10. Unknown errors become 500 with a generic
/// message; their detail goes to the log, never to the client.
enum ErrorResponses {
    static func status(of kind: TuikeError.Kind) -> HTTPResponse.Status {
        switch kind {
        case .malformed: .badRequest
        case .unauthorized: .unauthorized
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .conflict: .conflict
        case .unprocessable: .unprocessableContent
        case .tooManyRequests: .tooManyRequests
        case .tooLarge: .contentTooLarge
        case .unsupportedType: .unsupportedMediaType
        case .unavailable: .serviceUnavailable
        }
    }

    static func response(for error: any Error, logger: Logger) -> Response {
        var response = response(parts(for: error, logger: logger))
        if let retryAfter = (error as? TuikeError)?.retryAfter { response.headers[.retryAfter] = String(retryAfter) }
        return response
    }

    static let contentType = "application/json; charset=utf-8"

    /// The status and JSON body of `response(for:)`, for answers written outside the router.
    static func parts(for error: any Error, logger: Logger) -> (HTTPResponse.Status, ByteBuffer) {
        switch error {
        case let error as TuikeError:
            return body(status: status(of: error.kind), code: error.code, message: error.message)
        case let error as HTTPError:
            return body(status: error.status, code: code(for: error.status), message: error.body ?? defaultMessage(for: error.status))
        case let error as any HTTPResponseError:
            return body(status: error.status, code: code(for: error.status), message: defaultMessage(for: error.status))
        case let error where StoreError.isStorageFull(error):
            logger.critical("the database is full", metadata: ["error": "\(String(reflecting: error))"])
            return body(status: HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage"), code: "storage_full",
                        message: "the database could not grow (disk or database full); nothing was changed, try again once space is freed")
        default:
            logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))"])
            return body(status: .internalServerError, code: "internal_error", message: "something went wrong on our side; it was logged")
        }
    }

    static func make(status: HTTPResponse.Status, code: String, message: String) -> Response {
        response(body(status: status, code: code, message: message))
    }

    private static func response(_ parts: (status: HTTPResponse.Status, body: ByteBuffer)) -> Response {
        Response(status: parts.status, headers: [.contentType: contentType], body: .init(byteBuffer: parts.body))
    }

    private static func body(status: HTTPResponse.Status, code: String, message: String) -> (HTTPResponse.Status, ByteBuffer) {
        let body = ErrorBody(error: .init(code: code, message: message))
        let data = (try? JSONEncoder().encode(body)) ?? Data(#"{"error":{"code":"internal_error","message":""}}"#.utf8)
        return (status, ByteBuffer(bytes: data))
    }

    static func code(for status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: "invalid_request"
        case 401: "unauthorized"
        case 403: "forbidden"
        case 404: "not_found"
        case 405: "method_not_allowed"
        case 409: "conflict"
        case 413: "payload_too_large"
        case 422: "validation_failed"
        default: status.code >= 500 ? "internal_error" : "http_\(status.code)"
        }
    }

    static func defaultMessage(for status: HTTPResponse.Status) -> String {
        status == .notFound ? "no such resource" : status.reasonPhrase
    }

    struct ErrorBody: Encodable {
        struct Detail: Encodable { let code: String; let message: String }
        let error: Detail
    }
}

/// The outermost middleware: whatever was thrown, the client gets JSON.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            // A NUL in a path or query would reach the database as text, which PostgreSQL refuses.
            if request.uri.description.contains("%00") { throw TuikeError.malformed("the URL must not contain NUL characters (%00)") }
            return try await next(request, context)
        } catch {
            return ErrorResponses.response(for: error, logger: context.logger)
        }
    }
}

/// Hummingbird's metrics middleware counts a thrown error under its `HTTPResponseError` status and
/// anything else as 500; this makes a 404 or a 422 count as what the client got.
extension TuikeError: HTTPResponseError {
    public var status: HTTPResponse.Status { ErrorResponses.status(of: kind) }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        ErrorResponses.response(for: self, logger: context.logger)
    }
}
