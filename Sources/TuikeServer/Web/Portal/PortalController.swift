import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdBcrypt
import TuikeCore
import TuikeStore

/// The promoter portal (`/me`): phone + password login (bcrypt) into an HttpOnly,
/// SameSite=Lax session cookie; a dashboard with balance, traffic, links, commissions with the
/// rule that applied, statements, withdrawals and the direct team; a withdraw form; appeals
/// against a commission (through the API in process, as the promoter). A session only ever shows
/// its own promoter.
struct PortalController {
    let sessions: SessionRepository
    let promoters: PromoterRepository
    let links: LinkRepository
    let commissions: CommissionRepository
    let settlements: SettlementRepository
    let withdrawals: WithdrawalRepository
    let rollups: DayRollups
    let program: ProgramRepository
    let database: any Database
    let applications: ApplicationsController
    let agreements: AgreementRepository
    let api: InProcessAPI
    let throttle: LoginThrottle
    let passwords: PasswordHasher
    let forms: FormReplay
    let sightings: SightingRecorder
    let publicURL: String
    let clock: any TuikeClock


    func addRoutes(to api: APIRoutes) {
        api.add(.put, "/api/v1/promoters/{id}/password", summary: "Set the promoter's portal password", tag: "Promoters", access: .promoterSelf,
                request: Schemas.object([("password", Schemas.text(8...72))], required: ["password"]),
                responses: [(204, "Set.", nil)], handler: setPassword)
        api.add(.get, "/me/login", summary: "Promoter portal: login form (HTML)", tag: "Pages", access: .publicAccess,
                responses: [(200, "HTML.", nil)], handler: loginForm)
        api.add(.post, "/me/login", summary: "Promoter portal: log in with phone and password", tag: "Pages", access: .publicAccess,
                responses: [(303, "To the dashboard, with the session cookie.", nil), (401, "Wrong phone or password (HTML).", nil)], handler: login)
        api.add(.post, "/me/logout", summary: "Promoter portal: log out", tag: "Pages", access: .publicAccess,
                responses: [(303, "To the login form.", nil)], handler: logout)
        api.add(.get, "/me", summary: "Promoter portal: the dashboard (HTML)", tag: "Pages", access: .publicAccess,
                responses: [(200, "HTML.", nil), (303, "To the login form without a session.", nil)], handler: dashboard)
        api.add(.get, "/me/apply", summary: "Promoter portal: the application form with the agreement to sign (HTML)", tag: "Pages",
                access: .publicAccess, responses: [(200, "HTML.", nil)], handler: applyForm)
        api.add(.post, "/me/apply", summary: "Promoter portal: apply (signed agreement evidence, password)", tag: "Pages", access: .publicAccess,
                responses: [(200, "Received (HTML), or to the dashboard when applications are approved at once.", nil),
                            (422, "The form again with the problem (HTML).", nil)], handler: apply)
        api.add(.post, "/me/withdraw", summary: "Promoter portal: ask for a withdrawal", tag: "Pages", access: .publicAccess,
                responses: [(303, "Back to the dashboard with a notice.", nil)], handler: withdraw)
        api.add(.post, "/me/appeals", summary: "Promoter portal: appeal a commission (as POST /api/v1/appeals)", tag: "Pages", access: .publicAccess,
                responses: [(303, "Back to the dashboard with a notice.", nil), (409, "An appeal is already open (HTML; also 404, 422).", nil)],
                handler: appeal)
    }

    struct PasswordRequest: RequestBody {
        let password: String
        enum CodingKeys: String, CodingKey, CaseIterable { case password }
        typealias Keys = CodingKeys
    }

    @Sendable func setPassword(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let body = try await JSONBody.decode(PasswordRequest.self, from: request, context: context)
        guard (8...72).contains(body.password.utf8.count) else { throw TuikeError.validation("password must be 8 to 72 bytes") }
        try await sessions.setPassword(promoterID: id, hash: try await passwords.hash(body.password))
        return Response(status: .noContent)
    }

    /// The promoter of the request's session, if it has a live one.
    func promoterID(_ request: Request) async throws -> String? {
        try await WebSessions.session(request, kind: "promoter", sessions: sessions, now: clock.now())?.subjectID
    }

    @Sendable func loginForm(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        if try await promoterID(request) != nil { return .redirect(to: "/me", type: .normal) }
        return Self.form(request, error: nil, phone: "", status: .ok)
    }

