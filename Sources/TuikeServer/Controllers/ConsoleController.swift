import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdBcrypt
import TuikeCore
import TuikeStore

/// The admin console (`/admin`, F11), first part: console users with roles (owner / finance /
/// operator) log in; the dashboard shows GMV, paid orders and commission cost over 30 days, a
/// server-rendered SVG chart of daily GMV, the funnel and the top promoters; the withdrawals
/// queue, where only finance (and owners) approve or reject.
struct ConsoleController {
    let sessions: SessionRepository
    let withdrawals: WithdrawalRepository
    let payouts: PayoutService
    let promoters: PromoterRepository
    let database: any Database
    let clock: any TuikeClock

    func addRoutes(to api: APIRoutes) {
        api.add(.post, "/api/v1/admin-users", summary: "Create a console user", tag: "Console", access: .admin,
                request: Schemas.object([("username", Schemas.string), ("password", Schemas.string),
                                         ("role", Schemas.enumeration(SessionRepository.roles))], required: ["username", "password", "role"]),
                responses: [(201, "The user.", Schemas.object([("id", Schemas.string), ("username", Schemas.string), ("role", Schemas.string)])),
                            (409, "username_taken.", Schemas.ref("Error"))], handler: createUser)
        api.add(.get, "/admin/login", summary: "Console: login form (HTML)", tag: "Pages", access: .publicAccess,
                responses: [(200, "HTML.", nil)], handler: loginForm)
        api.add(.post, "/admin/login", summary: "Console: log in", tag: "Pages", access: .publicAccess,
                responses: [(303, "To the console.", nil), (401, "Wrong username or password (HTML).", nil)], handler: login)
        api.add(.post, "/admin/logout", summary: "Console: log out", tag: "Pages", access: .publicAccess,
                responses: [(303, "To the login form.", nil)], handler: logout)
        api.add(.get, "/admin", summary: "Console: dashboard and withdrawals queue (HTML)", tag: "Pages", access: .publicAccess,
                responses: [(200, "HTML.", nil), (303, "To the login form without a session.", nil)], handler: dashboard)
        api.add(.post, "/admin/withdrawals/{id}/approve", summary: "Console: approve and pay a withdrawal (finance, owner)", tag: "Pages",
                access: .publicAccess, responses: [(303, "Back to the console.", nil), (403, "Not finance (HTML).", nil)], handler: approve)
        api.add(.post, "/admin/withdrawals/{id}/reject", summary: "Console: reject a withdrawal (finance, owner)", tag: "Pages",
                access: .publicAccess, responses: [(303, "Back to the console.", nil), (403, "Not finance (HTML).", nil)], handler: reject)
    }

    struct UserRequest: Decodable { let username: String; let password: String; let role: String }

