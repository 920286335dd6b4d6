import Foundation
import Hummingbird
import TuikeCore
import TuikeStore

/// Commissions and the rules that make them: the commission list, a promoter's balance, the
/// trial balance, product rules and time-boxed campaign rules.
struct CommissionsController {
    let commissions: CommissionRepository
    let promoters: PromoterRepository
    let products: ProductRepository
    let productRules: ProductRuleRepository
    let program: ProgramRepository
    let database: any Database
    let clock: any TuikeClock

    func addRoutes(to api: APIRoutes) {
        api.add(.get, "/api/v1/commissions", summary: "List commissions, newest first", tag: "Commissions", access: .adminOrPromoter,
                responses: [(200, "A page of commissions.", Schemas.page(of: "Commission"))],
                parameters: Schemas.pagination + [
                    Schemas.query("promoter_id", Schemas.string, "Only this promoter's (a promoter token sees only its own)."),
                    Schemas.query("order_id", Schemas.string, "Only this order's."),
                    Schemas.query("status", Schemas.enumeration(Commission.Status.allCases.map(\.rawValue)), "Only this status."),
                    Schemas.query("from", Schemas.time, "Created at or after (RFC 3339)."),
                    Schemas.query("to", Schemas.time, "Created before (RFC 3339)."),
                ], handler: listCommissions)
        api.add(.get, "/api/v1/promoters/{id}/balance", summary: "What the promoter is owed, from the journal", tag: "Commissions",
                access: .promoterSelf, responses: [(200, "Balance in fen.", Schemas.ref("Balance"))], handler: balance)
        api.add(.get, "/api/v1/ledger/trial-balance", summary: "Every account's balance; they sum to zero", tag: "Ledger", access: .admin,
                responses: [(200, "The trial balance.", Schemas.ref("TrialBalance"))],
                parameters: [Schemas.query("detail", Schemas.enumeration(["promoters"]),
                                           "`promoters` lists every promoter's accounts; by default they are summed per kind (`promoter:*:pending`, …).")],
                handler: trialBalance)
        api.add(.post, "/api/v1/ledger/checks", summary: "Recompute every account from the journal and compare it with its running balance",
                tag: "Ledger", access: .admin, responses: [(201, "The check, recorded.", Schemas.ref("LedgerCheck"))]) { _, _ in
            let check = try await database.report { [database, clock] in try await LedgerCheck.run(database: database, at: clock.now()) }
            return try JSONOutput.response(LedgerCheckView(check), status: .created)
        }
        api.add(.get, "/api/v1/ledger/checks/latest", summary: "The latest check of the running balances (hourly, or on demand)", tag: "Ledger",
                access: .admin, responses: [(200, "The check.", Schemas.ref("LedgerCheck")), (404, "No check has run yet.", Schemas.ref("Error"))]) { _, _ in
            guard let check = try await LedgerCheck.latest(database: database) else { throw TuikeError.notFound("ledger check", "latest") }
            return try JSONOutput.response(LedgerCheckView(check))
        }
        api.add(.put, "/api/v1/products/{id}/commission", summary: "Set the product's commission rule", tag: "Commissions", access: .admin,
                request: Schemas.ref("CommissionRule"), responses: [(200, "The rule.", Schemas.ref("CommissionRule"))], handler: setRule)
        api.add(.delete, "/api/v1/products/{id}/commission", summary: "Remove the product's rule (the program default applies)", tag: "Commissions",
                access: .admin, responses: [(204, "Removed.", nil)], handler: removeRule)
        api.add(.post, "/api/v1/campaign-rules", summary: "A time-boxed commission override (限时高额返利)", tag: "Commissions", access: .admin,
                request: Schemas.object([("product_id", Schemas.string), ("starts_at", Schemas.time), ("ends_at", Schemas.time),
                                         ("rule", Schemas.ref("CommissionRule"))], required: ["starts_at", "ends_at", "rule"]),
                responses: [(201, "The campaign rule.", Schemas.ref("CampaignRule"))], handler: createCampaign)
        api.add(.get, "/api/v1/campaign-rules", summary: "Campaign rules that have not ended", tag: "Commissions", access: .admin,
                responses: [(200, "Campaign rules, soonest first.", Schemas.object([("data", Schemas.array(Schemas.ref("CampaignRule")))]))],
                handler: listCampaigns)
    }

    @Sendable func listCommissions(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        let promoterID = try context.promoterScope(asked: query["promoter_id"].map(String.init))
        let page = try PageRequest(request)
        let status = try ProductsController.parse(query["status"].map(String.init), as: Commission.Status.self, field: "status")
        let from = try query["from"].map { try Self.instant(String($0), field: "from") }
        let to = try query["to"].map { try Self.instant(String($0), field: "to") }
        let fetched = try await commissions.list(promoterID: promoterID, orderID: query["order_id"].map(String.init), status: status,
                                                 from: from, to: to, limit: page.limit + 1, before: page.cursor)
        let reasons = try await RiskRepository(database: database).holdReasons(commissionIDs: fetched.filter { $0.status == .held }.map(\.id))
        return try JSONOutput.response(Page(fetched: fetched.map { CommissionView($0, holdReasons: reasons[$0.id]) }, limit: page.limit, id: \.id))
    }

    static func instant(_ text: String, field: String) throws(TuikeError) -> Instant {
        guard let instant = Instant(rfc3339: text) else { throw .validation("\(field) must be an RFC 3339 time like 2026-11-21T00:00:00Z") }
        return instant
    }