    static func form(_ request: Request, error: String?, phone: String, status: HTTPResponse.Status) -> Response {
        let strings = Language.of(request).strings
        return WebSessions.loginPage(request, heading: strings[.portalLogin], action: "/me/login", field: "phone", fieldLabel: strings[.phone],
                                     value: phone, error: error, status: status)
    }

    @Sendable func login(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let fields = try await Forms.verified(request, context: context)
        let phone = fields["phone"] ?? ""
        let address = context.clientIP(request)
        // Counted by the number itself, however it was written ("138 0000 0000", "+86…").
        let account = "promoter:\(Phone.normalize(phone) ?? phone)"
        guard try await throttle.allow(account: account, address: address, at: clock.now()) else {
            var refused = Self.form(request, error: Language.of(request).strings[.loginThrottled], phone: phone, status: .tooManyRequests)
            refused.headers[.retryAfter] = String(throttle.retryAfter(at: clock.now()))
            return refused
        }
        // An unknown phone costs the same bcrypt check as a known one (`verify` with no hash).
        let found = try await sessions.credentials(phone: phone)
        guard try await passwords.verify(fields["password"] ?? "", hash: found?.hash), let found, found.status == "active" else {
            return Self.form(request, error: Language.of(request).strings[.loginFailed], phone: phone, status: .unauthorized)
        }
        try await throttle.succeeded(account: account, address: address)
        await sightings.record(promoterID: found.promoterID, ip: address, device: fields["tk_device"], source: "login", at: clock.now())
        return WebSessions.signedIn(token: try await sessions.open(kind: "promoter", subjectID: found.promoterID, at: clock.now()), to: "/me")
    }

    @Sendable func logout(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        try await WebSessions.signOut(request, context: context, sessions: sessions, to: "/me/login")
    }

    @Sendable func applyForm(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let invite = request.uri.queryParameters["invite"].map(String.init) ?? ""
        return try await applyPage(request, form: ["invite_code": invite], error: nil, status: .ok)
    }

    func applyPage(_ request: Request, form: [String: String], error: String?, status: HTTPResponse.Status) async throws -> Response {
        let language = Language.of(request)
        guard let agreement = try await agreements.current() else { throw TuikeError.notFound("agreement", "current") }
        let (csrf, isNew) = Forms.csrfToken(request)
        var response = Templates.page("apply", title: language.strings[.applyTitle], language: language, context: [
            "csrf": csrf, "error": error ?? "", "form": form,
            "agreement": ["version": agreement.version, "text": agreement.text, "sha256": agreement.sha256],
        ], status: status)
        if isNew { response.headers.append(HTTPField(name: .setCookie, value: Forms.cookie(csrf))) }
        return response
    }

    @Sendable func apply(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let fields = try await Forms.verified(request, context: context)
        let language = Language.of(request)
        // A double submit is one application (and counts once against the phone's limit).
        return try await forms.once(request, fields: fields) { do {
            let password = fields["password"] ?? ""
            guard (8...72).contains(password.utf8.count) else { throw TuikeError.validation("password must be 8 to 72 bytes") }
            let invite = (fields["invite_code"] ?? "").trimmingCharacters(in: .whitespaces)
            // Hashed before the application is taken, so a taken phone (answered like a new
            // application) costs the same time as a free one.
            let address = context.clientIP(request)
            try await applications.admit(phone: fields["phone"] ?? "", ip: address)
            let hash = try await passwords.hash(password)
            let submitted = try await applications.submit(
                name: fields["name"] ?? "", phone: fields["phone"] ?? "", inviteCode: invite.isEmpty ? nil : invite,
                agreementVersion: fields["agreement_version"] ?? "", signedName: fields["signed_name"] ?? "",
                ip: address, userAgent: request.headers[.userAgent], device: fields["tk_device"], admitted: true)
            if let promoter = submitted.promoter { try await sessions.setPassword(promoterID: promoter.id, hash: hash) }
            // One answer whether the phone was free or a promoter's already (then nothing was
            // stored), so the form tells nobody whose number it is; an approved applicant logs in.
            let message: Word = submitted.status == .active ? .appliedActiveMessage : .appliedMessage
            return Templates.message(language.strings[.applied], language.strings[message], language: language, status: .ok)
        } catch let error as TuikeError {
            var form = fields
            form["password"] = nil
            return try await applyPage(request, form: form, error: error.message, status: ErrorResponses.status(of: error.kind))
        } }
    }

