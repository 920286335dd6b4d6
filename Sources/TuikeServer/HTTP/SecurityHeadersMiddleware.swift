import HTTPTypes
import Hummingbird

/// Headers that keep pages from being framed, sniffed or leaking their address. Pages load only
/// their own script and stylesheet (`/assets/…`), never an inline script, so `script-src 'self'`
/// holds; inline `style` attributes remain (progress bars), hence `'unsafe-inline'` for styles
/// only. Every answer gets `nosniff`; the rest go on HTML.
struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    static var contentSecurityPolicy: String {
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
            + "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        Self.add(to: &response.headers)
        return response
    }

    static func add(to headers: inout HTTPFields) {
        headers[.xContentTypeOptions] = "nosniff"
        guard headers[.contentType]?.hasPrefix("text/html") == true else { return }
        headers[.contentSecurityPolicy] = contentSecurityPolicy
        headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        headers[HTTPField.Name("Referrer-Policy")!] = "strict-origin-when-cross-origin"
    }
}
