import Foundation
import HTTPTypes
import Hummingbird
import TuikeCore

/// Per-request state: who is calling, once `AuthMiddleware` has looked at the bearer token.
public struct TuikeRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var principal: Principal?
    /// A bearer token was sent but is unknown or revoked; kept to tell the caller so on 401.
    var presentedInvalidToken = false

    /// The peer's address; see `clientIP(_:)` for what is believed behind a proxy.
    let remoteIP: String?
    /// Set for every request from the server's configuration (`TrustedProxiesMiddleware`).
    var trustedProxies = TrustedProxies.loopback

    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.remoteIP = source.channel.remoteAddress?.ipAddress
    }

    /// The client's IP. Forwarding headers are believed only from a trusted proxy (`--trusted-proxies`,
    /// default loopback), and then the right-most address not a trusted proxy is the client's.
    func clientIP(_ request: Request) -> String? {
        Self.clientIP(remoteIP: remoteIP, headers: request.headers, trusted: trustedProxies)
    }

    /// `clientIP(_:)` for a request that never became a `Request` (see `ClickRedirectHandler`).
    static func clientIP(remoteIP: String?, headers: HTTPFields, trusted: TrustedProxies) -> String? {
        trusted.client(peer: remoteIP, forwardedFor: headers[values: .xForwardedFor].joined(separator: ","), realIP: headers[.xRealIP])
    }

    /// Admins may act on any promoter; a promoter only on itself (403 otherwise).
    func requireSelfOrAdmin(_ promoterID: String) throws(TuikeError) {
        switch try requirePrincipal() {
        case .admin: return
        case .promoter(let own, _) where own == promoterID: return
        case .promoter: throw TuikeError(.forbidden, code: "forbidden", "a promoter may only see and act on its own resources")
        case .buyer: throw Self.buyerRefused
        }
    }

    static let buyerRefused = TuikeError(.forbidden, code: "forbidden", "a buyer's token opens only the buyer's own orders, after-sales and address book")

    /// The buyer a buyer's token belongs to, or nil for an admin; 401 without a token, 403 for a
    /// promoter's.
    func buyerOrAdmin() throws(TuikeError) -> String? {
        guard let principal else { return try requireBuyerPrincipal() }
        switch principal {
        case .admin: return nil
        case .buyer(let id, _): return id
        case .promoter: throw TuikeError(.forbidden, code: "forbidden", "this needs an admin token or the buyer's own")
        }
    }

    /// The signed-in buyer; 401 without one.
    func requireBuyer() throws(TuikeError) -> String {
        if case .buyer(let id, _)? = principal { return id }
        return try requireBuyerPrincipal()
    }

    private func requireBuyerPrincipal() throws(TuikeError) -> String {
        if principal == nil, !presentedInvalidToken {
            throw TuikeError(.unauthorized, code: "unauthorized", "sign in with POST /api/v1/buyer/sessions and send Authorization: Bearer <token>")
        }
        if principal == nil { throw TuikeError(.unauthorized, code: "invalid_token", "the bearer token is unknown, revoked or expired") }
        throw TuikeError(.forbidden, code: "forbidden", "this needs a buyer's token")
    }

    /// Refuses a buyer acting on another buyer's order (as if it did not exist).
    func requireOwnOrder(_ order: Order) throws(TuikeError) {
        if case .buyer(let id, _)? = principal, order.buyerID != id { throw TuikeError.notFound("order", order.id) }
    }

    /// Which promoter's rows a list shows: admins choose with `?promoter_id=` (or see all); a
    /// promoter token always sees its own, and asking for another's is 403.
    func promoterScope(asked: String?) throws(TuikeError) -> String? {
        try requirePrincipal()
        guard let own = ownPromoterID else { return asked }
        if let asked { try requireSelfOrAdmin(asked) }
        return own
    }

    /// The promoter a promoter token belongs to, nil for admins.
    var ownPromoterID: String? {
        if case .promoter(let id, _) = principal { id } else { nil }
    }

    /// 1 MiB: far above any JSON this API accepts, low enough to shed abuse early.
    public var maxUploadSize: Int { 1 << 20 }

    @discardableResult
    func requireAdmin() throws(TuikeError) -> Principal {
        let principal = try requirePrincipal()
        guard principal.isAdmin else { throw TuikeError(.forbidden, code: "forbidden", "this needs an admin token") }
        return principal
    }

    /// An admin's or a promoter's principal; a buyer's token opens only the routes made for buyers.
    @discardableResult
    func requirePrincipal() throws(TuikeError) -> Principal {
        if case .buyer? = principal { throw Self.buyerRefused }
        guard let principal else {
            throw presentedInvalidToken
                ? TuikeError(.unauthorized, code: "invalid_token", "the bearer token is unknown or revoked")
                : TuikeError(.unauthorized, code: "unauthorized", "send Authorization: Bearer <token>")
        }
        return principal
    }

    var isAdmin: Bool { principal?.isAdmin == true }
}

extension HTTPField.Name {
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
    static let xRealIP = HTTPField.Name("X-Real-IP")!
}

/// Tells each request's context which proxies are trusted (the server's `--trusted-proxies`).
struct TrustedProxiesMiddleware: RouterMiddleware {
    typealias Context = TuikeRequestContext
    let trusted: TrustedProxies

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.trustedProxies = trusted
        return try await next(request, context)
    }
}