    @Sendable func withdraw(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let fields = try await Forms.verified(request, context: context)
        guard let id = try await promoterID(request) else { return .redirect(to: "/me/login", type: .normal) }
        let language = Language.of(request)
        return try await forms.once(request, fields: fields) { do {
            guard let amount = Money.parse(fields["amount"] ?? "") else { throw TuikeError.validation("amount must be yuan like 100 or 99.50") }
            let channel = try ProductsController.parse(fields["channel"], as: ProgramSettings.Channel.self, field: "channel") ?? .wallet
            _ = try await withdrawals.request(promoterID: id, amount: amount, channel: channel, account: nil,
                                              settings: try await program.current().withdrawal, requestedBy: "promoter:\(id)", at: clock.now())
            return .redirect(to: "/me?notice=withdraw_requested", type: .normal)
        } catch let error as TuikeError {
            return try await page(request, promoterID: id, language: language, error: error.message, status: ErrorResponses.status(of: error.kind),
                                  context: context)
        } }
    }

    @Sendable func appeal(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let fields = try await Forms.verified(request, context: context)
        guard let id = try await promoterID(request) else { return .redirect(to: "/me/login", type: .normal) }
        return try await forms.once(request, fields: fields) {
            let reply = try await api.call(.post, "/api/v1/appeals", body: ["commission_id": fields["commission_id"] ?? "", "message": fields["message"] ?? ""],
                                           as: Self.principal(id), context: context)
            if reply.isSuccess { return .redirect(to: "/me?notice=appeal_sent", type: .normal) }
            return try await page(request, promoterID: id, language: Language.of(request), error: reply.errorMessage, status: reply.status, context: context)
        }
    }

    /// What a portal session is to the API: its promoter.
    static func principal(_ promoterID: String) -> Principal { .promoter(promoterID: promoterID, tokenID: "portal") }

    @Sendable func dashboard(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        guard let id = try await promoterID(request) else { return .redirect(to: "/me/login", type: .normal) }
        return try await page(request, promoterID: id, language: Language.of(request), error: nil, status: .ok, context: context)
    }

