import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdBcrypt
import TuikeCore
import TuikeStore

/// The admin console (`/admin`). Console users with roles (owner / finance / operator, see
/// `ConsoleRole`) log in with a password; the dashboard shows GMV, paid orders and commission cost
/// over 30 days with a server-rendered SVG chart, the funnel, the top promoters and the withdrawals
/// queue. Every other page and form goes through the API in process (`InProcessAPI`).
struct ConsoleController {
    let sessions: SessionRepository
    let withdrawals: WithdrawalRepository
    let promoters: PromoterRepository
    let program: ProgramRepository
    let database: any Database
    let api: InProcessAPI
    let throttle: LoginThrottle
    let passwords: PasswordHasher
    let clock: any TuikeClock

    static let pages = ConsolePages.all
    static let actions = ConsolePages.actions

    func addRoutes(to api: APIRoutes) {
        api.add(.post, "/api/v1/admin-users", summary: "Create a console user", tag: "Console", access: .admin,
                request: Schemas.object([("username", ["type": "string", "pattern": "^[A-Za-z0-9_-]{3,64}$"]),
                                         ("password", Schemas.text(8...72, "8 to 72 bytes in UTF-8 (bcrypt reads no further).")),
                                         ("role", Schemas.enumeration(SessionRepository.roles))], required: ["username", "password", "role"]),
                responses: [(201, "The user.", Self.userSchema),
                            (409, "username_taken.", Schemas.ref("Error"))], handler: createUser)
        api.add(.patch, "/api/v1/admin-users/{id}", summary: "Change a console user's role or password; the user's sessions end", tag: "Console",
                access: .admin,
                request: Schemas.object([("password", Schemas.text(8...72, "8 to 72 bytes in UTF-8 (bcrypt reads no further).")),
                                         ("role", Schemas.enumeration(SessionRepository.roles))]),
                responses: [(200, "The user.", Self.userSchema), (404, "No such user.", Schemas.ref("Error"))], handler: updateUser)
        api.add(.delete, "/api/v1/admin-users/{id}", summary: "Remove a console user; its sessions end", tag: "Console", access: .admin,
                responses: [(204, "Removed.", nil), (404, "No such user.", Schemas.ref("Error"))]) { _, context in
            let id = try context.parameters.require("id")
            guard try await sessions.removeAdmin(id: id) else { throw TuikeError.notFound("console user", id) }
            return Response(status: .noContent)
        }
        api.add(.get, "/admin/login", summary: "Console: login form (HTML)", tag: "Pages", access: .publicAccess,
                responses: [(200, "HTML.", nil)], handler: loginForm)
        api.add(.post, "/admin/login", summary: "Console: log in", tag: "Pages", access: .publicAccess,
                responses: [(303, "To the console.", nil), (401, "Wrong username or password (HTML).", nil)], handler: login)
        api.add(.post, "/admin/logout", summary: "Console: log out", tag: "Pages", access: .publicAccess,
                responses: [(303, "To the login form.", nil)], handler: logout)
        api.add(.get, "/admin", summary: "Console: dashboard and withdrawals queue (HTML)", tag: "Pages", access: .publicAccess,
                responses: [(200, "HTML.", nil), (303, "To the login form without a session.", nil)], handler: dashboard)
        for page in Self.pages {
            api.add(.get, page.path, summary: "Console: \(page.summary) (HTML; \(page.roles.sorted().joined(separator: ", ")))", tag: "Pages",
                    access: .publicAccess, responses: [(200, "HTML.", nil), (303, "To the login form without a session.", nil), (403, "Not for this role (HTML).", nil)],
                    consoleRoles: page.roles) {
                request, context in try await show(page, request, context: context)
            }
        }
        for action in Self.actions {
            api.add(.post, action.path, summary: "Console: \(action.summary) (form; \(action.roles.sorted().joined(separator: ", ")))", tag: "Pages",
                    access: .publicAccess, responses: [(303, "Back to \(action.back) once the API accepted it.", nil),
                                                       (403, "Not for this role, or the form's CSRF token is wrong (HTML).", nil),
                                                       (422, "The API refused it: the page again with its message (HTML; also 404, 409).", nil)],
                    consoleRoles: action.roles) {
                request, context in try await perform(action, request, context: context)
            }
        }
        api.add(.get, "/admin/exports/{name}", summary: "Console: download a CSV export (owner, finance)", tag: "Pages", access: .publicAccess,
                responses: [(200, "text/csv, as GET /api/v1/exports/{name}.", nil), (403, "Not finance (HTML).", nil)], consoleRoles: ConsoleRole.money, handler: export)
        api.add(.get, "/admin/analytics/exports/{name}", summary: "Console: download an analytics report as CSV (funnel, leaderboard, roi)", tag: "Pages",
                access: .publicAccess, responses: [(200, "text/csv, as the report's API with format=csv.", nil), (404, "Unknown report (HTML).", nil)],
                consoleRoles: ConsoleRole.everyone, handler: analyticsExport)
        api.add(.get, "/admin/fulfilment/to-ship.csv", summary: "Console: download the orders to ship (owner, operator)", tag: "Pages", access: .publicAccess,
                responses: [(200, "text/csv, as GET /api/v1/fulfilment/export.csv.", nil), (403, "Not operations (HTML).", nil)],
                consoleRoles: ConsoleRole.operations, handler: exportToShip)
    }

