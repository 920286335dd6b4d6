import Foundation
import Hummingbird
import TuikeCore
import TuikeStore

/// Appeals (申诉) and manual adjustments: a promoter disputes a commission or its reversal;
/// an admin answers and may book an adjustment, a journal entry carrying the reason and the admin.
struct AppealsController {
    let appeals: AppealRepository
    let commissions: CommissionRepository
    let clock: any TuikeClock

    func addRoutes(to api: APIRoutes) {
        api.add(.post, "/api/v1/appeals", summary: "Dispute a commission or its reversal", tag: "Appeals", access: .adminOrPromoter,
                request: Schemas.object([("commission_id", Schemas.string), ("message", Schemas.text(1...2_000))], required: ["commission_id", "message"]),
                responses: [(201, "Open.", Schemas.ref("Appeal")), (409, "appeal_open: this commission has an open appeal.", Schemas.ref("Error"))],
                handler: create)
        api.add(.get, "/api/v1/appeals", summary: "Appeals, newest first", tag: "Appeals", access: .adminOrPromoter,
                responses: [(200, "A page of appeals.", Schemas.page(of: "Appeal"))],
                parameters: Schemas.pagination + [
                    Schemas.query("promoter_id", Schemas.string, "Only this promoter's (a promoter token sees only its own)."),
                    Schemas.query("status", Schemas.enumeration(Appeal.Status.allCases.map(\.rawValue)), "Only this status."),
                ], handler: list)
        api.add(.get, "/api/v1/appeals/{id}", summary: "One appeal", tag: "Appeals", access: .adminOrPromoter,
                responses: [(200, "The appeal.", Schemas.ref("Appeal"))], handler: show)
        api.add(.post, "/api/v1/appeals/{id}/answer", summary: "Answer an appeal, optionally with an adjustment", tag: "Appeals", access: .admin,
                request: Schemas.object([("answer", Schemas.text(1...2_000)),
                                         ("adjustment", Schemas.integer(in: Self.adjustmentRange, "Fen to add to (or, negative, take from) the promoter's available balance."))],
                                        required: ["answer"]),
                responses: [(200, "Answered.", Schemas.ref("Appeal")), (409, "appeal_answered.", Schemas.ref("Error"))], handler: answer)
        api.add(.post, "/api/v1/adjustments", summary: "Book a manual adjustment to a promoter's available balance", tag: "Appeals",
                access: .admin, request: Schemas.object([("promoter_id", Schemas.string), ("amount", Schemas.integer(in: Self.adjustmentRange, "Non-zero fen; negative takes.")),
                                                         ("reason", Schemas.text(1...500))], required: ["promoter_id", "amount", "reason"]),
                responses: [(201, "Booked.", Schemas.ref("Adjustment"))], handler: adjust)
        api.add(.get, "/api/v1/adjustments", summary: "Manual adjustments, newest first", tag: "Appeals", access: .adminOrPromoter,
                responses: [(200, "A page of adjustments.", Schemas.page(of: "Adjustment"))],
                parameters: Schemas.pagination + [Schemas.query("promoter_id", Schemas.string, "Only this promoter's.")], handler: listAdjustments)
    }

    struct CreateRequest: RequestBody {
        let commissionId: String
        let message: String
        typealias Keys = CodingKeys
        enum CodingKeys: String, CodingKey, CaseIterable { case commissionId = "commission_id", message }
    }

    @Sendable func create(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(CreateRequest.self, from: request, context: context)
        let message = try Self.text(body.message, field: "message", limit: 2_000)
        guard let commission = try await commissions.find(body.commissionId) else { throw TuikeError.notFound("commission", body.commissionId) }
        try context.requireSelfOrAdmin(commission.promoterID)
        let appeal = try await appeals.create(commissionID: commission.id, promoterID: commission.promoterID, message: message, at: clock.now())
        return try JSONOutput.response(AppealView(appeal), status: .created)
    }

    @Sendable func list(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let promoterID = try context.promoterScope(asked: request.uri.queryParameters["promoter_id"].map(String.init))
        let page = try PageRequest(request)
        let status = try ProductsController.parse(request.uri.queryParameters["status"].map(String.init), as: Appeal.Status.self, field: "status")
        let fetched = try await appeals.list(promoterID: promoterID, status: status, limit: page.limit + 1, before: page.cursor)
        return try JSONOutput.response(Page(fetched: fetched.map(AppealView.init), limit: page.limit, id: \.id))
    }

    @Sendable func show(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        guard let appeal = try await appeals.find(id) else { throw TuikeError.notFound("appeal", id) }
        try context.requireSelfOrAdmin(appeal.promoterID)
        return try JSONOutput.response(AppealView(appeal))
    }