    func page(_ request: Request, promoterID id: String, language: Language, error: String?, status: HTTPResponse.Status,
              context requestContext: TuikeRequestContext) async throws -> Response {
        guard let promoter = try await promoters.find(id) else { return .redirect(to: "/me/login", type: .normal) }
        let strings = language.strings
        let now = clock.now()
        // The last 30 days of the program's time zone, today included.
        let zone = try await program.current().timeZone
        let days = try CalendarDays.days(from: now.adding(seconds: -29 * 86_400), to: now, timeZone: zone)
        let since = days.first?.start ?? now
        let shown = request.uri.queryParameters["status"].flatMap { Commission.Status(rawValue: String($0)) }
        // The page's reads do not depend on each other: they run together.
        async let settingsRead = program.current()
        async let owedRead = JournalRepository.owed(to: id, database: database)
        async let trafficRead = rollups.traffic(.promoter(id), days: days, timeZone: zone)
        async let ordersRead = CountedOrders.count(promoterID: id, from: since, through: now, database: database)
        async let linksRead = links.list(promoterID: id, limit: 20, before: nil)
        async let commissionsRead = commissions.list(promoterID: id, orderID: nil, status: shown, limit: 30, before: nil)
        async let statementsRead = settlements.statements(promoterID: id, limit: 10, before: nil)
        async let withdrawalsRead = withdrawals.list(promoterID: id, status: nil, limit: 10, before: nil)
        async let teamRead = promoters.team(of: id, limit: 20, before: nil)
        async let incentivesRead = BadgeRepository(database: database).incentives(promoterID: id, timeZone: zone, now: now)
        async let boardRead = LeaderboardQuery(database: database).board(.month, metric: .gmv, at: now, timeZone: zone, limit: 0)
        async let appealsRead = api.call(.get, "/api/v1/appeals?limit=10", as: Self.principal(id), context: requestContext)
        let (settings, owed, orders) = try await (settingsRead, owedRead, ordersRead)
        let traffic = try await trafficRead
        let conversion = traffic.visitors == 0 ? "–" : "\(Money.format(Money.share(10_000, part: orders, whole: traffic.visitors)))%"
        let notice = request.uri.queryParameters["notice"].flatMap { Word(rawValue: String($0)).map { strings[$0] } } ?? ""
        let (csrf, isNew) = Forms.csrfToken(request)
        let appeals = try await appealsRead.decode(Listing<ConsolePages.AppealRow>.self).data.map { appeal in
            var row: [String: Any] = ["created_at": String(appeal.createdAt.prefix(10)), "message": appeal.message,
                                      "status_label": strings.label("appeal", appeal.status.rawValue)]
            if let answer = appeal.answer { row["answer"] = answer }
            return row
        }
        let commissionList = try await commissionsRead
        let holdReasons = try await RiskRepository(database: database).holdReasons(commissionIDs: commissionList.filter { $0.status == .held }.map(\.id))
        let model: [String: Any] = [
            "csrf": csrf, "nonce": Identifier.secret(length: 24), "notice": notice, "error": error ?? "",
            "promoter": ["name": promoter.name, "invite_code": promoter.inviteCode],
            "balance": ["pending": Money.format(owed.pending), "available": Money.format(owed.available), "withdrawn": Money.format(owed.withdrawn)],
            "stats": ["pv": traffic.clicks, "uv": traffic.visitors, "orders": orders, "conversion": conversion],
            "channels": settings.withdrawal.channels.map(\.rawValue),
            "links": try await linksRead.filter { $0.status == .active }.map {
                ["code": $0.code, "url": "\(publicURL)/r/\($0.code)"]
            },
            "commission_filters": ([nil] + [Commission.Status.pending, .held, .settled, .withdrawn, .reversed]).map { status -> [String: Any] in
                ["href": status.map { "/me?status=\($0.rawValue)#commissions" } ?? "/me#commissions",
                 "label": status.map { strings.label("commission", $0.rawValue) } ?? strings[.all], "current": status == shown]
            },
            "commissions": commissionList.map {
                var row: [String: Any] = ["id": $0.id, "created_at": String($0.createdAt.rfc3339.prefix(10)), "level": $0.level, "basis": $0.basis,
                                          "amount": Money.format($0.amount), "status_label": strings.label("commission", $0.status.rawValue)]
                // A held commission says why, by the signals' names: never the evidence.
                if let codes = holdReasons[$0.id] { row["hold_reason"] = codes.map { strings.label("risk", $0) }.joined(separator: ", ") }
                return row
            },
            "statements": try await statementsRead.map {
                ["period_end": String($0.periodEnd.rfc3339.prefix(10)), "gross": Money.format($0.gross), "tax": Money.format($0.tax), "net": Money.format($0.net)]
            },
            "withdrawals": try await withdrawalsRead.map {
                ["requested_at": String($0.requestedAt.rfc3339.prefix(10)), "channel": $0.channel, "amount": Money.format($0.amount),
                 "status": strings.label("withdrawal", $0.status.rawValue)]
            },
            "team": try await teamRead.map { ["name": $0.name, "clicks": $0.clicks, "paid_orders": $0.paidOrders] },
            "appeals": appeals,
            "incentives": try await Self.incentives(try await incentivesRead, rank: try await boardRead.entries.first { $0.promoterID == id }?.rank),
        ]
        var response = Templates.page("me", title: promoter.name, language: language,
                                      context: ["body": PortalHTML.body(model, strings: language.strings)], status: status)
        if isNew { response.headers.append(HTTPField(name: .setCookie, value: Forms.cookie(csrf))) }
        return response
    }

    /// The portal's incentives card: points, badges shown now, progress towards each, the
    /// promoter's place on this month's board by sales.
    static func incentives(_ found: BadgeRepository.Incentives, rank: Int?) -> [String: Any] {
        var card: [String: Any] = [
            "points": found.points,
            "badges": found.badges.map { badge -> [String: Any] in
                var row: [String: Any] = ["name": badge.name]
                if let perk = badge.perk { row["perk"] = perk }
                if let code = badge.couponCode { row["coupon"] = code }
                return row
            },
            "progress": found.progress.map { ["name": $0.rule.name, "value": $0.rule.metric == .gmv ? Money.format($0.value) : "\($0.value)",
                                              "threshold": $0.rule.metric == .gmv ? Money.format($0.rule.threshold) : "\($0.rule.threshold)"] },
        ]
        if let rank { card["rank"] = rank }
        return card
    }
}
