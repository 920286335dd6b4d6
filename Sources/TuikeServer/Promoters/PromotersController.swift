import Foundation
import Hummingbird
import TuikeCore
import TuikeStore

/// Promoters: created by admins, or applied for by the public and reviewed; their status, their
/// tokens, their place in the invite tree, their team and traffic.
struct PromotersController {
    let promoters: PromoterRepository
    let ranks: RankRepository
    let tokens: TokenRepository
    let stats: TrafficStats
    let database: any Database
    let clock: any TuikeClock

    func addRoutes(to api: APIRoutes) {
        let promoter = Schemas.ref("Promoter")
        api.add(.post, "/api/v1/promoters", summary: "Create an active promoter", tag: "Promoters", access: .admin,
                request: Schemas.object([("name", Schemas.name(maxLength: Promoter.maxNameLength)), ("phone", Schemas.phone), ("parent_id", Schemas.string),
                                         ("invite_code", Schemas.string), ("buyer_id", Schemas.string)], required: ["name"]),
                responses: [(201, "The promoter.", promoter)], handler: create)
        api.add(.get, "/api/v1/promoters", summary: "List promoters, newest first", tag: "Promoters", access: .admin,
                responses: [(200, "A page of promoters.", Schemas.page(of: "Promoter"))],
                parameters: Schemas.pagination + [
                    Schemas.query("status", Schemas.enumeration(Promoter.Status.allCases.map(\.rawValue)), "Filter by status."),
                    Schemas.query("parent_id", Schemas.string, "Only the direct downline of this promoter."),
                    Schemas.query("ids", Schemas.string, "Only these promoters: ids separated by commas, at most 100."),
                ], handler: list)
        api.add(.get, "/api/v1/promoters/{id}", summary: "Get a promoter", tag: "Promoters", access: .promoterSelf,
                responses: [(200, "The promoter.", promoter)], handler: get)
        api.add(.post, "/api/v1/promoters/{id}/tokens", summary: "Issue an API token for a promoter", tag: "Promoters", access: .admin,
                responses: [(201, "The token, shown only now: a replay of the request (Idempotency-Key) answers with token null.",
                             Schemas.object([("token", Schemas.nullable(Schemas.string)), ("promoter_id", Schemas.string)]))],
                handler: issueToken)
        let actions: [(String, Set<Promoter.Status>, Promoter.Status, String)] = [
            ("suspend", [.active], .suspended, "Suspend an active promoter"),
            ("reactivate", [.suspended], .active, "Reactivate a suspended promoter"),
            ("terminate", Set(Promoter.Status.allCases), .terminated, "Terminate a promoter (final)"),
        ]
        for (action, from, target, summary) in actions {
            api.add(.post, "/api/v1/promoters/{id}/\(action)", summary: summary, tag: "Promoters", access: .admin,
                    request: Schemas.object([("reason", Schemas.string)]), responses: [(200, "The promoter.", promoter)]) { request, context in
                try await transition(request, context: context, from: from, to: target)
            }
        }
        api.add(.put, "/api/v1/promoters/{id}/parent", summary: "Move a promoter under another upline (audited)", tag: "Promoters",
                access: .admin,
                request: Schemas.object([("parent_id", Schemas.nullable(Schemas.string)), ("reason", Schemas.string)], required: ["parent_id", "reason"]),
                responses: [(200, "The promoter.", promoter)], handler: setParent)
        api.add(.get, "/api/v1/promoters/{id}/team", summary: "The direct downline with their aggregates", tag: "Promoters",
                access: .promoterSelf, responses: [(200, "A page of team members.", Schemas.page(of: "TeamMember"))],
                parameters: Schemas.pagination, handler: team)
        api.add(.get, "/api/v1/promoters/{id}/stats", summary: "Clicks (PV), unique visitors (UV) and bot clicks by day", tag: "Promoters",
                access: .promoterSelf, responses: [(200, "Traffic.", Schemas.ref("Stats"))], parameters: TrafficStats.parameters) { request, context in
            let id = try context.parameters.require("id")
            guard try await promoters.find(id) != nil else { throw TuikeError.notFound("promoter", id) }
            return try await stats.response(for: .promoter(id), request: request)
        }
        api.add(.get, "/api/v1/promoters/{id}/agreements", summary: "The promoter's signed agreements (evidence)", tag: "Promoters",
                access: .promoterSelf, responses: [(200, "Acceptances, oldest first.", Schemas.object([("data", Schemas.array(Schemas.ref("AgreementAcceptance")))]))],
                handler: acceptances)
        api.add(.get, "/api/v1/promoters/{id}/audit", summary: "The audit trail of a promoter", tag: "Promoters", access: .admin,
                responses: [(200, "Entries, oldest first.", Schemas.object([("data", Schemas.array(Schemas.ref("AuditEntry")))]))], handler: audit)
    }

