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

    /// The peer's address; see `clientIP(_:)` for what is believed behind a local proxy.
    let remoteIP: String?

    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.remoteIP = source.channel.remoteAddress?.ipAddress
    }

    /// The client's IP. Forwarding headers are believed only when the peer is on loopback, that is
    /// a reverse proxy on the same machine; anyone else could forge them.
    func clientIP(_ request: Request) -> String? {
        Self.clientIP(remoteIP: remoteIP, headers: request.headers)
    }

    /// `clientIP(_:)` for a request that never became a `Request` (see `ClickRedirectHandler`).
    static func clientIP(remoteIP: String?, headers: HTTPFields) -> String? {
        guard let remoteIP else { return headers[.xForwardedFor].flatMap(firstForwarded) }
        let loopback = remoteIP == "127.0.0.1" || remoteIP == "::1" || remoteIP.hasPrefix("::ffff:127.")
        guard loopback else { return remoteIP }
        return headers[.xRealIP] ?? headers[.xForwardedFor].flatMap(firstForwarded) ?? remoteIP
    }

    static func firstForwarded(_ header: String) -> String? {
        header.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// Admins may act on any promoter; a promoter only on itself (403 otherwise).
    func requireSelfOrAdmin(_ promoterID: String) throws(TuikeError) {
        switch try requirePrincipal() {
        case .admin: return
        case .promoter(let own, _) where own == promoterID: return
        case .promoter: throw TuikeError(.forbidden, code: "forbidden", "a promoter may only see and act on its own resources")
        }
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

extension HTTPField.Name {
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
    static let xRealIP = HTTPField.Name("X-Real-IP")!
}
