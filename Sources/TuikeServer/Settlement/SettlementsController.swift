import Hummingbird
import TuikeCore
import TuikeStore

/// Settlement batches and statements (docs/rules.md §5–6). Batches are also made by the scheduled
/// job at each period boundary; a period settled twice answers the first batch.
struct SettlementsController {
    let settlements: SettlementRepository
    let commissions: CommissionRepository
    let program: ProgramRepository
    let clock: any TuikeClock

    func addRoutes(to api: APIRoutes) {
        api.add(.post, "/api/v1/settlements", summary: "Settle every eligible pending commission up to period_end", tag: "Settlement",
                access: .admin, request: Schemas.object([("period_end", Schemas.time)], required: ["period_end"]),
                responses: [(201, "The new batch with its lines.", Schemas.ref("Settlement")),
                            (200, "That period was settled before: the existing batch, nothing booked again.", Schemas.ref("Settlement"))],
                handler: settle)
        api.add(.get, "/api/v1/settlements", summary: "Settlement batches, newest first", tag: "Settlement", access: .admin,
                responses: [(200, "A page of batches (without lines).", Schemas.page(of: "Settlement"))], parameters: Schemas.pagination, handler: list)
        api.add(.get, "/api/v1/settlements/{id}", summary: "One batch with a page of its lines, by promoter", tag: "Settlement", access: .admin,
                responses: [(200, "The batch; `lines_next_cursor` gives the next page of lines.", Schemas.ref("Settlement"))],
                parameters: Schemas.pagination, handler: show)
        api.add(.get, "/api/v1/promoters/{id}/statements", summary: "The promoter's statements, newest first", tag: "Settlement",
                access: .promoterSelf, responses: [(200, "A page of statements.", Schemas.page(of: "Statement"))],
                parameters: Schemas.pagination, handler: statements)
        api.add(.get, "/api/v1/promoters/{id}/statements/{settlement_id}", summary: "One statement with its commission lines", tag: "Settlement",
                access: .promoterSelf, responses: [(200, "The statement.", Schemas.ref("Statement"))], handler: statement)
    }

    struct SettleRequest: RequestBody {
        let periodEnd: Instant
        typealias Keys = CodingKeys
        enum CodingKeys: String, CodingKey, CaseIterable { case periodEnd = "period_end" }
    }

    @Sendable func settle(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(SettleRequest.self, from: request, context: context)
        let (batch, created) = try await settlements.settle(periodEnd: body.periodEnd, trigger: .manual, settings: try await program.current(), at: clock.now())
        return try JSONOutput.response(BatchView(batch, lines: try await settlements.lines(settlementID: batch.id)), status: created ? .created : .ok)
    }

    @Sendable func list(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let page = try PageRequest(request)
        let fetched = try await settlements.list(limit: page.limit + 1, before: page.cursor)
        return try JSONOutput.response(Page(fetched: fetched.map { BatchView($0, lines: nil) }, limit: page.limit, id: \.id))
    }

    @Sendable func show(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        guard let batch = try await settlements.find(id) else { throw TuikeError.notFound("settlement", id) }
        // Lines by the page: a batch has one per promoter, ten thousand in a large school.
        let page = try PageRequest(request, defaultLimit: PageRequest.maxLimit)
        let lines = try await settlements.lines(settlementID: id, after: page.cursor, limit: page.limit + 1)
        var view = BatchView(batch, lines: Array(lines.prefix(page.limit)))
        view.linesNextCursor = lines.count > page.limit ? lines.prefix(page.limit).last?.promoterID : nil
        return try JSONOutput.response(view)
    }

    @Sendable func statements(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let page = try PageRequest(request)
        let fetched = try await settlements.statements(promoterID: id, limit: page.limit + 1, before: page.cursor)
        return try JSONOutput.response(Page(fetched: fetched.map { StatementView($0, lines: nil) }, limit: page.limit, id: \.settlementId))
    }

    @Sendable func statement(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let settlementID = try context.parameters.require("settlement_id")
        guard let statement = try await settlements.statement(settlementID: settlementID, promoterID: id) else {
            throw TuikeError.notFound("statement", "\(settlementID) of promoter \(id)")
        }
        let lines = try await commissions.list(promoterID: id, orderID: nil, status: nil, settlementID: settlementID, limit: nil, before: nil)
        return try JSONOutput.response(StatementView(statement, lines: lines.reversed().map { CommissionView($0) }))
    }

    struct LineView: Encodable, Sendable {
        let promoterId: String
        let gross: Int64
        let tax: Int64
        let net: Int64
        let commissionCount: Int64
    }

    struct BatchView: Encodable, Sendable {
        let id: String
        let periodEnd: Instant
        let trigger: String
        let taxMode: String
        let gross: Int64
        let tax: Int64
        let net: Int64
        let promoterCount: Int64
        let commissionCount: Int64
        let createdAt: Instant
        let lines: [LineView]?
        var linesNextCursor: String?

        init(_ batch: SettlementBatch, lines: [Statement]?) {
            id = batch.id
            periodEnd = batch.periodEnd
            trigger = batch.trigger.rawValue
            taxMode = batch.taxMode
            gross = batch.gross
            tax = batch.tax
            net = batch.net
            promoterCount = batch.promoterCount
            commissionCount = batch.commissionCount
            createdAt = batch.createdAt
            self.lines = lines?.map { LineView(promoterId: $0.promoterID, gross: $0.gross, tax: $0.tax, net: $0.net, commissionCount: $0.commissionCount) }
        }

        static let schema = Schemas.object([
            ("id", Schemas.string), ("period_end", Schemas.time), ("trigger", Schemas.enumeration(["manual", "scheduled"])),
            ("tax_mode", Schemas.enumeration(ProgramSettings.TaxMode.allCases.map(\.rawValue))), ("gross", Schemas.integer),
            ("tax", Schemas.money("Withheld per docs/rules.md §6.")), ("net", Schemas.integer), ("promoter_count", Schemas.integer),
            ("commission_count", Schemas.integer), ("created_at", Schemas.time),
            ("lines", Schemas.array(Schemas.object([
                ("promoter_id", Schemas.string), ("gross", Schemas.integer), ("tax", Schemas.integer), ("net", Schemas.integer),
                ("commission_count", Schemas.integer),
            ]))),
            ("lines_next_cursor", Schemas.nullable(Schemas.string)),
        ], required: ["id", "period_end", "gross", "tax", "net"])
    }

    struct StatementView: Encodable, Sendable {
        let settlementId: String
        let periodEnd: Instant
        let promoterId: String
        let gross: Int64
        let tax: Int64
        let net: Int64
        let commissionCount: Int64
        let createdAt: Instant
        let lines: [CommissionView]?

        init(_ statement: Statement, lines: [CommissionView]?) {
            settlementId = statement.settlementID
            periodEnd = statement.periodEnd
            promoterId = statement.promoterID
            gross = statement.gross
            tax = statement.tax
            net = statement.net
            commissionCount = statement.commissionCount
            createdAt = statement.createdAt
            self.lines = lines
        }

        static let schema = Schemas.object([
            ("settlement_id", Schemas.string), ("period_end", Schemas.time), ("promoter_id", Schemas.string), ("gross", Schemas.integer),
            ("tax", Schemas.integer), ("net", Schemas.integer), ("commission_count", Schemas.integer), ("created_at", Schemas.time),
            ("lines", Schemas.array(Schemas.ref("Commission"))),
        ])
    }
}
