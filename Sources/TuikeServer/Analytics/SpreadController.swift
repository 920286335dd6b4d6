import Foundation
import Hummingbird
import TuikeCore
import TuikeStore

/// The propagation tree of a product or the program, its hot nodes, its reproduction number and
/// the forecast of its further reach, with the same forecast made halfway through beside what
/// happened (docs/rules.md §17); and the tree as SVG.
struct SpreadController {
    let spread: SpreadQuery
    let products: ProductRepository
    let program: ProgramRepository
    let clock: any TuikeClock

    static let maxGenerationDays: Int64 = 90
    static let forecastGenerations = 3

    static let parameters: [JSONValue] = ReportsController.rangeParameters + [
        Schemas.query("product_id", Schemas.string, "Only this product's tree (default: the whole program)."),
        Schemas.query("generation_days", Schemas.integer(in: 1...maxGenerationDays), "Days a promoter recruits in (one generation); default 7."),
    ]

    func addRoutes(to api: APIRoutes) {
        api.add(.get, "/api/v1/reports/spread", summary: "The referral tree: generations, hot nodes, R and the forecast of further reach",
                tag: "Analytics", access: .admin, responses: [(200, "The tree's figures.", Self.schema), (404, "Unknown product.", Schemas.ref("Error"))],
                parameters: Self.parameters) { request, _ in
            let (report, scope) = try await report(request)
            return try JSONOutput.response(SpreadView(report, scope: scope))
        }
        api.add(.get, "/api/v1/reports/spread.svg", summary: "The referral tree drawn as SVG", tag: "Analytics", access: .admin,
                responses: [(200, "image/svg+xml.", nil), (404, "Unknown product.", Schemas.ref("Error"))],
                parameters: Self.parameters + [Schemas.query("lang", Schemas.enumeration(["zh", "en"]), "The caption's language; default en.")]) { request, _ in
            let (report, _) = try await report(request)
            let count = report.tree.nodes.count
            let caption = request.uri.queryParameters["lang"] == "zh" ? "\(count) 位推客" : "\(count) promoters"
            let svg = SpreadSVG.render(report.tree, hot: Set(report.tree.hot(limit: 10).map(\.id)), caption: caption)
            return Response(status: .ok, headers: [.contentType: "image/svg+xml; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: svg)))
        }
    }

    struct Scope: Sendable {
        let from: Instant
        let to: Instant
        let productID: String?
        let generationDays: Int64
    }

    func report(_ request: Request) async throws -> (SpreadReport, Scope) {
        let query = request.uri.queryParameters
        let productID = query["product_id"].map(String.init)
        if let productID, try await products.find(productID) == nil { throw TuikeError.notFound("product", productID) }
        var days: Int64 = 7
        if let text = query["generation_days"] {
            guard let value = Int64(text), (1...Self.maxGenerationDays).contains(value) else {
                throw TuikeError.validation("generation_days must be an integer from 1 to \(Self.maxGenerationDays)")
            }
            days = value
        }
        let (from, to) = try await ReportsController.range(request, program: program, clock: clock)
        // What has not happened yet is not observed: the window ends now at the latest.
        let until = min(to, clock.now())
        guard from < until else { throw TuikeError.validation("from must be in the past") }
        try ReportsController.requireSpan(from: from, to: until)
        let tree = try await spread.tree(productID: productID, from: from, to: until)
        return (SpreadReport(tree: tree, from: from, to: until, windowSeconds: days * 86_400, generations: Self.forecastGenerations),
                Scope(from: from, to: until, productID: productID, generationDays: days))
    }

    struct EstimateView: Encodable, Sendable {
        let r: Double
        let low: Double
        let high: Double
        let parents: Int
        let offspring: Int
        let dispersion: Double

        init(_ estimate: SpreadForecast.Estimate) {
            (r, low, high) = (Self.round(estimate.r), Self.round(estimate.low), Self.round(estimate.high))
            (parents, offspring, dispersion) = (estimate.parents, estimate.offspring, Self.round(estimate.dispersion))
        }

        /// Three decimals; a figure too large to round is passed as it is (always finite).
        static func round(_ value: Double) -> Double {
            guard value.isFinite, abs(value) < 1e12 else { return value.isFinite ? value : 0 }
            return (value * 1_000).rounded() / 1_000
        }

        static let schema = Schemas.object([
            ("r", ["type": "number"] as JSONValue), ("low", ["type": "number"] as JSONValue), ("high", ["type": "number"] as JSONValue),
            ("parents", Schemas.integer), ("offspring", Schemas.integer), ("dispersion", ["type": "number"] as JSONValue),
        ])
    }

    struct ReachView: Encodable, Sendable {
        let generation: Int
        let expected: Double
        let low: Double
        let high: Double
    }

    struct HotView: Encodable, Sendable {
        let promoterId: String
        let name: String
        let generation: Int
        let buyers: Int64
        let reach: Int64
    }

    struct BacktestView: Encodable, Sendable {
        let at: Instant
        let estimate: EstimateView
        let predicted: Double
        let predictedLow: Double
        let predictedHigh: Double
        let actual: Int
    }

    struct SpreadView: Encodable, Sendable {
        let from: Instant
        let to: Instant
        @ExplicitNull var productId: String?
        let generationDays: Int64
        let promoters: Int
        let buyers: Int64
        let generations: [Int]
        let hot: [HotView]
        @ExplicitNull var estimate: EstimateView?
        let frontier: Int
        let forecast: [ReachView]
        @ExplicitNull var backtest: BacktestView?

        init(_ report: SpreadReport, scope: Scope) {
            let tree = report.tree
            (from, to, productId, generationDays) = (scope.from, scope.to, scope.productID, scope.generationDays)
            promoters = tree.nodes.count
            buyers = tree.nodes.reduce(0) { $0 &+ $1.buyers }
            generations = tree.generations
            hot = tree.hot(limit: 10).map {
                HotView(promoterId: $0.id, name: $0.name, generation: tree.depth(of: $0.id) ?? 0, buyers: $0.buyers, reach: tree.reach(of: $0.id))
            }
            estimate = report.estimate.map(EstimateView.init)
            frontier = report.frontier
            forecast = report.forecast.enumerated().map {
                ReachView(generation: $0.offset + 1, expected: EstimateView.round($0.element.expected), low: EstimateView.round($0.element.low),
                          high: EstimateView.round($0.element.high))
            }
            backtest = report.backtest.map {
                BacktestView(at: $0.at, estimate: EstimateView($0.estimate), predicted: EstimateView.round($0.predicted.expected),
                             predictedLow: EstimateView.round($0.predicted.low), predictedHigh: EstimateView.round($0.predicted.high), actual: $0.actual)
            }
        }
    }

    static let schema: JSONValue = {
        let number: JSONValue = ["type": "number"]
        return Schemas.object([
            ("from", Schemas.time), ("to", Schemas.time), ("product_id", Schemas.nullable(Schemas.string)), ("generation_days", Schemas.integer),
            ("promoters", Schemas.integer), ("buyers", Schemas.integer), ("generations", Schemas.array(Schemas.integer)),
            ("hot", Schemas.array(Schemas.object([("promoter_id", Schemas.string), ("name", Schemas.string), ("generation", Schemas.integer),
                                                  ("buyers", Schemas.integer), ("reach", Schemas.integer)]))),
            ("estimate", Schemas.nullable(EstimateView.schema)), ("frontier", Schemas.integer),
            ("forecast", Schemas.array(Schemas.object([("generation", Schemas.integer), ("expected", number), ("low", number), ("high", number)]))),
            ("backtest", Schemas.nullable(Schemas.object([
                ("at", Schemas.time), ("estimate", EstimateView.schema), ("predicted", number), ("predicted_low", number),
                ("predicted_high", number), ("actual", Schemas.integer),
            ]))),
        ], required: ["promoters", "generations", "hot", "estimate", "forecast", "backtest"])
    }()
}
