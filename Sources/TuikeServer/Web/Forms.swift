import Foundation
import Hummingbird
import TuikeCore

/// Form posts from the pages: `application/x-www-form-urlencoded` bodies and a double-submit CSRF
/// token (a random cookie, SameSite=Lax and HttpOnly, that every form repeats in `_csrf`); a post
/// whose field does not match the cookie changes nothing.
enum Forms {
    static let csrfCookie = "tk_csrf"

    /// The request's token, or a new one to set as a cookie with the page.
    static func csrfToken(_ request: Request) -> (token: String, isNew: Bool) {
        if let existing = request.cookies[csrfCookie]?.value, existing.count == 32 { return (existing, false) }
        return (Identifier.secret(length: 32), true)
    }

    static func cookie(_ token: String) -> String { "\(csrfCookie)=\(token); Path=/; HttpOnly; SameSite=Lax" }

    static func fields(_ request: Request) async throws -> [String: String] {
        let body = String(buffer: try await request.body.collect(upTo: 64 * 1024))
        var fields: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            if let name = parts.first { fields[name] = parts.count > 1 ? parts[1] : "" }
        }
        return fields
    }

    /// The form's fields; throws 403 unless the form carries the cookie's token.
    static func verified(_ request: Request, context: TuikeRequestContext) async throws -> [String: String] {
        let fields = try await fields(request)
        guard let cookie = request.cookies[csrfCookie]?.value, let sent = fields["_csrf"], !sent.isEmpty, sent == cookie else {
            throw TuikeError(.forbidden, code: "csrf_failed", "the form has expired; reload the page and try again")
        }
        return fields
    }
}