    @Sendable func createUser(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        try context.requireAdmin()
        let body = try await JSONBody.decode(UserRequest.self, from: request, context: context, allowedFields: ["username", "password", "role"])
        guard SessionRepository.roles.contains(body.role) else { throw TuikeError.validation("role must be one of: owner, finance, operator") }
        guard (3...64).contains(body.username.count), body.username.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            throw TuikeError.validation("username must be 3 to 64 letters, digits, - or _")
        }
        guard (8...72).contains(body.password.utf8.count) else { throw TuikeError.validation("password must be 8 to 72 bytes") }
        let user = try await sessions.createAdmin(username: body.username, passwordHash: Bcrypt.hash(body.password, cost: PortalController.bcryptCost),
                                                  role: body.role, at: clock.now())
        return try JSONOutput.response(["id": user.id, "username": user.username, "role": user.role], status: .created)
    }

    func user(_ request: Request) async throws -> SessionRepository.AdminUser? {
        guard let session = try await WebSessions.session(request, kind: "admin", sessions: sessions, now: clock.now()) else { return nil }
        return try await sessions.admin(id: session.subjectID)
    }

    @Sendable func loginForm(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        if try await user(request) != nil { return .redirect(to: "/admin", type: .normal) }
        return form(request, error: nil, username: "", status: .ok)
    }

    func form(_ request: Request, error: String?, username: String, status: HTTPResponse.Status) -> Response {
        let strings = Language.of(request).strings
        return WebSessions.loginPage(request, heading: strings["console_login"]!, action: "/admin/login", field: "username",
                                     fieldLabel: strings["username"]!, value: username, error: error, status: status)
    }

    @Sendable func login(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let fields = try await Forms.verified(request, context: context)
        let username = fields["username"] ?? ""
        guard let found = try await sessions.admin(username: username), Bcrypt.verify(fields["password"] ?? "", hash: found.hash) else {
            return form(request, error: Language.of(request).strings["login_failed"], username: username, status: .unauthorized)
        }
        return WebSessions.signedIn(token: try await sessions.open(kind: "admin", subjectID: found.user.id, at: clock.now()), to: "/admin")
    }

    @Sendable func logout(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        try await WebSessions.signOut(request, context: context, sessions: sessions, to: "/admin/login")
    }

    /// Approve and reject: finance and owners only; anyone else gets a 403 page.
    func decide(_ request: Request, context: TuikeRequestContext, _ act: (String, String, [String: String]) async throws -> Void) async throws -> Response {
        let fields = try await Forms.verified(request, context: context)
        guard let user = try await user(request) else { return .redirect(to: "/admin/login", type: .normal) }
        let language = Language.of(request)
        guard user.role == "finance" || user.role == "owner" else {
            return Templates.message(language.strings["finance_only"]!, language.strings["finance_only"]!, language: language, status: .forbidden)
        }
        do {
            try await act(try context.parameters.require("id"), "console:\(user.username)", fields)
            return .redirect(to: "/admin?notice=withdrawal_done", type: .normal)
        } catch let error as TuikeError {
            return Templates.message(error.code, error.message, language: language, status: ErrorResponses.status(of: error.kind))
        }
    }

    @Sendable func approve(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        try await decide(request, context: context) { id, actor, _ in _ = try await payouts.approve(id, by: actor) }
    }

    @Sendable func reject(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        try await decide(request, context: context) { id, actor, fields in
            let reason = (fields["reason"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            guard (1...500).contains(reason.count) else { throw TuikeError.validation("a rejection needs a reason") }
            _ = try await withdrawals.reject(id, reason: reason, by: actor, at: clock.now())
        }
    }

    @Sendable func dashboard(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        guard let user = try await user(request) else { return .redirect(to: "/admin/login", type: .normal) }
        let language = Language.of(request)
        let now = clock.now()
        let since = now.adding(seconds: -30 * 86_400)
        let figures = try await DashboardQuery(database: database).figures(
            since: since, days: (0..<14).map { now.adding(seconds: -Int64(14 - $0) * 86_400) })
        let peak = max(1, figures.daily.map(\.1).max() ?? 1)
        let bars = figures.daily.enumerated().map { index, day -> [String: Any] in
            let height = 100 * day.1 / peak
            return ["x": index * 22 + 2, "y": 110 - height, "w": 18, "h": max(1, height), "value": Money.format(day.1),
                    "label": String(day.0.rfc3339.prefix(10))]
        }
        let queue = try await withdrawals.list(promoterID: nil, status: .requested, limit: 50, before: nil)
        var names: [String: String] = [:]
        for id in Set(queue.map(\.promoterID)) { names[id] = try await promoters.find(id)?.name ?? id }
        let (csrf, isNew) = Forms.csrfToken(request)
        let page: [String: Any] = [
            "csrf": csrf, "user": ["username": user.username, "role": user.role],
            "notice": request.uri.queryParameters["notice"].flatMap { language.strings[String($0)] } ?? "",
            "kpi": ["gmv": Money.format(figures.gmv), "orders": figures.paidOrders, "commissions": Money.format(figures.commissionCost)],
            "chart": ["width": 14 * 22 + 2, "bars": bars],
            "funnel": ["clicks": figures.clicks, "uv": figures.visitors, "orders": figures.orders, "paid": figures.paidOrders],
            "top": figures.top.map { ["name": $0.name, "amount": Money.format($0.amount)] },
            "queue": queue.map { ["id": $0.id, "promoter": names[$0.promoterID] ?? $0.promoterID, "channel": $0.channel, "amount": Money.format($0.amount)] },
        ]
        var response = Templates.page("admin", title: language.strings["console"]!, language: language, context: page)
        if isNew { response.headers.append(HTTPField(name: .setCookie, value: Forms.cookie(csrf))) }
        return response
    }
}
