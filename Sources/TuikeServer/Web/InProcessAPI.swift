import Foundation
import HTTPTypes
import Hummingbird
import Synchronization
import TuikeCore

/// A list answer of the API, read by a page. Its keys are read as sent or converted from snake
/// case, whichever decoder reads it (`Reply.decode`).
struct Listing<Item: Decodable>: Decodable {
    let data: [Item]
    let nextCursor: String?

    private enum Keys: String, CodingKey { case data, nextCursor, next_cursor }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        data = try container.decode([Item].self, forKey: .data)
        nextCursor = try container.decodeIfPresent(String.self, forKey: .nextCursor) ?? container.decodeIfPresent(String.self, forKey: .next_cursor)
    }
}

/// The pages as clients of the API, in process: each console page reads the API's JSON and each
/// console form (and the portal's appeal form) becomes the API request it stands for, run through
/// the same router, middlewares and handlers. Validation, error codes and audit trails are the
/// API's own, so a page can never do what the API would refuse, and the two cannot drift apart.
final class InProcessAPI: Sendable {
    private let responder = Mutex<RouterResponder<TuikeRequestContext>?>(nil)

    /// Set once every route is registered (the responder is built from the finished router).
    func install(_ responder: RouterResponder<TuikeRequestContext>) {
        self.responder.withLock { $0 = responder }
    }

    struct Reply: Sendable {
        let status: HTTPResponse.Status
        let headers: HTTPFields
        let body: ByteBuffer

        var isSuccess: Bool { (200..<300).contains(status.code) }

        /// The body as a page's model: the API's snake_case fields, typed (`keysAsSent` for a type
        /// whose keys are spelled as the API spells them: the busiest pages' rows, since converting
        /// every key of a 30-order page cost more than the page's own queries). A body that does
        /// not fit is the API's bug, shown to the user as an error, never a crash.
        func decode<T: Decodable>(_ type: T.Type, keysAsSent: Bool = false) throws -> T {
            do {
                return try (keysAsSent ? Self.plainDecoder : Self.decoder).decode(T.self, from: Data(buffer: body))
            } catch {
                throw TuikeError(.unprocessable, code: "unexpected_response", "the API answered in an unexpected shape: \(error)")
            }
        }

        private static let plainDecoder = JSONDecoder()

        private static let decoder: JSONDecoder = {
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            return decoder
        }()

        /// The API's refusal as an error of the same kind (so a page shows 404 for an unknown id).
        var error: TuikeError {
            let kinds: [Int: TuikeError.Kind] = [400: .malformed, 401: .unauthorized, 403: .forbidden, 404: .notFound, 409: .conflict]
            return TuikeError(kinds[status.code] ?? .unprocessable, code: refusal?.error.code ?? "api_error", errorMessage)
        }

        /// The API's error message, for showing on the page.
        var errorMessage: String { refusal?.error.message ?? "HTTP \(status.code)" }

        private struct Refusal: Decodable {
            struct Detail: Decodable { let code: String; let message: String }
            let error: Detail
        }

        private var refusal: Refusal? { try? JSONDecoder().decode(Refusal.self, from: Data(buffer: body)) }
    }

    /// Calls the API as `principal`: a console user is `.admin(tokenID: "console:<name>")` (audit
    /// trails show `admin:console:<name>`), a portal session its promoter.
    func call(_ method: HTTPRequest.Method, _ path: String, body: [String: Any]? = nil, headers: HTTPFields = [:], as principal: Principal,
              context: TuikeRequestContext) async throws -> Reply {
        let response = try await respond(method, path, body: body, headers: headers, as: principal, context: context)
        let collector = Collector()
        try await response.body.write(collector)
        return Reply(status: response.status, headers: response.headers, body: collector.sink.contents)
    }

    /// A GET whose answer is passed on as it is written (a CSV export streams its rows to the
    /// browser without being held in memory); a refusal is read whole, for its message.
    func stream(_ path: String, as principal: Principal, context: TuikeRequestContext) async throws -> Streamed {
        let response = try await respond(.get, path, body: nil, headers: [:], as: principal, context: context)
        guard (200..<300).contains(response.status.code) else {
            let collector = Collector()
            try await response.body.write(collector)
            return .refusal(Reply(status: response.status, headers: response.headers, body: collector.sink.contents))
        }
        return .answer(response)
    }

    enum Streamed {
        case answer(Response)
        case refusal(Reply)
    }

    private func respond(_ method: HTTPRequest.Method, _ path: String, body: [String: Any]?, headers: HTTPFields, as principal: Principal,
                         context: TuikeRequestContext) async throws -> Response {
        // Installed before the server accepts connections, so a request always finds it.
        guard let responder = responder.withLock({ $0 }) else {
            throw TuikeError(.tooManyRequests, code: "starting", "the server is still starting; try again")
        }
        var head = HTTPRequest(method: method, scheme: "http", authority: "localhost", path: path, headerFields: headers)
        var buffer = ByteBuffer()
        if let body {
            // Sorted keys: the same form twice is the same body, which `Idempotency-Key` requires.
            buffer = ByteBuffer(data: try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys]))
            head.headerFields[.contentType] = "application/json"
        }
        var inner = context
        inner.principal = principal
        return try await responder.respond(to: Request(head: head, body: .init(buffer: buffer)), context: inner)
    }

    /// `ResponseBody.write` consumes its writer, so the bytes are gathered in a shared box.
    private struct Collector: ResponseBodyWriter {
        let sink = SharedBuffer()
        func write(_ part: ByteBuffer) async throws { sink.append(part) }
        consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }
}

private final class SharedBuffer: Sendable {
    private let buffer = Mutex(ByteBuffer())
    func append(_ part: ByteBuffer) { buffer.withLock { _ = $0.writeImmutableBuffer(part) } }
    var contents: ByteBuffer { buffer.withLock { $0 } }
}
