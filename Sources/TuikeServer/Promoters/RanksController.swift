import Hummingbird
import TuikeCore
import TuikeStore

/// Ranks: configurable, recomputed hourly by a job and on demand; the rank shows on the
/// promoter and adds its bonus to level 1 of percent rules.
struct RanksController {
    let ranks: RankRepository
    let program: ProgramRepository
    let clock: any TuikeClock

    func addRoutes(to api: APIRoutes) {
        api.add(.post, "/api/v1/ranks", summary: "Define a rank", tag: "Promoters", access: .admin,
                request: Schemas.object([("name", Schemas.name(maxLength: Rank.maxNameLength)),
                                         ("metric", Schemas.enumeration(Rank.Metric.allCases.map(\.rawValue))),
                                         ("threshold", Schemas.integer(in: 0...Money.maxAmount, "Orders, or fen of sales, in the trailing 30 days.")),
                                         ("bonus_bps", Schemas.integer(in: 0...Money.fullRate))],
                                        required: ["name", "metric", "threshold", "bonus_bps"]),
                responses: [(201, "The rank.", Schemas.ref("Rank"))], handler: create)
        api.add(.get, "/api/v1/ranks", summary: "All ranks, smallest bonus first", tag: "Promoters", access: .admin,
                responses: [(200, "Ranks.", Schemas.object([("data", Schemas.array(Schemas.ref("Rank")))]))]) { _, context in
            return try JSONOutput.response(["data": try await ranks.all().map(RankView.init)])
        }
        api.add(.delete, "/api/v1/ranks/{id}", summary: "Remove a rank", tag: "Promoters", access: .admin,
                responses: [(204, "Removed.", nil)]) { _, context in
            let id = try context.parameters.require("id")
            guard try await ranks.delete(id) else { throw TuikeError.notFound("rank", id) }
            return Response(status: .noContent)
        }
        api.add(.post, "/api/v1/ranks/recompute", summary: "Recompute every promoter's rank now", tag: "Promoters", access: .admin,
                responses: [(200, "How many promoters changed rank.", Schemas.object([("changed", Schemas.integer)]))]) { _, context in
            return try JSONOutput.response(["changed": try await ranks.recompute(at: clock.now())])
        }
    }

    struct CreateRequest: RequestBody {
        let name: String
        let metric: String
        let threshold: Int64
        let bonusBps: Int64
        typealias Keys = CodingKeys
        enum CodingKeys: String, CodingKey, CaseIterable { case name, metric, threshold, bonusBps = "bonus_bps" }
    }

    @Sendable func create(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(CreateRequest.self, from: request, context: context)
        let metric = try ProductsController.parse(required: body.metric, as: Rank.Metric.self, field: "metric")
        let now = clock.now()
        let rank = Rank(id: Identifier.make("rnk", at: now), name: body.name.trimmingCharacters(in: .whitespaces), metric: metric,
                        threshold: body.threshold, bonusBps: body.bonusBps)
        try rank.validate(program: try await program.current())
        try await ranks.create(rank, at: now)
        return try JSONOutput.response(RankView(rank), status: .created)
    }
}
