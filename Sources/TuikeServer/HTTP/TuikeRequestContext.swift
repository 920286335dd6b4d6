import Hummingbird
import TuikeCore

/// Per-request state: who is calling, once `AuthMiddleware` has looked at the bearer token.
public struct TuikeRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var principal: Principal?
    /// A bearer token was sent but is unknown or revoked; kept to tell the caller so on 401.
    var presentedInvalidToken = false

    public init(source: Source) {
        self.coreContext = .init(source: source)
    }

    /// 1 MiB: far above any JSON this API accepts, low enough to shed abuse early.
    public var maxUploadSize: Int { 1 << 20 }

    @discardableResult
    func requireAdmin() throws(TuikeError) -> Principal {
        let principal = try requirePrincipal()
        guard principal.isAdmin else { throw TuikeError(.forbidden, code: "forbidden", "this needs an admin token") }
        return principal
    }

    @discardableResult
    func requirePrincipal() throws(TuikeError) -> Principal {
        guard let principal else {
            throw presentedInvalidToken
                ? TuikeError(.unauthorized, code: "invalid_token", "the bearer token is unknown or revoked")
                : TuikeError(.unauthorized, code: "unauthorized", "send Authorization: Bearer <token>")
        }
        return principal
    }

    var isAdmin: Bool { principal?.isAdmin == true }
}