    struct BalanceView: Encodable { let promoterId: String; let pending: Int64; let available: Int64; let withdrawing: Int64; let withdrawn: Int64 }

    @Sendable func balance(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        guard try await promoters.find(id) != nil else { throw TuikeError.notFound("promoter", id) }
        let owed = try await JournalRepository.owed(to: id, database: database)
        return try JSONOutput.response(BalanceView(promoterId: id, pending: owed.pending, available: owed.available, withdrawing: owed.withdrawing,
                                                   withdrawn: owed.withdrawn))
    }

    struct TrialBalanceView: Encodable {
        struct Line: Encodable { let account: String; let balance: Int64 }
        let balanced: Bool
        let total: Int64
        let accounts: [Line]
    }

    @Sendable func trialBalance(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let detail = request.uri.queryParameters["detail"].map(String.init)
        guard detail == nil || detail == "promoters" else { throw TuikeError.validation("detail must be promoters") }
        let accounts = try await database.report { [database] in
            try await JournalRepository.trialBalance(everyPromoter: detail == "promoters", database: database)
        }
        let total = accounts.reduce(0) { $0 + $1.balance }
        return try JSONOutput.response(TrialBalanceView(balanced: total == 0, total: total, accounts: accounts.map { .init(account: $0.account, balance: $0.balance) }))
    }

    /// Also part of the reconciliation report's model (the console reads it back from the API).
    struct LedgerCheckView: Codable, Sendable {
        struct Line: Codable, Sendable { let account: String; let journal: Int64; let running: Int64 }
        struct Position: Codable, Sendable { let name: String; let operational: Int64; let journal: Int64; let agrees: Bool }
        let checkedAt: Instant
        let accounts: Int64
        let consistent: Bool
        let differences: [Line]
        let positions: [Position]

        init(_ check: LedgerCheck) {
            checkedAt = check.checkedAt
            accounts = check.accounts
            consistent = check.consistent
            differences = check.differences.map { .init(account: $0.account, journal: $0.journal, running: $0.running) }
            positions = check.positions.map { .init(name: $0.name, operational: $0.operational, journal: $0.journal, agrees: $0.agrees) }
        }

        static let schema = Schemas.object([
            ("checked_at", Schemas.time), ("accounts", Schemas.integer), ("consistent", Schemas.boolean),
            ("differences", Schemas.array(Schemas.object([("account", Schemas.string), ("journal", Schemas.integer), ("running", Schemas.integer)]),
                                          maxItems: 100, "Accounts whose running balance differs from their postings (debits minus credits), at most 100.")),
            ("positions", Schemas.array(Schemas.object([("name", Schemas.enumeration(["pending_commissions", "withdrawals_in_flight"])),
                                                        ("operational", Schemas.integer), ("journal", Schemas.integer), ("agrees", Schemas.boolean)]))),
        ], required: ["checked_at", "accounts", "consistent", "differences", "positions"])
    }

    @Sendable func setRule(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        guard try await products.find(id) != nil else { throw TuikeError.notFound("product", id) }
        let rule = try await JSONBody.decode(CommissionRule.self, from: request, context: context)
        try rule.validate(maxTotalBps: try await program.current().maxTotalBps)
        try await productRules.set(rule, productID: id, at: clock.now())
        return try JSONOutput.response(rule)
    }

    @Sendable func removeRule(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        guard try await productRules.remove(productID: id) else { throw TuikeError.notFound("commission rule of product", id) }
        return Response(status: .noContent)
    }

    struct CampaignRequest: RequestBody {
        let productId: String?
        let startsAt: Instant
        let endsAt: Instant
        let rule: CommissionRule
        typealias Keys = CodingKeys
        enum CodingKeys: String, CodingKey, CaseIterable { case productId = "product_id", startsAt = "starts_at", endsAt = "ends_at", rule }
    }

    struct CampaignView: Encodable, Sendable {
        let id: String
        @ExplicitNull var productId: String?
        let startsAt: Instant
        let endsAt: Instant
        let rule: CommissionRule
        init(_ campaign: CampaignRule) {
            id = campaign.id
            productId = campaign.productID
            startsAt = campaign.startsAt
            endsAt = campaign.endsAt
            rule = campaign.rule
        }
        static let schema = Schemas.object([
            ("id", Schemas.string), ("product_id", Schemas.nullable(Schemas.string)), ("starts_at", Schemas.time),
            ("ends_at", Schemas.time), ("rule", Schemas.ref("CommissionRule")),
        ])
    }

    @Sendable func createCampaign(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(CampaignRequest.self, from: request, context: context)
        guard body.endsAt > body.startsAt else { throw TuikeError.validation("ends_at must be after starts_at") }
        if let productID = body.productId, try await products.find(productID) == nil { throw TuikeError.validation("product_id \(productID) is not a product") }
        try body.rule.validate(maxTotalBps: try await program.current().maxTotalBps)
        let now = clock.now()
        let campaign = CampaignRule(id: Identifier.make("cmp", at: now), productID: body.productId, startsAt: body.startsAt, endsAt: body.endsAt, rule: body.rule)
        try await CampaignRuleRepository(database: database).create(campaign, at: now)
        return try JSONOutput.response(CampaignView(campaign), status: .created)
    }

    @Sendable func listCampaigns(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        return try JSONOutput.response(["data": try await CampaignRuleRepository(database: database).current(at: clock.now()).map(CampaignView.init)])
    }
}
