import Hummingbird
import TuikeCore
import TuikeStore

/// Analytics (docs/rules.md §17): the funnel and the leaderboards, for admins and (their own, or
/// masked) for promoters. The plan simulator is `SimulationsController`.
struct AnalyticsController {
    let funnels: FunnelQuery
    let leaderboards: LeaderboardQuery
    let promoters: PromoterRepository
    let products: ProductRepository
    let links: LinkRepository
    let videos: VideoRepository
    let program: ProgramRepository
    let clock: any TuikeClock

    func addRoutes(to api: APIRoutes) {
        api.add(.get, "/api/v1/reports/funnel", summary: "The funnel: clicks, views, visitors, orders, paid, refunded", tag: "Analytics",
                access: .adminOrPromoter, responses: [(200, "The funnel with its conversion rates.", Schemas.jsonOrCSV(FunnelView.schema)),
                                                      (404, "Unknown promoter, product, link or video.", Schemas.ref("Error"))],
                parameters: ReportsController.rangeParameters + [
                    Schemas.query("promoter_id", Schemas.string, "Only this promoter's (a promoter's token always sees its own)."),
                    Schemas.query("product_id", Schemas.string, "Only this product's."),
                    Schemas.query("link", Schemas.linkCode, "Only this link's (its code); promoter_id and product_id are then ignored."),
                    Schemas.query("video_id", Schemas.string,
                                  "Only the links that name this video, from its plays on the platform (with promoter_id, that promoter's share); product_id is then ignored."),
                    CSVExport.formatParameter,
                ], handler: funnel)
        api.add(.get, "/api/v1/leaderboards/{period}", summary: "Promoters ranked over a day, week (from Monday) or month", tag: "Analytics",
                access: .adminOrPromoter, responses: [(200, "The board; a promoter sees other promoters' names masked, and its own place.", Schemas.jsonOrCSV(BoardView.schema)),
                                                      (404, "Unknown period.", Schemas.ref("Error"))],
                parameters: [
                    Schemas.query("metric", Schemas.enumeration(Leaderboard.Metric.allCases.map(\.rawValue)), "What to rank by; default gmv."),
                    Schemas.query("at", ReportsController.dayOrTime, "A day or time inside the period; default now."),
                    Schemas.query("limit", Schemas.integer(in: 1...Int64(Leaderboard.maxLimit)), "Entries shown; default 100."),
                    CSVExport.formatParameter,
                ], handler: leaderboard)
    }

    struct FunnelView: Encodable, Sendable {
        let from: Instant
        let to: Instant
        let clicks: Int64
        let views: Int64
        let visitors: Int64
        let orders: Int64
        let paid: Int64
        let refunded: Int64
        let gmv: Int64
        let refundedAmount: Int64
        @ExplicitNull var medianClickToPaySeconds: Int64?
        let plays: Int64?
        @ExplicitNull var orderRateBps: Int64?
        @ExplicitNull var paymentRateBps: Int64?
        @ExplicitNull var refundRateBps: Int64?

        init(_ funnel: Funnel, from: Instant, to: Instant) {
            (self.from, self.to) = (from, to)
            (clicks, views, visitors) = (funnel.clicks, funnel.views, funnel.visitors)
            (orders, paid, refunded, gmv, refundedAmount) = (funnel.orders, funnel.paid, funnel.refunded, funnel.gmv, funnel.refundedAmount)
            (orderRateBps, paymentRateBps, refundRateBps) = funnel.conversion
            (medianClickToPaySeconds, plays) = (funnel.medianPaySeconds, funnel.plays)
        }

        static let schema: JSONValue = {
            // Above 10000 when orders came without a click in the span (bound buyers, orders
            // reported by an integrator) or refunds were of orders paid before it.
            let rate = Schemas.nullable(Schemas.integer(atLeast: 0))
            return Schemas.object([
                ("from", Schemas.time), ("to", Schemas.time),
                ("clicks", Schemas.integer), ("views", Schemas.integer), ("visitors", Schemas.integer), ("orders", Schemas.integer),
                ("paid", Schemas.integer), ("refunded", Schemas.integer), ("gmv", Schemas.money("Paid in the span, fen.")),
                ("refunded_amount", Schemas.money("Refunded in the span, fen.")),
                ("order_rate_bps", rate), ("payment_rate_bps", rate), ("refund_rate_bps", rate),
                ("median_click_to_pay_seconds", Schemas.nullable(Schemas.integer(atLeast: 0))),
                ("plays", Schemas.integer(atLeast: 0)),
            ], required: ["clicks", "visitors", "views", "orders", "paid", "refunded", "median_click_to_pay_seconds"])
        }()
    }

