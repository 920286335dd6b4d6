import Hummingbird
import TuikeCore
import TuikeStore

/// Risk (docs/rules.md §16): the rules the owner edits, trusted promoters left out of chosen
/// rules, and the review queue of cases.
struct RiskController {
    let risk: RiskRepository
    let commissions: CommissionRepository
    let program: ProgramRepository
    let clock: any TuikeClock

    func addRoutes(to api: APIRoutes) {
        let rule = Schemas.ref("RiskRule"), riskCase = Schemas.ref("RiskCase")
        api.add(.get, "/api/v1/risk/rules", summary: "The risk rules: each signal's mode, threshold and weight", tag: "Risk", access: .admin,
                responses: [(200, "Every rule.", Schemas.object([("data", Schemas.array(rule))]))], handler: rules)
        api.add(.put, "/api/v1/risk/rules/{code}", summary: "Change a rule (versioned and audited)", tag: "Risk", access: .admin,
                request: Self.ruleChangeSchema, responses: [(200, "The rule as it now is.", rule)], handler: setRule)
        api.add(.get, "/api/v1/risk/cases", summary: "The review queue: cases, newest first", tag: "Risk", access: .admin,
                responses: [(200, "A page of cases.", Schemas.page(of: "RiskCase"))],
                parameters: Schemas.pagination + [
                    Schemas.query("status", Schemas.enumeration(RiskCase.Status.allCases.map(\.rawValue)), "Only this status (open: waiting for review)."),
                    Schemas.query("promoter_id", Schemas.string, "Only this promoter's."),
                ], handler: cases)
        api.add(.get, "/api/v1/risk/cases/{id}", summary: "One case with its evidence", tag: "Risk", access: .admin,
                responses: [(200, "The case, with the commissions it holds or held.", riskCase)], handler: find)
        let reason = Schemas.object([("reason", Schemas.text(1...RiskCase.maxResolutionLength))], required: ["reason"])
        api.add(.post, "/api/v1/risk/cases/{id}/release", summary: "Release the held commissions (settled in the next batch)", tag: "Risk",
                access: .admin, request: reason, responses: [(200, "The case, released.", riskCase)], handler: release)
        api.add(.post, "/api/v1/risk/cases/{id}/reject", summary: "Reject the held commissions (reversed in the ledger)", tag: "Risk",
                access: .admin, request: reason, responses: [(200, "The case, rejected.", riskCase)], handler: reject)
        api.add(.get, "/api/v1/promoters/{id}/risk-exclusions", summary: "The rules a trusted promoter is left out of", tag: "Risk", access: .admin,
                responses: [(200, "The exclusions.", Schemas.object([("data", Schemas.array(Self.exclusionSchema))])),
                            (404, "Unknown promoter.", Schemas.ref("Error"))], handler: exclusions)
        api.add(.put, "/api/v1/promoters/{id}/risk-exclusions/{code}", summary: "Leave a trusted promoter out of a rule, with the reason",
                tag: "Risk", access: .admin, request: reason, responses: [(200, "The exclusion.", Self.exclusionSchema)], handler: exclude)
        api.add(.delete, "/api/v1/promoters/{id}/risk-exclusions/{code}", summary: "Put the promoter back under the rule", tag: "Risk",
                access: .admin, responses: [(204, "Removed (or there was none).", nil)], handler: include)
    }

    struct RuleView: Encodable, Sendable {
        let code: String
        let mode: String
        let threshold: Int64
        let weight: Int64
        let version: Int64

        init(_ rule: RiskRule) {
            code = rule.code.rawValue
            mode = rule.mode.rawValue
            threshold = rule.threshold
            weight = rule.weight
            version = rule.version
        }

        static let schema = Schemas.object([
            ("code", Schemas.enumeration(RiskCode.allCases.map(\.rawValue))), ("mode", Schemas.enumeration(RiskMode.allCases.map(\.rawValue))),
            ("threshold", Schemas.integer), ("weight", Schemas.integer(in: RiskRule.weights)), ("version", Schemas.integer),
        ])
    }

