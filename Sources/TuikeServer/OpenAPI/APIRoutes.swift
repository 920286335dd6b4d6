import Hummingbird
import TuikeCore

/// Who may call an operation. The router enforces it before the handler runs (`APIRoutes.add`),
/// and it becomes the operation's `security` in the OpenAPI document; handlers check only what
/// depends on the resource (whose link, whose commission).
enum Access: String, Sendable {
    /// Anyone. `adminOrPromoter`: any valid token; the handler shows a promoter only its own
    /// resources. `promoterSelf`: an admin, or the promoter whose id is the path's `{id}`.
    case publicAccess = "public", admin, adminOrPromoter = "admin_or_promoter", promoterSelf = "promoter_self"
    /// An admin, or the signed-in buyer the resource belongs to (the handler checks whose it is).
    case adminOrBuyer = "admin_or_buyer"
    /// The signed-in buyer only.
    case buyer

    var security: JSONValue {
        switch self {
        case .publicAccess: []
        case .admin, .adminOrPromoter, .promoterSelf, .adminOrBuyer, .buyer: [["bearer": []]]
        }
    }

    var note: String {
        switch self {
        case .publicAccess: "Public."
        case .admin: "Admin token."
        case .adminOrPromoter: "Admin token, or the token of the promoter it concerns."
        case .promoterSelf: "Admin token, or the token of the promoter named in the path."
        case .adminOrBuyer: "Admin token (acting for the buyer), or the buyer's own session token."
        case .buyer: "The buyer's session token (POST /api/v1/buyer/sessions)."
        }
    }

    /// Refuses a caller the access does not admit: 401 without a valid token, 403 for a token of
    /// the wrong kind or of another promoter.
    func check(_ context: TuikeRequestContext) throws(TuikeError) {
        switch self {
        case .publicAccess: return
        case .admin: try context.requireAdmin()
        case .adminOrPromoter: try context.requirePrincipal()
        case .promoterSelf:
            guard let id = context.parameters.get("id") else { throw TuikeError(.forbidden, code: "forbidden", "this route names no promoter") }
            try context.requireSelfOrAdmin(id)
        case .adminOrBuyer: _ = try context.buyerOrAdmin()
        case .buyer: _ = try context.requireBuyer()
        }
    }
}

/// One documented operation.
struct APIOperation: Sendable {
    let method: HTTPRequest.Method
    let path: String
    let summary: String
    let tag: String
    let access: Access
    let request: JSONValue?
    let responses: [(Int, String, JSONValue?)]
    let parameters: [JSONValue]
    /// For console pages and forms: the console roles that may use them (checked by the console).
    let consoleRoles: Set<String>?
}

/// Registers routes on the router and records their documentation in the same call, so the
/// OpenAPI document cannot forget a route registered this way.
final class APIRoutes {
    let router: Router<TuikeRequestContext>
    private(set) var operations: [APIOperation] = []

    init(router: Router<TuikeRequestContext>) { self.router = router }

    func add(
        _ method: HTTPRequest.Method, _ path: String, summary: String, tag: String, access: Access,
        request: JSONValue? = nil, responses: [(Int, String, JSONValue?)], parameters: [JSONValue] = [],
        consoleRoles: Set<String>? = nil, handler: @escaping @Sendable (Request, TuikeRequestContext) async throws -> Response
    ) {
        router.on(RouterPath(path), method: method) { request, context in
            try access.check(context)
            return try await handler(request, context)
        }
        operations.append(APIOperation(
            method: method, path: path, summary: summary, tag: tag, access: access,
            request: request, responses: responses, parameters: parameters, consoleRoles: consoleRoles))
    }
}