    @Sendable func funnel(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        var promoterID = try context.promoterScope(asked: query["promoter_id"].map(String.init))
        var productID = query["product_id"].map(String.init)
        var linkID: String?
        if let code = query["link"].map(String.init) {
            guard let link = try await links.find(code: code), context.ownPromoterID.map({ $0 == link.promoterID }) ?? true else {
                throw TuikeError.notFound("link", code)
            }
            (linkID, promoterID, productID) = (link.id, nil, nil)
        }
        if let id = promoterID, context.ownPromoterID == nil, try await promoters.find(id) == nil { throw TuikeError.notFound("promoter", id) }
        if let id = productID, try await products.find(id) == nil { throw TuikeError.notFound("product", id) }
        let videoID = linkID == nil ? query["video_id"].map(String.init) : nil
        // An archived video is gone for promoters, as everywhere else; admins still read its figures.
        if let id = videoID, try await videos.find(id).map({ $0.status == .active || context.ownPromoterID == nil }) != true {
            throw TuikeError.notFound("video", id)
        }
        let (from, to) = try await ReportsController.range(request, program: program, clock: clock)
        let csv = try CSVExport.wanted(request)
        let funnel: Funnel
        if let videoID {
            let zone = try await program.current().timeZone
            func label(_ at: Instant) throws -> String { try CalendarDays.days(from: at, to: at, timeZone: zone).first?.label ?? "" }
            funnel = try await funnels.funnel(videoID: videoID, promoterID: promoterID, from: from, to: to, fromDay: try label(from),
                                              toDay: try label(to.adding(milliseconds: -1)))
        } else {
            funnel = try await funnels.funnel(promoterID: promoterID, productID: productID, linkID: linkID, from: from, to: to)
        }
        let view = FunnelView(funnel, from: from, to: to)
        guard csv else { return try JSONOutput.response(view) }
        let rate = { (value: Int64?) in value.map(CSV.Cell.number) ?? .text(nil) }
        return CSVExport.document(filename: "funnel.csv", header: ["from", "to", "clicks", "views", "visitors", "orders", "paid", "refunded", "gmv",
                                                                   "refunded_amount", "order_rate_bps", "payment_rate_bps", "refund_rate_bps",
                                                                   "median_click_to_pay_seconds", "plays"],
                                  rows: [[.text(from.rfc3339), .text(to.rfc3339), .number(view.clicks), .number(view.views), .number(view.visitors),
                                          .number(view.orders), .number(view.paid), .number(view.refunded), .number(view.gmv), .number(view.refundedAmount),
                                          rate(view.orderRateBps), rate(view.paymentRateBps), rate(view.refundRateBps),
                                          rate(view.medianClickToPaySeconds), rate(view.plays)]])
    }

    struct EntryView: Encodable, Sendable {
        let rank: Int
        let promoterId: String?
        let name: String
        let value: Int64

        static let schema = Schemas.object([
            ("rank", Schemas.integer(atLeast: 1)), ("promoter_id", Schemas.string), ("name", Schemas.string), ("value", Schemas.integer),
        ], required: ["rank", "name", "value"])
    }

    struct MeView: Encodable, Sendable {
        let rank: Int
        let value: Int64
    }

    struct BoardView: Encodable, Sendable {
        let period: String
        let metric: String
        let from: Instant
        let to: Instant
        /// How many promoters are ranked (the board shows the first `limit`).
        let ranked: Int
        let data: [EntryView]
        /// A promoter's own place; null for admins, and for a promoter with nothing in the period.
        @ExplicitNull var me: MeView?

        static let schema = Schemas.object([
            ("period", Schemas.enumeration(CalendarPeriod.allCases.map(\.rawValue))),
            ("metric", Schemas.enumeration(Leaderboard.Metric.allCases.map(\.rawValue))),
            ("from", Schemas.time), ("to", Schemas.time), ("ranked", Schemas.integer(atLeast: 0)), ("data", Schemas.array(EntryView.schema)),
            ("me", Schemas.nullable(Schemas.object([("rank", Schemas.integer(atLeast: 1)), ("value", Schemas.integer)], required: ["rank", "value"]))),
        ], required: ["period", "metric", "from", "to", "ranked", "data", "me"])
    }

    @Sendable func leaderboard(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        try context.requirePrincipal()
        let raw = try context.parameters.require("period")
        guard let period = CalendarPeriod(rawValue: raw) else { throw TuikeError.notFound("leaderboard period", raw) }
        let query = request.uri.queryParameters
        let metric = try ProductsController.parse(query["metric"].map(String.init), as: Leaderboard.Metric.self, field: "metric") ?? .gmv
        let limit = try Self.limit(query["limit"].map(String.init))
        let zone = try await program.current().timeZone
        let at = try query["at"].map { try ReportsController.instant(String($0), field: "at", dayEnd: false, timeZone: zone) } ?? clock.now()
        let csv = try CSVExport.wanted(request)
        let own = context.ownPromoterID
        let board = try await leaderboards.board(period, metric: metric, at: at, timeZone: zone, limit: limit, alsoName: own)
        let data = board.entries.prefix(limit).map { entry in
            let name = board.names[entry.promoterID] ?? entry.promoterID
            // A promoter sees its own entry whole and the others masked, without their ids.
            let shown = own == nil || own == entry.promoterID
            return EntryView(rank: entry.rank, promoterId: shown ? entry.promoterID : nil, name: shown ? name : Leaderboard.mask(name), value: entry.value)
        }
        if csv {
            return CSVExport.document(filename: "leaderboard-\(period.rawValue)-\(metric.rawValue).csv", header: ["rank", "promoter_id", "name", "value"],
                                      rows: data.map { [.number(Int64($0.rank)), .text($0.promoterId), .text($0.name), .number($0.value)] })
        }
        var view = BoardView(period: period.rawValue, metric: metric.rawValue, from: board.start, to: board.end, ranked: board.entries.count, data: data)
        if let own {
            view.me = board.entries.first { $0.promoterID == own }.map { MeView(rank: $0.rank, value: $0.value) }
        }
        return try JSONOutput.response(view)
    }

    static func limit(_ text: String?) throws -> Int {
        guard let text else { return 100 }
        guard let value = Int(text), (1...Leaderboard.maxLimit).contains(value) else {
            throw TuikeError.validation("limit must be an integer from 1 to \(Leaderboard.maxLimit)")
        }
        return value
    }
}
