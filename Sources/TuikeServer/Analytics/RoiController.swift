import Hummingbird
import TuikeCore
import TuikeStore

/// Return on commission by product, promoter or campaign rule (docs/rules.md §17), as JSON or CSV.
struct RoiController {
    let roi: RoiQuery
    let program: ProgramRepository
    let clock: any TuikeClock

    func addRoutes(to api: APIRoutes) {
        let row = Self.rowSchema
        api.add(.get, "/api/v1/reports/roi", summary: "GMV, refunds, commission cost, cost per paid order and promoters' share, by product, promoter or campaign",
                tag: "Analytics", access: .admin,
                responses: [(200, "The groups, biggest GMV first, and the total (or CSV).", Schemas.jsonOrCSV(Schemas.object([
                    ("from", Schemas.time), ("to", Schemas.time), ("by", Schemas.enumeration(RoiQuery.Grouping.allCases.map(\.rawValue))),
                    ("groups", Schemas.integer), ("total", row), ("data", Schemas.array(row)),
                ], required: ["by", "groups", "total", "data"])))],
                parameters: ReportsController.rangeParameters + [
                    Schemas.query("by", Schemas.enumeration(RoiQuery.Grouping.allCases.map(\.rawValue)), "How to group; default product."),
                    Schemas.query("limit", Schemas.integer(in: 1...Int64(Leaderboard.maxLimit)),
                                  "Groups of greatest GMV shown; default 100 (the CSV has every group)."),
                    CSVExport.formatParameter,
                ], handler: report)
    }

    struct RowView: Encodable, Sendable {
        let key: String
        let name: String
        let orders: Int64
        let gmv: Int64
        let refunded: Int64
        let commission: Int64
        @ExplicitNull var costPerOrder: Int64?
        @ExplicitNull var promoterShareBps: Int64?

        init(_ row: RoiQuery.Row) {
            (key, name, orders, gmv, refunded, commission) = (row.key, row.name, row.orders, row.gmv, row.refunded, row.commission)
            (costPerOrder, promoterShareBps) = (row.costPerOrder, row.promoterShareBps)
        }
    }

    static let rowSchema = Schemas.object([
        ("key", Schemas.string), ("name", Schemas.string), ("orders", Schemas.integer), ("gmv", Schemas.money("Paid by the lines, fen.")),
        ("refunded", Schemas.money("Refunded of those lines since, fen.")), ("commission", Schemas.money("Earned on them less reversed, fen.")),
        ("cost_per_order", Schemas.nullable(Schemas.integer)), ("promoter_share_bps", Schemas.nullable(Schemas.integer(in: 0...Money.fullRate))),
    ])

    struct ReportView: Encodable, Sendable {
        let from: Instant
        let to: Instant
        let by: String
        /// How many groups the span has (`data` shows the first `limit`).
        let groups: Int
        let total: RowView
        let data: [RowView]
    }

    @Sendable func report(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let grouping = try ProductsController.parse(request.uri.queryParameters["by"].map(String.init), as: RoiQuery.Grouping.self, field: "by") ?? .product
        let csv = try CSVExport.wanted(request)
        let limit = try AnalyticsController.limit(request.uri.queryParameters["limit"].map(String.init))
        let (from, to) = try await ReportsController.range(request, program: program, clock: clock)
        try ReportsController.requireSpan(from: from, to: to)
        let (rows, total, groups) = try await roi.report(by: grouping, from: from, to: to, now: clock.now(), limit: csv ? nil : limit)
        guard csv else {
            return try JSONOutput.response(ReportView(from: from, to: to, by: grouping.rawValue, groups: groups, total: RowView(total), data: rows.map(RowView.init)))
        }
        return CSVExport.document(filename: "roi-\(grouping.rawValue).csv",
                                  header: ["key", "name", "orders", "gmv", "refunded", "commission", "cost_per_order", "promoter_share_bps"],
                                  rows: (rows + [total]).map { row in
                                      [.text(row.key), .text(row.name), .number(row.orders), .number(row.gmv), .number(row.refunded),
                                       .number(row.commission), row.costPerOrder.map(CSV.Cell.number) ?? .text(nil),
                                       row.promoterShareBps.map(CSV.Cell.number) ?? .text(nil)]
                                  })
    }
}

/// Grouped by promoter, a month's report has a row for each of thousands of promoters: written by
/// hand, it costs a fraction of the generic encoder's time (keys in sorted order).
extension RoiController.ReportView: JSONWritable {
    func writeJSON(to json: inout JSONWriter) {
        json.object { json in
            json.field("by", by)
            json.key("data")
            json.array(data) { row, json in row.writeJSON(to: &json) }
            json.field("from", from)
            json.field("groups", Int64(groups))
            json.field("to", to)
            json.key("total")
            total.writeJSON(to: &json)
        }
    }
}

extension RoiController.RowView: JSONWritable {
    func writeJSON(to json: inout JSONWriter) {
        json.object { json in
            json.field("commission", commission)
            json.key("cost_per_order")
            if let costPerOrder { json.value(costPerOrder) } else { json.value(nil as String?) }
            json.field("gmv", gmv)
            json.field("key", key)
            json.field("name", name)
            json.field("orders", orders)
            json.key("promoter_share_bps")
            if let promoterShareBps { json.value(promoterShareBps) } else { json.value(nil as String?) }
            json.field("refunded", refunded)
        }
    }
}
