import Hummingbird
import TuikeCore
import TuikeStore

/// Withdrawals (docs/rules.md §7): a promoter (or an admin for it) asks, an admin approves (and
/// the payout provider pays) or rejects with a reason.
struct WithdrawalsController {
    let withdrawals: WithdrawalRepository
    let payouts: PayoutService
    let program: ProgramRepository
    let clock: any TuikeClock

    func addRoutes(to api: APIRoutes) {
        api.add(.post, "/api/v1/withdrawals", summary: "Ask for a withdrawal; the amount leaves available at once", tag: "Withdrawals",
                access: .adminOrPromoter,
                request: Schemas.object([
                    ("promoter_id", Schemas.string), ("amount", Schemas.integer(in: 1...Money.maxAmount, "Fen, at least the program's withdrawal.min_amount.")),
                    ("channel", Schemas.enumeration(ProgramSettings.Channel.allCases.map(\.rawValue))),
                    ("account", Schemas.text(0...200, "Where to pay (card, wallet id), shown to finance.")),
                ], required: ["promoter_id", "amount", "channel"]),
                responses: [(201, "Requested.", Schemas.ref("Withdrawal")),
                            (409, "insufficient_balance (also while available is negative) or promoter_not_active.", Schemas.ref("Error"))],
                handler: create)
        api.add(.get, "/api/v1/withdrawals", summary: "Withdrawals, newest first", tag: "Withdrawals", access: .adminOrPromoter,
                responses: [(200, "A page of withdrawals.", Schemas.page(of: "Withdrawal"))],
                parameters: Schemas.pagination + [
                    Schemas.query("promoter_id", Schemas.string, "Only this promoter's (a promoter token sees only its own)."),
                    Schemas.query("status", Schemas.enumeration(WithdrawalStatus.allCases.map(\.rawValue)), "Only this status."),
                ], handler: list)
        api.add(.get, "/api/v1/withdrawals/{id}", summary: "One withdrawal", tag: "Withdrawals", access: .adminOrPromoter,
                responses: [(200, "The withdrawal.", Schemas.ref("Withdrawal"))], handler: show)
        api.add(.post, "/api/v1/withdrawals/{id}/approve", summary: "Approve and pay out through the payout provider", tag: "Withdrawals",
                access: .admin, responses: [(200, "paid, or failed (the amount is back in available).", Schemas.ref("Withdrawal")),
                                            (409, "withdrawal_rejected.", Schemas.ref("Error"))], handler: approve)
        api.add(.post, "/api/v1/withdrawals/{id}/reject", summary: "Reject with a reason; the amount returns to available", tag: "Withdrawals",
                access: .admin, request: Schemas.object([("reason", Schemas.text(1...500))], required: ["reason"]),
                responses: [(200, "Rejected.", Schemas.ref("Withdrawal")), (409, "withdrawal_not_pending.", Schemas.ref("Error"))], handler: reject)
    }

    struct CreateRequest: RequestBody {
        let promoterId: String
        let amount: Int64
        let channel: String
        let account: String?
        typealias Keys = CodingKeys
        enum CodingKeys: String, CodingKey, CaseIterable { case promoterId = "promoter_id", amount, channel, account }
    }

    @Sendable func create(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let body = try await JSONBody.decode(CreateRequest.self, from: request, context: context)
        try context.requireSelfOrAdmin(body.promoterId)
        let channel = try ProductsController.parse(required: body.channel, as: ProgramSettings.Channel.self, field: "channel")
        if let account = body.account, account.count > 200 { throw TuikeError.validation("account is longer than 200 characters") }
        let record = try await withdrawals.request(
            promoterID: body.promoterId, amount: body.amount, channel: channel, account: body.account,
            settings: try await program.current().withdrawal, requestedBy: PromotersController.actor(principal), at: clock.now())
        return try JSONOutput.response(WithdrawalView(record), status: .created)
    }

    @Sendable func list(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        let promoterID = try context.promoterScope(asked: query["promoter_id"].map(String.init))
        let page = try PageRequest(request)
        let status = try ProductsController.parse(query["status"].map(String.init), as: WithdrawalStatus.self, field: "status")
        let fetched = try await withdrawals.list(promoterID: promoterID, status: status, limit: page.limit + 1, before: page.cursor)
        return try JSONOutput.response(Page(fetched: fetched.map(WithdrawalView.init), limit: page.limit, id: \.id))
    }

    @Sendable func show(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        guard let record = try await withdrawals.find(id) else { throw TuikeError.notFound("withdrawal", id) }
        try context.requireSelfOrAdmin(record.promoterID)
        return try JSONOutput.response(WithdrawalView(record))
    }

    @Sendable func approve(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let admin = try context.requireAdmin()
        let id = try context.parameters.require("id")
        return try JSONOutput.response(WithdrawalView(try await payouts.approve(id, by: PromotersController.actor(admin))))
    }

    struct RejectRequest: RequestBody {
        let reason: String
        enum CodingKeys: String, CodingKey, CaseIterable { case reason }
        typealias Keys = CodingKeys
    }

    @Sendable func reject(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let admin = try context.requireAdmin()
        let id = try context.parameters.require("id")
        let body = try await JSONBody.decode(RejectRequest.self, from: request, context: context)
        let reason = body.reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...500).contains(reason.count) else { throw TuikeError.validation("reason must be 1 to 500 characters") }
        let record = try await withdrawals.reject(id, reason: reason, by: PromotersController.actor(admin), at: clock.now())
        return try JSONOutput.response(WithdrawalView(record))
    }
}