    static let ruleChangeSchema: JSONValue = {
        var schema = Schemas.object([
            ("mode", Schemas.enumeration(RiskMode.allCases.map(\.rawValue))),
            ("threshold", ["type": "integer", "minimum": 1, "maximum": 100_000, "description": "In the signal's own unit (docs/rules.md §16)."] as JSONValue),
            ("weight", Schemas.integer(in: RiskRule.weights)),
        ])
        schema.set("minProperties", 1)
        return schema
    }()

    static let exclusionSchema = Schemas.object([("code", Schemas.enumeration(RiskCode.allCases.map(\.rawValue))), ("reason", Schemas.string)])

    struct RuleChange: RequestBody {
        let mode: String?
        let threshold: Int64?
        let weight: Int64?
        typealias Keys = CodingKeys
        enum CodingKeys: String, CodingKey, CaseIterable { case mode, threshold, weight }
    }

    struct Reason: RequestBody {
        let reason: String
        typealias Keys = CodingKeys
        enum CodingKeys: String, CodingKey, CaseIterable { case reason }
    }

    static func code(_ context: TuikeRequestContext) throws -> RiskCode {
        let raw = try context.parameters.require("code")
        guard let code = RiskCode(rawValue: raw) else { throw TuikeError.notFound("risk rule", raw) }
        return code
    }

    @Sendable func rules(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        try JSONOutput.response(["data": try await risk.rules().map(RuleView.init)])
    }

    @Sendable func setRule(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let admin = try context.requireAdmin()
        let code = try Self.code(context)
        let body = try await JSONBody.decode(RuleChange.self, from: request, context: context)
        guard body.mode != nil || body.threshold != nil || body.weight != nil else { throw TuikeError.validation("send mode, threshold or weight") }
        let mode = try ProductsController.parse(body.mode, as: RiskMode.self, field: "mode")
        let rule = try await risk.setRule(code, mode: mode, threshold: body.threshold, weight: body.weight, actor: PromotersController.actor(admin),
                                          at: clock.now())
        return try JSONOutput.response(RuleView(rule))
    }

    @Sendable func cases(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let page = try PageRequest(request)
        let query = request.uri.queryParameters
        let status = try ProductsController.parse(query["status"].map(String.init), as: RiskCase.Status.self, field: "status")
        let fetched = try await risk.cases(status: status, promoterID: query["promoter_id"].map(String.init), limit: page.limit + 1, before: page.cursor)
        let review = try await reviewTime()
        return try JSONOutput.response(Page(fetched: fetched.map { RiskCaseView($0, review: review) }, limit: page.limit, id: \.id))
    }

    @Sendable func find(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        guard let found = try await risk.findCase(id) else { throw TuikeError.notFound("risk case", id) }
        return try JSONOutput.response(try await detailed(found))
    }

    @Sendable func release(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        try await resolve(request, context: context, release: true)
    }

    @Sendable func reject(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        try await resolve(request, context: context, release: false)
    }

    private func resolve(_ request: Request, context: TuikeRequestContext, release: Bool) async throws -> Response {
        let admin = try context.requireAdmin()
        let id = try context.parameters.require("id")
        let body = try await JSONBody.decode(Reason.self, from: request, context: context)
        let resolved = try await risk.resolve(id, release: release, reason: body.reason, actor: PromotersController.actor(admin), at: clock.now())
        return try JSONOutput.response(try await detailed(resolved))
    }

    /// The program's review time and the clock, for each case's due time and whether it is overdue.
    func reviewTime() async throws -> (hours: Int64, now: Instant) {
        (try await program.current().riskReviewHours, clock.now())
    }