    struct CreateRequest: RequestBody {
        let name: String
        let phone: String?
        let parentId: String?
        let inviteCode: String?
        let buyerId: String?
        typealias Keys = CodingKeys
        enum CodingKeys: String, CodingKey, CaseIterable { case name, phone, parentId = "parent_id", inviteCode = "invite_code", buyerId = "buyer_id" }
    }

    @Sendable func create(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(CreateRequest.self, from: request, context: context)
        try Promoter.validate(name: body.name)
        let parentID = try await resolveUpline(parentID: body.parentId, inviteCode: body.inviteCode)
        let created = try await promoters.create(
            .init(name: body.name, phone: body.phone, status: .active, parentID: parentID, buyerID: body.buyerId), at: clock.now())
        return try JSONOutput.response(try await view(created), status: .created)
    }

    /// `parent_id` or an invite code names the upline; both must agree if both are given.
    func resolveUpline(parentID: String?, inviteCode: String?) async throws -> String? {
        guard let inviteCode else { return parentID }
        guard let inviter = try await promoters.find(inviteCode: inviteCode) else { throw TuikeError.validation("invite_code \(inviteCode) is not valid") }
        if let parentID, parentID != inviter.id { throw TuikeError.validation("parent_id and invite_code name different promoters") }
        return inviter.id
    }

    @Sendable func list(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let page = try PageRequest(request)
        let status = try ProductsController.parse(request.uri.queryParameters["status"].map(String.init), as: Promoter.Status.self, field: "status")
        let parentID = request.uri.queryParameters["parent_id"].map(String.init)
        let ids = try request.uri.queryParameters["ids"].map { try Self.ids(String($0)) }
        let fetched = try await promoters.list(status: status, parentID: parentID, ids: ids, limit: page.limit + 1, before: page.cursor)
        let ranks = try await ranks.all()
        return try JSONOutput.response(Page(fetched: fetched.map { PromoterView($0, ranks: ranks) }, limit: page.limit, id: \.id))
    }

