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
        guard enabled else { return response }
        let cookies = response.headers[values: .setCookie]
        guard !cookies.isEmpty else { return response }
        response.headers[.setCookie] = nil
        for cookie in cookies {
            response.headers.append(HTTPField(name: .setCookie, value: cookie.hasSuffix("; Secure") ? cookie : cookie + "; Secure"))
        }
        return response
    }
}
