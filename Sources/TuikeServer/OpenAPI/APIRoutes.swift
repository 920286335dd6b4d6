import Hummingbird

/// Who may call an operation; becomes the operation's `security` in the OpenAPI document.
enum Access: Sendable {
    case publicAccess, admin, adminOrPromoter

    var security: JSONValue {
        switch self {
        case .publicAccess: []
        case .admin, .adminOrPromoter: [["bearer": []]]
        }
    }

    var note: String {
        switch self {
        case .publicAccess: "Public."
        case .admin: "Admin token."
        case .adminOrPromoter: "Admin token, or the token of the promoter it concerns."
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
        handler: @escaping @Sendable (Request, TuikeRequestContext) async throws -> Response
    ) {
        router.on(RouterPath(path), method: method, use: handler)
        operations.append(APIOperation(
            method: method, path: path, summary: summary, tag: tag, access: access,
            request: request, responses: responses, parameters: parameters))
    }
}