    /// `?ids=a,b,c`: the names a console table shows in one request rather than one per row.
    static func ids(_ text: String) throws -> Set<String> {
        let ids = Set(text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        guard ids.count <= PageRequest.maxLimit else { throw TuikeError.validation("ids names at most \(PageRequest.maxLimit) promoters") }
        return ids
    }

    @Sendable func get(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        guard let promoter = try await promoters.find(id) else { throw TuikeError.notFound("promoter", id) }
        return try JSONOutput.response(try await view(promoter))
    }

    struct TokenView: Encodable { let token: String; let promoterId: String }

    @Sendable func issueToken(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        guard let promoter = try await promoters.find(id) else { throw TuikeError.notFound("promoter", id) }
        guard promoter.status == .active || promoter.status == .suspended else {
            throw TuikeError(.conflict, code: "promoter_not_active", "promoter \(id) is \(promoter.status.rawValue)")
        }
        let token = try await tokens.issue(role: "promoter", subjectID: id, label: "issued by admin", at: clock.now())
        var response = try JSONOutput.response(TokenView(token: token, promoterId: id), status: .created)
        // Shown once: a replay of this request answers with `token: null` (see IdempotencyMiddleware).
        response.headers[IdempotencyMiddleware.secretFieldsHeader] = "token"
        return response
    }

    struct ReasonRequest: RequestBody {
        let reason: String?
        enum CodingKeys: String, CodingKey, CaseIterable { case reason }
        typealias Keys = CodingKeys
    }

    func transition(_ request: Request, context: TuikeRequestContext, from: Set<Promoter.Status>, to target: Promoter.Status) async throws -> Response {
        let admin = try context.requireAdmin()
        let id = try context.parameters.require("id")
        let body = try await Self.optionalBody(ReasonRequest.self, request: request, context: context)
        let promoter = try await promoters.transition(id, from: from, to: target, reason: body?.reason, actor: Self.actor(admin), at: clock.now())
        return try JSONOutput.response(try await view(promoter))
    }

    struct ParentRequest: RequestBody {
        let parentId: String?
        let reason: String
        typealias Keys = CodingKeys
        enum CodingKeys: String, CodingKey, CaseIterable { case parentId = "parent_id", reason }
    }

    @Sendable func setParent(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let admin = try context.requireAdmin()
        let id = try context.parameters.require("id")
        let body = try await JSONBody.decode(ParentRequest.self, from: request, context: context)
        guard !body.reason.trimmingCharacters(in: .whitespaces).isEmpty else { throw TuikeError.validation("reason must not be empty") }
        let promoter = try await promoters.setParent(id, to: body.parentId, actor: Self.actor(admin), reason: body.reason, at: clock.now())
        return try JSONOutput.response(try await view(promoter))
    }

    struct TeamMemberView: Encodable, Sendable {
        let id: String
        let name: String
        let status: String
        let joinedAt: Instant
        let clicks: Int64
        let directTeamSize: Int64
        let paidOrders: Int64
        let gmv: Int64
    }

    @Sendable func team(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let page = try PageRequest(request)
        guard try await promoters.find(id) != nil else { throw TuikeError.notFound("promoter", id) }
        let members = try await promoters.team(of: id, limit: page.limit + 1, before: page.cursor).map {
            TeamMemberView(id: $0.id, name: $0.name, status: $0.status.rawValue, joinedAt: $0.joinedAt, clicks: $0.clicks, directTeamSize: $0.directTeamSize,
                           paidOrders: $0.paidOrders, gmv: $0.gmv)
        }
        return try JSONOutput.response(Page(fetched: members, limit: page.limit, id: \.id))
    }

    struct AcceptanceView: Encodable, Sendable {
        let id: String
        let version: String
        let sha256: String
        let signedName: String
        @ExplicitNull var ip: String?
        @ExplicitNull var userAgent: String?
        let acceptedAt: Instant
    }

    @Sendable func acceptances(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        guard try await promoters.find(id) != nil else { throw TuikeError.notFound("promoter", id) }
        let rows = try await AgreementRepository(database: database).acceptances(promoterID: id).map {
            AcceptanceView(id: $0.id, version: $0.version, sha256: $0.sha256, signedName: $0.signedName, ip: $0.ip, userAgent: $0.userAgent, acceptedAt: $0.acceptedAt)
        }
        return try JSONOutput.response(["data": rows])
    }

    struct AuditView: Encodable, Sendable { let actor: String; let action: String; let detail: String; let at: Instant }

    @Sendable func audit(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let entries = try await AuditLog.entries(subject: id, database: database).map { AuditView(actor: $0.actor, action: $0.action, detail: $0.detail, at: $0.at) }
        return try JSONOutput.response(["data": entries])
    }

    func view(_ promoter: Promoter) async throws -> PromoterView {
        PromoterView(promoter, ranks: promoter.rankID == nil ? [] : try await ranks.all())
    }

    static func actor(_ principal: Principal) -> String {
        switch principal {
        case .admin(let token): "admin:\(token)"
        case .promoter(let id, _): "promoter:\(id)"
        case .buyer(let id, _): "buyer:\(id)"
        }
    }

    /// Decodes a body that may be absent entirely (actions whose fields are all optional).
    static func optionalBody<T: RequestBody>(_ type: T.Type, request: Request, context: TuikeRequestContext) async throws -> T? {
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        guard buffer.readableBytes > 0 else { return nil }
        return try JSONBody.decode(type, from: Data(buffer: buffer))
    }

    static let teamMemberSchema = Schemas.object([
        ("id", Schemas.string), ("name", Schemas.string), ("status", Schemas.enumeration(Promoter.Status.allCases.map(\.rawValue))),
        ("joined_at", Schemas.time), ("clicks", Schemas.integer), ("direct_team_size", Schemas.integer),
        ("paid_orders", Schemas.integer(atLeast: 0, "The member's own paid orders (never its team's).")),
        ("gmv", Schemas.money("The member's own sales less refunds, fen.")),
    ])
    static let acceptanceSchema = Schemas.object([
        ("id", Schemas.string), ("version", Schemas.string), ("sha256", Schemas.string), ("signed_name", Schemas.string),
        ("ip", Schemas.nullable(Schemas.string)), ("user_agent", Schemas.nullable(Schemas.string)), ("accepted_at", Schemas.time),
    ])
    static let auditSchema = Schemas.object([("actor", Schemas.string), ("action", Schemas.string), ("detail", Schemas.string), ("at", Schemas.time)])
}