    struct AnswerRequest: RequestBody {
        let answer: String
        let adjustment: Int64?
        enum CodingKeys: String, CodingKey, CaseIterable { case answer, adjustment }
        typealias Keys = CodingKeys
    }

    @Sendable func answer(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let admin = try context.requireAdmin()
        let id = try context.parameters.require("id")
        let body = try await JSONBody.decode(AnswerRequest.self, from: request, context: context)
        let text = try Self.text(body.answer, field: "answer", limit: 2_000)
        try Self.checkAmount(body.adjustment ?? 0, allowZero: true)
        let (appeal, _) = try await appeals.answer(id, answer: text, adjustment: body.adjustment, by: PromotersController.actor(admin), at: clock.now())
        return try JSONOutput.response(AppealView(appeal))
    }

    struct AdjustRequest: RequestBody {
        let promoterId: String
        let amount: Int64
        let reason: String
        typealias Keys = CodingKeys
        enum CodingKeys: String, CodingKey, CaseIterable { case promoterId = "promoter_id", amount, reason }
    }

    @Sendable func adjust(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let admin = try context.requireAdmin()
        let body = try await JSONBody.decode(AdjustRequest.self, from: request, context: context)
        let reason = try Self.text(body.reason, field: "reason", limit: 500)
        try Self.checkAmount(body.amount, allowZero: false)
        let record = try await appeals.adjust(promoterID: body.promoterId, amount: body.amount, reason: reason, by: PromotersController.actor(admin), at: clock.now())
        return try JSONOutput.response(AdjustmentView(record), status: .created)
    }

    @Sendable func listAdjustments(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let promoterID = try context.promoterScope(asked: request.uri.queryParameters["promoter_id"].map(String.init))
        let page = try PageRequest(request)
        let fetched = try await appeals.adjustments(promoterID: promoterID, limit: page.limit + 1, before: page.cursor)
        return try JSONOutput.response(Page(fetched: fetched.map(AdjustmentView.init), limit: page.limit, id: \.id))
    }

    /// Adjustments are corrections, not a second payroll: at most 1,000,000.00 either way.
    static let adjustmentRange: ClosedRange<Int64> = -100_000_000...100_000_000

    static func checkAmount(_ amount: Int64, allowZero: Bool) throws(TuikeError) {
        guard allowZero || amount != 0 else { throw .validation("amount must not be zero") }
        // A range, not abs(): abs(Int64.min) traps, and a request must never end the process.
        guard adjustmentRange.contains(amount) else { throw .validation("an adjustment is at most \(adjustmentRange.upperBound) fen either way") }
    }

    static func text(_ raw: String, field: String, limit: Int) throws(TuikeError) -> String {
        let text = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...limit).contains(text.count) else { throw .validation("\(field) must be 1 to \(limit) characters") }
        return text
    }

    struct AppealView: Encodable, Sendable {
        let id: String
        let promoterId: String
        let commissionId: String
        let message: String
        let status: String
        @ExplicitNull var answer: String?
        @ExplicitNull var answeredBy: String?
        @ExplicitNull var adjustmentId: String?
        let createdAt: Instant
        @ExplicitNull var answeredAt: Instant?

        init(_ appeal: Appeal) {
            id = appeal.id
            promoterId = appeal.promoterID
            commissionId = appeal.commissionID
            message = appeal.message
            status = appeal.status.rawValue
            answer = appeal.answer
            answeredBy = appeal.answeredBy
            adjustmentId = appeal.adjustmentID
            createdAt = appeal.createdAt
            answeredAt = appeal.answeredAt
        }

        static let schema = Schemas.object([
            ("id", Schemas.string), ("promoter_id", Schemas.string), ("commission_id", Schemas.string), ("message", Schemas.string),
            ("status", Schemas.enumeration(Appeal.Status.allCases.map(\.rawValue))), ("answer", Schemas.nullable(Schemas.string)),
            ("answered_by", Schemas.nullable(Schemas.string)), ("adjustment_id", Schemas.nullable(Schemas.string)), ("created_at", Schemas.time),
            ("answered_at", Schemas.nullable(Schemas.time)),
        ])
    }

    struct AdjustmentView: Encodable, Sendable {
        let id: String
        let promoterId: String
        let amount: Int64
        let reason: String
        let admin: String
        @ExplicitNull var appealId: String?
        let createdAt: Instant

        init(_ record: Adjustment) {
            id = record.id
            promoterId = record.promoterID
            amount = record.amount
            reason = record.reason
            admin = record.admin
            appealId = record.appealID
            createdAt = record.createdAt
        }

        static let schema = Schemas.object([
            ("id", Schemas.string), ("promoter_id", Schemas.string), ("amount", Schemas.integer), ("reason", Schemas.string),
            ("admin", Schemas.string), ("appeal_id", Schemas.nullable(Schemas.string)), ("created_at", Schemas.time),
        ])
    }
}
