import Foundation
import HTTPTypes
import Hummingbird
import TuikeCore
import TuikeStore

/// Makes a page form's double submit one change. Every portal and storefront form carries a
/// `_nonce` made when the page was rendered; the first answer to a nonce and the same fields is
/// kept (in the idempotency store, 24 hours) and a second submit gets that answer again, not a
/// second withdrawal or order. Forms on one page share the nonce, so the form's path and fields
/// are part of the key: two different forms of one page are two changes. A submit that arrives
/// while the first is still running waits for its answer (a double click). Answers that are not
/// final are not kept: a failure (5xx), an error thrown, a "come back later" (429).
struct FormReplay: Sendable {
    let repository: IdempotencyRepository
    let clock: any TuikeClock
    static let redirectType = "tuike/redirect"
    /// How long a second submit waits for the first one's answer.
    static let wait = Duration.seconds(10)

    func once(_ request: Request, fields: [String: String], _ body: () async throws -> Response) async throws -> Response {
        guard let nonce = fields["_nonce"], (16...64).contains(nonce.utf8.count) else { return try await body() }
        let path = request.uri.path
        let canonical = fields.filter { $0.key != "_csrf" }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "\n")
        let key = "form:\(nonce):\(Digest.sha256Hex(path + "\n" + canonical))"
        let deadline = ContinuousClock.now.advanced(by: Self.wait)
        while true {
            switch try await repository.claim(scope: "form", key: key, method: "POST", path: path, requestHash: key, at: clock.now()) {
            case .proceed:
                let response: Response
                do {
                    response = try await body()
                } catch {
                    try? await repository.release(scope: "form", key: key)
                    throw error
                }
                let (captured, buffer) = try await IdempotencyMiddleware.capture(response)
                if response.status.code >= 500 || response.status == .tooManyRequests {
                    try await repository.release(scope: "form", key: key)
                } else if let location = response.headers[.location] {
                    // The redirect and its cookies (a new visitor's `tk_vid`), one per line.
                    let stored = ([location] + response.headers[values: .setCookie]).joined(separator: "\n")
                    try await repository.complete(scope: "form", key: key, status: response.status.code, contentType: Self.redirectType, body: stored,
                                                  at: clock.now())
                } else {
                    try await repository.complete(scope: "form", key: key, status: response.status.code, contentType: response.headers[.contentType],
                                                  body: String(buffer: buffer), at: clock.now())
                }
                return captured
            case .replay(let status, let contentType, let stored):
                if contentType == Self.redirectType {
                    let lines = stored.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                    var response = Response.redirect(to: lines.first ?? "/", type: .normal)
                    for cookie in lines.dropFirst() where !cookie.isEmpty { response.headers.append(HTTPField(name: .setCookie, value: cookie)) }
                    return response
                }
                var headers: HTTPFields = [.cacheControl: "no-store"]
                if let contentType { headers[.contentType] = contentType }
                return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(string: stored)))
            case .inProgress where ContinuousClock.now < deadline:
                try await Task.sleep(for: .milliseconds(50))
            case .inProgress, .mismatch:
                throw TuikeError(.conflict, code: "form_in_progress", "this form is still being handled; reload the page to see its result")
            }
        }
    }
}