    @Sendable func exportToShip(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        guard let call = try await call(request, context: context) else { return try await withoutSession(request) }
        guard ConsoleRole.operations.contains(call.user.role) else { return forbidden(call.language) }
        switch try await api.stream("/api/v1/fulfilment/export.csv", as: call.principal, context: context) {
        case .answer(let response): return response
        case .refusal(let reply): return Templates.message(call.t[.error], reply.errorMessage, language: call.language, status: reply.status)
        }
    }

    struct UserRequest: RequestBody {
        let username: String
        let password: String
        let role: String
        enum CodingKeys: String, CodingKey, CaseIterable { case username, password, role }
        typealias Keys = CodingKeys
    }

    @Sendable func createUser(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(UserRequest.self, from: request, context: context)
        guard SessionRepository.roles.contains(body.role) else { throw TuikeError.validation("role must be one of: owner, finance, operator") }
        guard (3...64).contains(body.username.count), body.username.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            throw TuikeError.validation("username must be 3 to 64 letters, digits, - or _")
        }
        guard (8...72).contains(body.password.utf8.count) else { throw TuikeError.validation("password must be 8 to 72 bytes") }
        let user = try await sessions.createAdmin(username: body.username, passwordHash: try await passwords.hash(body.password),
                                                  role: body.role, at: clock.now())
        return try JSONOutput.response(["id": user.id, "username": user.username, "role": user.role], status: .created)
    }

    static let userSchema = Schemas.object([("id", Schemas.string), ("username", Schemas.string), ("role", Schemas.string)])

    struct UserChange: RequestBody {
        let password: String?
        let role: String?
        enum CodingKeys: String, CodingKey, CaseIterable { case password, role }
        typealias Keys = CodingKeys
    }

    @Sendable func updateUser(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let body = try await JSONBody.decode(UserChange.self, from: request, context: context)
        if let role = body.role, !SessionRepository.roles.contains(role) { throw TuikeError.validation("role must be one of: owner, finance, operator") }
        if let password = body.password, !(8...72).contains(password.utf8.count) { throw TuikeError.validation("password must be 8 to 72 bytes") }
        guard body.role != nil || body.password != nil else { throw TuikeError.validation("give a role, a password or both") }
        var hash: String?
        if let password = body.password { hash = try await passwords.hash(password) }
        guard let user = try await sessions.updateAdmin(id: id, role: body.role, passwordHash: hash) else { throw TuikeError.notFound("console user", id) }
        return try JSONOutput.response(["id": user.id, "username": user.username, "role": user.role])
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
        return WebSessions.loginPage(request, heading: strings[.consoleLogin], action: "/admin/login", field: "username",
                                     fieldLabel: strings[.username], value: username, error: error, status: status)
    }

    @Sendable func login(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let fields = try await Forms.verified(request, context: context)
        let username = fields["username"] ?? ""
        let address = context.clientIP(request)
        guard try await throttle.allow(account: "admin:\(username)", address: address, at: clock.now()) else {
            var refused = form(request, error: Language.of(request).strings[.loginThrottled], username: username, status: .tooManyRequests)
            refused.headers[.retryAfter] = String(throttle.retryAfter(at: clock.now()))
            return refused
        }
        let found = try await sessions.admin(username: username)
        guard try await passwords.verify(fields["password"] ?? "", hash: found?.hash), let found else {
            return form(request, error: Language.of(request).strings[.consoleLoginFailed], username: username, status: .unauthorized)
        }
        try await throttle.succeeded(account: "admin:\(username)", address: address)
        return WebSessions.signedIn(token: try await sessions.open(kind: "admin", subjectID: found.user.id, at: clock.now()), to: "/admin")
    }

    @Sendable func logout(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        try await WebSessions.signOut(request, context: context, sessions: sessions, to: "/admin/login")
    }

    func forbidden(_ language: Language) -> Response {
        Templates.message(language.strings[.forbidden], language.strings[.roleForbidden], language: language, status: .forbidden)
    }

    /// The navigation, the CSRF token and a nonce for the page's forms (it becomes their
    /// `Idempotency-Key`, so a double submit is one change), the user, and the notice.
    func chrome(_ call: ConsoleCall, current: String) -> (ConsoleView.Node, newCookie: String?) {
        let (csrf, isNew) = Forms.csrfToken(call.request)
        let nav = [ConsoleView.link(call.t[.navDashboard], "/admin", current: current == "/admin")]
            + Self.pages.filter { $0.inNavigation && $0.roles.contains(call.user.role) }
            .map { ConsoleView.link(call.t[$0.title], $0.path, current: $0.path == current) }
        var node: ConsoleView.Node = [
            "csrf": csrf, "nonce": Identifier.secret(length: 24), "nav": nav, "wide": true,
            "user": ["username": call.user.username, "role": call.user.role, "role_label": call.t.label("role", call.user.role)],
        ]
        if let notice = call.query("notice").flatMap({ call.t.lookup("notice_\($0)") }) { node["notice"] = notice }
        return (node, isNew ? Forms.cookie(csrf) : nil)
    }

    /// No console session: a promoter signed in to the portal is told no (403); anyone else logs in.
    func withoutSession(_ request: Request) async throws -> Response {
        if try await WebSessions.session(request, kind: "promoter", sessions: sessions, now: clock.now()) != nil {
            return forbidden(Language.of(request))
        }
        return .redirect(to: "/admin/login", type: .normal)
    }

    func call(_ request: Request, context: TuikeRequestContext) async throws -> ConsoleCall? {
        guard let user = try await user(request) else { return nil }
        return ConsoleCall(request: request, context: context, user: user, language: Language.of(request), api: api, now: clock.now())
    }

    func show(_ page: ConsolePage, _ request: Request, context: TuikeRequestContext, error: String? = nil,
              status: HTTPResponse.Status = .ok) async throws -> Response {
        guard let call = try await call(request, context: context) else { return try await withoutSession(request) }
        guard page.roles.contains(call.user.role) else { return forbidden(call.language) }
        var (node, cookie) = chrome(call, current: page.path)
        var status = status
        var sections: [ConsoleView.Node] = []
        do {
            sections = try await page.build(call)
        } catch let failure as TuikeError {
            node["error"] = failure.message
            status = ErrorResponses.status(of: failure.kind)
        }
        node["body"] = ConsoleHTML.sections(sections, csrf: node["csrf"] as? String ?? "", nonce: node["nonce"] as? String ?? "", none: call.t[.none])
        if let error { node["error"] = error }
        let title = call.t[page.title]
        var response = Templates.page("console", title: title, language: call.language, context: node, status: status)
        if let cookie { response.headers.append(HTTPField(name: .setCookie, value: cookie)) }
        return response
    }

    /// Checks the form's CSRF token and the role, asks the API, and goes back to the page with a
    /// notice; if the API refuses, the page comes again with the API's message and status.
    func perform(_ action: ConsoleAction, _ request: Request, context: TuikeRequestContext) async throws -> Response {
        let values = try await Forms.verified(request, context: context)
        guard let call = try await call(request, context: context) else { return try await withoutSession(request) }
        guard action.roles.contains(call.user.role) else { return forbidden(call.language) }
        let refusal: (String, HTTPResponse.Status)
        do {
            let asked = try action.translate(ConsoleFields(values: values), call)
            var headers = HTTPFields()
            if let nonce = values["_nonce"], (16...64).contains(nonce.count) {
                headers[IdempotencyMiddleware.header] = "console:\(nonce):\(request.uri.path)"
            }
            let reply = try await api.call(asked.method, asked.path, body: asked.body, headers: headers, as: call.principal, context: context)
            if reply.isSuccess { return .redirect(to: action.back + "?notice=done", type: .normal) }
            refusal = (reply.errorMessage, reply.status)
        } catch let failure as TuikeError {
            refusal = (failure.message, ErrorResponses.status(of: failure.kind))
        }
        if action.back == "/admin" { return try await dashboard(request, context: context, error: refusal.0, status: refusal.1) }
        guard let page = Self.pages.first(where: { $0.path == action.back }) else { return .redirect(to: action.back, type: .normal) }
        return try await show(page, request, context: context, error: refusal.0, status: refusal.1)
    }

    /// CSV downloads for finance, straight from the API's export, streamed as it writes them.
    @Sendable func export(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        guard let call = try await call(request, context: context) else { return try await withoutSession(request) }
        guard ConsoleRole.money.contains(call.user.role) else { return forbidden(call.language) }
        let name = try context.parameters.require("name")
        guard ["commissions.csv", "settlements.csv", "statements.csv", "withdrawals.csv"].contains(name) else {
            return Templates.message(call.t[.notFound], name, language: call.language, status: .notFound)
        }
        var path = "/api/v1/exports/\(name)"
        let range = ["from", "to", "settlement_id"].compactMap { key in call.query(key).map { "\(key)=\(ConsoleCall.encode($0))" } }
        if !range.isEmpty { path += "?" + range.joined(separator: "&") }
        switch try await api.stream(path, as: call.principal, context: context) {
        case .answer(let response): return response
        case .refusal(let reply): return Templates.message(call.t[.error], reply.errorMessage, language: call.language, status: reply.status)
        }
    }

    /// The analytics pages' CSV downloads, streamed from the reports' own CSV.
    @Sendable func analyticsExport(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        guard let call = try await call(request, context: context) else { return try await withoutSession(request) }
        let name = try context.parameters.require("name")
        let paths = ["funnel.csv": "/api/v1/reports/funnel", "leaderboard.csv": "/api/v1/leaderboards/month", "roi.csv": "/api/v1/reports/roi"]
        guard let base = paths[name] else { return Templates.message(call.t[.notFound], name, language: call.language, status: .notFound) }
        let query = ["from", "to", "by"].compactMap { key in call.query(key).map { "\(key)=\(ConsoleCall.encode($0))" } }
        switch try await api.stream(base + "?" + (["format=csv"] + query).joined(separator: "&"), as: call.principal, context: context) {
        case .answer(let response): return response
        case .refusal(let reply): return Templates.message(call.t[.error], reply.errorMessage, language: call.language, status: reply.status)
        }
    }

    @Sendable func dashboard(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        try await dashboard(request, context: context, error: nil, status: .ok)
    }

    func dashboard(_ request: Request, context: TuikeRequestContext, error: String?, status: HTTPResponse.Status) async throws -> Response {
        guard let call = try await call(request, context: context) else { return try await withoutSession(request) }
        let now = clock.now()
        let zone = try await program.current().timeZone
        let days = try CalendarDays.days(from: now.adding(seconds: -29 * 86_400), to: now, timeZone: zone)
        let figures = try await database.report { [database] in try await DashboardQuery(database: database).figures(days: days, timeZone: zone, chartDays: 14) }
        let peak = max(1, figures.daily.map(\.1).max() ?? 1)
        let bars = figures.daily.enumerated().map { index, day -> [String: Any] in
            let height = 100 * day.1 / peak
            return ["x": index * 22 + 2, "y": 110 - height, "w": 18, "h": max(1, height), "value": Money.format(day.1),
                    "label": day.0]
        }
        let queue = try await withdrawals.list(promoterID: nil, status: .requested, limit: 50, before: nil)
        let ids = Set(queue.map(\.promoterID))
        let names = Dictionary(uniqueKeysWithValues: try await promoters.list(status: nil, parentID: nil, ids: ids, limit: ids.count, before: nil)
            .map { ($0.id, $0.name) })
        var (page, cookie) = chrome(call, current: "/admin")
        page.merge([
            "kpi": ["gmv": Money.format(figures.gmv), "orders": figures.paidOrders, "commissions": Money.format(figures.commissionCost)],
            "chart": ["width": 14 * 22 + 2, "bars": bars],
            "funnel": ["clicks": figures.clicks, "uv": figures.visitors, "orders": figures.orders, "paid": figures.paidOrders],
            "top": figures.top.map { ["name": $0.name, "amount": Money.format($0.amount)] },
            "queue": queue.map { ["id": $0.id, "promoter": names[$0.promoterID] ?? $0.promoterID, "channel": $0.channel, "amount": Money.format($0.amount)] },
        ]) { $1 }
        if let error { page["error"] = error }
        page["body"] = DashboardHTML.body(page, strings: call.language.strings)
        var response = Templates.page("admin", title: call.t[.console], language: call.language, context: page, status: status)
        if let cookie { response.headers.append(HTTPField(name: .setCookie, value: cookie)) }
        return response
    }
}
