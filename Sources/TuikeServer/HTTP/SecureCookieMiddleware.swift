import HTTPTypes
import Hummingbird

/// Marks every cookie `Secure` when buyers reach Tuike over HTTPS (its public URL is `https://…`,
/// typically TLS ended by a reverse proxy), so that sessions, CSRF tokens and visitor ids never
/// travel in clear text. Over plain HTTP (local demo, tests) a `Secure` cookie would not be kept.
struct SecureCookieMiddleware: RouterMiddleware {
    typealias Context = TuikeRequestContext
    let enabled: Bool

    init(publicURL: String) {
        enabled = publicURL.lowercased().hasPrefix("https://")
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        secure(&response.headers)
        return response
    }

    /// Also used by `ClickRedirectHandler`, whose answers never pass through the router.
    func secure(_ headers: inout HTTPFields) {
        guard enabled else { return }
        let cookies = headers[values: .setCookie]
        guard !cookies.isEmpty else { return }
        headers[.setCookie] = nil
        for cookie in cookies {
            headers.append(HTTPField(name: .setCookie, value: cookie.hasSuffix("; Secure") ? cookie : cookie + "; Secure"))
        }
    }
}
