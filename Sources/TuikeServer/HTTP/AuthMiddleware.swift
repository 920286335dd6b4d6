import HTTPTypes
import Hummingbird
import Synchronization
import TuikeCore
import TuikeStore

/// Resolves `Authorization: Bearer <token>` into `context.principal`. Routes decide what they
/// need (`requireAdmin`, …); a public route ignores the principal.
///
/// Verified tokens are cached for a few seconds so that a hot read path costs no token query;
/// a revoked token therefore stops working within `ttl`, on every instance.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = TuikeRequestContext
    let tokens: TokenRepository
    let buyers: BuyerRepository
    let cache: TokenCache
    let clock: any TuikeClock
    let sightings: SightingRecorder

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else { return try await next(request, context) }
        var context = context
        if let token = Self.bearerToken(header) {
            if let cached = cache.lookup(token) {
                context.principal = cached
            } else if let principal = try await tokens.principal(for: token) {
                cache.store(token, principal)
                context.principal = principal
            } else if let principal = try await buyers.principal(for: token, at: clock.now()) {
                cache.store(token, principal)
                context.principal = principal
            }
        }
        context.presentedInvalidToken = context.principal == nil
        if case .promoter(let id, _)? = context.principal {
            await sightings.record(promoterID: id, ip: context.clientIP(request), device: request.headers[Self.deviceHeader], source: "api", at: clock.now())
        }
        return try await next(request, context)
    }
}

extension AuthMiddleware {
    /// The device id a promoter's app or the portal's script sends with its calls.
    static let deviceHeader = HTTPField.Name("X-Tuike-Device")!

    /// The token of `Bearer <token>` (scheme in any case), trimmed of whitespace. A token that
    /// starts and ends with a visible ASCII character, which is every real one, needs no trimming:
    /// Foundation's `trimmingCharacters(in:)` showed in the profile of every request.
    static func bearerToken(_ header: String) -> String? {
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].utf8.count == 6, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1]
        let visible = UInt8(ascii: "!")...UInt8(ascii: "~")
        if let first = token.utf8.first, let last = token.utf8.last, visible.contains(first), visible.contains(last) { return String(token) }
        return String(token).trimmingCharacters(in: .whitespaces)
    }
}

final class TokenCache: Sendable {
    private struct Entry { let principal: Principal; let expires: ContinuousClock.Instant }
    private let entries = Mutex<[String: Entry]>([:])
    private let ttl: Duration

    init(ttl: Duration = .seconds(5)) { self.ttl = ttl }

    func lookup(_ token: String) -> Principal? {
        let now = ContinuousClock.now
        return entries.withLock { entries in
            guard let entry = entries[token] else { return nil }
            if entry.expires < now { entries[token] = nil; return nil }
            return entry.principal
        }
    }

    func store(_ token: String, _ principal: Principal) {
        let expires = ContinuousClock.now.advanced(by: ttl)
        entries.withLock { entries in
            if entries.count > 10_000 { entries.removeAll() }
            entries[token] = Entry(principal: principal, expires: expires)
        }
    }
}
