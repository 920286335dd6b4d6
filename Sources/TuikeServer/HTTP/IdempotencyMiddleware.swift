import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import TuikeCore
import TuikeStore

/// `Idempotency-Key` for POSTs (docs/api.md): the first response to a key is stored (statuses below
/// 500) and sent again for a retry with the same method, path and body; a different request with
/// the same key gets 422. Keys are scoped to the caller and kept for 24 hours.
struct IdempotencyMiddleware: RouterMiddleware {
    typealias Context = TuikeRequestContext
    let repository: IdempotencyRepository
    let clock: any TuikeClock
    static let header = HTTPField.Name("Idempotency-Key")!
    static let replayedHeader = HTTPField.Name("Idempotent-Replayed")!
    /// Set by a handler whose JSON answer holds a secret (a new API token), naming its top-level
    /// fields: the stored copy has them as null, so the idempotency store never keeps a live
    /// secret and a replay answers without it. Never sent to the client.
    static let secretFieldsHeader = HTTPField.Name("Tuike-Secret-Fields")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // An upload is named by its content, so repeating it is harmless by design; its body (up to
        // 10 MiB) is not read twice or stored.
        guard request.method == .post, let key = request.headers[Self.header], request.uri.path != MediaController.uploadPath else {
            var response = try await next(request, context)
            response.headers[Self.secretFieldsHeader] = nil
            return response
        }
        guard (1...255).contains(key.utf8.count) else {
            throw TuikeError.malformed("Idempotency-Key must be 1 to 255 characters")
        }
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: context.maxUploadSize)
        } catch {
            throw TuikeError(.malformed, code: "payload_too_large", "the request body is larger than \(context.maxUploadSize) bytes")
        }
        let scope = context.principal?.idempotencyScope ?? "public"
        let path = request.uri.path
        var hasher = SHA256()
        hasher.update(data: Data(buffer: body))
        let hash = hasher.finalize().map { String(format: "%02x", $0) }.joined()

        switch try await repository.claim(scope: scope, key: key, method: request.method.rawValue, path: path, requestHash: hash, at: clock.now()) {
        case .mismatch:
            throw TuikeError(.unprocessable, code: "idempotency_key_reused", "this Idempotency-Key was used for a different request")
        case .inProgress:
            throw TuikeError(.conflict, code: "idempotency_key_in_progress", "a request with this Idempotency-Key is still running")
        case .replay(let status, let contentType, let stored):
            var headers: HTTPFields = [Self.replayedHeader: "true"]
            if let contentType { headers[.contentType] = contentType }
            return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(string: stored)))
        case .proceed:
            var response: Response
            do {
                response = try await next(request, context)
            } catch {
                response = ErrorResponses.response(for: error, logger: context.logger)
            }
            let secretFields = response.headers[Self.secretFieldsHeader].map { $0.split(separator: ",").map(String.init) } ?? []
            response.headers[Self.secretFieldsHeader] = nil
            let (captured, buffer) = try await Self.capture(response)
            if response.status.code >= 500 {
                try await repository.release(scope: scope, key: key)
            } else {
                try await repository.complete(
                    scope: scope, key: key, status: response.status.code, contentType: response.headers[.contentType],
                    body: Self.withoutSecrets(String(buffer: buffer), fields: secretFields), at: clock.now())
            }
            return captured
        }
    }

    /// `body` (a JSON object) with `fields` set to null; a body that is not one is not stored at all.
    static func withoutSecrets(_ body: String, fields: [String]) -> String {
        guard !fields.isEmpty else { return body }
        guard var object = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] else { return "{}" }
        for field in fields where object[field] != nil { object[field] = NSNull() }
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// Reads a response body into memory so it can be stored and still be sent.
    static func capture(_ response: Response) async throws -> (Response, ByteBuffer) {
        let collector = BodyCollector()
        try await response.body.write(collector)
        let buffer = collector.buffer
        var copy = response
        copy.body = .init(byteBuffer: buffer)
        return (copy, buffer)
    }
}

/// A `ResponseBodyWriter` that keeps what is written. Used by one task at a time, after the
/// handler finished; the lock only satisfies `Sendable`.
private final class BodyCollector: ResponseBodyWriter, Sendable {
    private let storage = NIOLockedValueBox(ByteBuffer())
    var buffer: ByteBuffer { storage.withLockedValue { $0 } }
    func write(_ buffer: ByteBuffer) async throws {
        var buffer = buffer
        _ = storage.withLockedValue { $0.writeBuffer(&buffer) }
    }
    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}

import NIOConcurrencyHelpers