    /// One case as its page shows it: with the commissions it holds (or held, once reviewed).
    func detailed(_ found: RiskCase) async throws -> RiskCaseView {
        var view = RiskCaseView(found, review: try await reviewTime())
        view.commissions = try await commissions.list(promoterID: nil, orderID: nil, status: nil, riskCaseID: found.id, limit: 200, before: nil)
            .map { CommissionView($0, holdReasons: $0.status == .held ? found.signals.map(\.code.rawValue) : nil) }
        return view
    }

    @Sendable func exclusions(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let rows = try await risk.exclusions(promoterID: try context.parameters.require("id"))
        return try JSONOutput.response(["data": rows.map { ["code": $0.code.rawValue, "reason": $0.reason] }])
    }

    @Sendable func exclude(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let admin = try context.requireAdmin()
        let promoterID = try context.parameters.require("id"), code = try Self.code(context)
        let body = try await JSONBody.decode(Reason.self, from: request, context: context)
        let reason = try RiskCase.checkedResolution(body.reason)
        try await risk.setExclusion(promoterID: promoterID, code: code, reason: reason, actor: PromotersController.actor(admin), at: clock.now())
        return try JSONOutput.response(["code": code.rawValue, "reason": reason])
    }

    @Sendable func include(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let admin = try context.requireAdmin()
        try await risk.setExclusion(promoterID: try context.parameters.require("id"), code: try Self.code(context), reason: nil,
                                    actor: PromotersController.actor(admin), at: clock.now())
        return Response(status: .noContent)
    }
}

/// A case as admins see it: its signals with their reasons and evidence, and its review.
struct RiskCaseView: Encodable, Sendable {
    struct Signal: Encodable, Sendable {
        let code: String
        let reason: String
        let evidence: [String: String]
    }

    let id: String
    let promoterId: String
    @ExplicitNull var orderId: String?
    let status: String
    let score: Int64
    let signals: [Signal]
    let createdAt: Instant
    @ExplicitNull var resolvedAt: Instant?
    @ExplicitNull var resolvedBy: String?
    @ExplicitNull var resolution: String?
    /// When the review is due (`risk_review_hours` after the case opened), and whether an open
    /// case is past it. An overdue case stays held.
    let reviewDueAt: Instant
    let overdue: Bool
    /// Only on one case (not in the queue's pages).
    var commissions: [CommissionView]?

    init(_ found: RiskCase, review: (hours: Int64, now: Instant)) {
        reviewDueAt = found.createdAt.adding(seconds: Money.times(review.hours, 3_600))
        overdue = found.status == .open && review.now > reviewDueAt
        id = found.id
        promoterId = found.promoterID
        orderId = found.orderID
        status = found.status.rawValue
        score = found.score
        signals = found.signals.map { Signal(code: $0.code.rawValue, reason: $0.reason, evidence: $0.evidence) }
        createdAt = found.createdAt
        resolvedAt = found.resolvedAt
        resolvedBy = found.resolvedBy
        resolution = found.resolution
    }

    static let schema = Schemas.object([
        ("id", Schemas.string), ("promoter_id", Schemas.string), ("order_id", Schemas.nullable(Schemas.string)),
        ("status", Schemas.enumeration(RiskCase.Status.allCases.map(\.rawValue))), ("score", Schemas.integer),
        ("signals", Schemas.array(Schemas.object([("code", Schemas.enumeration(RiskCode.allCases.map(\.rawValue))), ("reason", Schemas.string),
                                                  ("evidence", ["type": "object", "additionalProperties": ["type": "string"]] as JSONValue)]))),
        ("created_at", Schemas.time), ("resolved_at", Schemas.nullable(Schemas.time)), ("resolved_by", Schemas.nullable(Schemas.string)),
        ("resolution", Schemas.nullable(Schemas.string)),
        ("review_due_at", Schemas.time), ("overdue", ["type": "boolean", "description": "Open and past its review time: still held."] as JSONValue),
        ("commissions", Schemas.array(Schemas.ref("Commission"), "Only on one case: the commissions it holds, or held before its review.")),
    ])
}
