import HTTPTypes
import Hummingbird
import TuikeCore
import TuikeStore

/// What the promoter portal and the console share: the login page, the session cookie, logout.
enum WebSessions {
    static let cookieName = "tk_session"

    static func loginPage(_ request: Request, heading: String, action: String, field: String, fieldLabel: String, value: String,
                          error: String?, status: HTTPResponse.Status) -> Response {
        let language = Language.of(request)
        let (csrf, isNew) = Forms.csrfToken(request)
        var response = Templates.page("login", title: heading, language: language, context: [
            "csrf": csrf, "error": error ?? "", "value": value, "heading": heading, "action": action, "field": field, "field_label": fieldLabel,
        ], status: status)
        if isNew { response.headers.append(HTTPField(name: .setCookie, value: Forms.cookie(csrf))) }
        return response
    }

    /// A redirect that carries a new session cookie (HttpOnly, SameSite=Lax, as long as the session).
    static func signedIn(token: String, to location: String) -> Response {
        var response = Response.redirect(to: location, type: .normal)
        response.headers.append(HTTPField(name: .setCookie,
                                          value: "\(cookieName)=\(token); Path=/; HttpOnly; SameSite=Lax; Max-Age=\(SessionRepository.lifetimeSeconds)"))
        return response
    }

    /// Ends the request's session (a CSRF-checked form post) and clears the cookie.
    static func signOut(_ request: Request, context: TuikeRequestContext, sessions: SessionRepository, to location: String) async throws -> Response {
        _ = try await Forms.verified(request, context: context)
        if let token = request.cookies[cookieName]?.value { try await sessions.close(token: token) }
        var response = Response.redirect(to: location, type: .normal)
        response.headers.append(HTTPField(name: .setCookie, value: "\(cookieName)=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"))
        return response
    }

    /// The live session of `kind` behind the request's cookie.
    static func session(_ request: Request, kind: String, sessions: SessionRepository, now: Instant) async throws -> SessionRepository.Session? {
        guard let token = request.cookies[cookieName]?.value, token.count == 32,
              let session = try await sessions.find(token: token, at: now), session.kind == kind else { return nil }
        return session
    }
}
