import Foundation
import NIOCore
import TuikeCore

/// The referral tree with its forecast, and the plan simulator.
extension ConsolePages {
    struct SpreadEstimate: Decodable { let r: Double; let low: Double; let high: Double; let parents: Int; let offspring: Int }
    struct SpreadReach: Decodable { let generation: Int; let expected: Double; let low: Double; let high: Double }
    struct SpreadHot: Decodable { let promoterId: String; let name: String; let generation: Int; let buyers: Int64; let reach: Int64 }
    struct SpreadBacktest: Decodable {
        let at: String; let estimate: SpreadEstimate; let predicted: Double; let predictedLow: Double; let predictedHigh: Double; let actual: Int
    }
    struct SpreadReportRow: Decodable {
        let promoters: Int; let buyers: Int64; let generations: [Int]; let hot: [SpreadHot]; let estimate: SpreadEstimate?; let frontier: Int
        let forecast: [SpreadReach]; let backtest: SpreadBacktest?
    }

    static func decimal(_ value: Double) -> String { String(format: "%.2f", value) }

    static func spread(_ call: ConsoleCall) async throws -> [V.Node] {
        let t = call.t
        var query = range(call).query
        if let product = call.query("product_id") { query += (query.isEmpty ? "" : "&") + "product_id=\(ConsoleCall.encode(product))" }
        let report = try await call.get("/api/v1/reports/spread?\(query)", as: SpreadReportRow.self)
        let svg = try await call.get("/api/v1/reports/spread.svg?\(query)\(query.isEmpty ? "" : "&")lang=\(call.language.rawValue)")
        let hotRows = report.hot.map { V.row($0.promoterId, [V.cell($0.name, link: "/admin/promoters/\($0.promoterId)"), String($0.generation), String($0.buyers), String($0.reach)]) }
        var estimateRows: [V.Node] = []
        if let estimate = report.estimate {
            estimateRows.append(V.row("r", [t[.estimateR], "\(decimal(estimate.r)) (\(decimal(estimate.low))–\(decimal(estimate.high)))",
                                             "\(estimate.parents) → \(estimate.offspring)"]))
        }
        for step in report.forecast {
            estimateRows.append(V.row("g\(step.generation)", ["\(t[.forecast]) +\(step.generation)", "\(decimal(step.expected)) (\(decimal(step.low))–\(decimal(step.high)))", ""]))
        }
        if let backtest = report.backtest {
            estimateRows.append(V.row("backtest", [t[.backtest] + " " + V.time(backtest.at),
                                                   "\(t[.predicted]) \(decimal(backtest.predicted)) (\(decimal(backtest.predictedLow))–\(decimal(backtest.predictedHigh)))",
                                                   "\(t[.actual]) \(backtest.actual)"]))
        }
        return [
            V.section("tree", t[.spreadTree], note: t[.spreadNote], filters: analyticsTabs(call, current: "/admin/analytics/spread"),
                      form: rangeForm(call, "/admin/analytics/spread", extra: [V.field(t[.product], "product_id", value: call.query("product_id") ?? "", hint: t[.optional])]),
                      figure: String(buffer: svg.body),
                      table: V.table([t[.hotNodes], t[.generation], t[.buyers], t[.reach]], hotRows),
                      links: []),
            V.section("forecast", t[.forecast], note: t[.forecastNote],
                      table: V.table(["", t[.value], ""], [V.row("size", [t[.promoters], String(report.promoters), report.generations.map(String.init).joined(separator: " · ")])]
                                     + estimateRows)),
        ]
    }

    struct SimulationRow: Decodable {
        struct Promoter: Decodable { let promoterId: String; let name: String; let current: Int64; let simulated: Int64; let change: Int64 }
        let orders: Int64; let approximateOrders: Int64; let currentCost: Int64; let simulatedCost: Int64; let change: Int64
        let currentNet: Int64; let simulatedNet: Int64; let currentTax: Int64; let simulatedTax: Int64; let compliant: Bool; let violations: [String]
        let ladderMonths: Int; let currentAdjustments: Int64; let simulatedAdjustments: Int64; let approximateMonths: Int64
        let promotersChanged: Int; let promoters: [Promoter]
    }

    static func simulator(_ call: ConsoleCall) async throws -> [V.Node] {
        let t = call.t
        let levels = call.query("levels") ?? "", ruleType = call.query("rule_type") ?? "percent"
        let campaignLevels = call.query("campaign_levels") ?? "", campaignProduct = call.query("campaign_product") ?? ""
        let form = rangeForm(call, "/admin/analytics/simulate", extra: [
            V.field(t[.levels], "levels", value: levels, hint: "2000,500"),
            V.field(t[.ruleType], "rule_type", value: ruleType, choices: [(value: "percent", text: t[.rulePercent]), (value: "fixed", text: t[.ruleFixed])]),
            V.field(t[.campaignLevels], "campaign_levels", value: campaignLevels, hint: "3000,1000"),
            V.field(t[.campaignProduct], "campaign_product", value: campaignProduct, hint: t[.optional]),
        ])
        var sections = [V.section("draft", t[.simulator], note: t[.simulatorNote], filters: analyticsTabs(call, current: "/admin/analytics/simulate"), form: form)]
        guard !levels.isEmpty || !campaignLevels.isEmpty else { return sections }
        func rates(_ text: String, _ field: String) throws(TuikeError) -> [Int64] {
            try text.split(separator: ",").map { part throws(TuikeError) -> Int64 in
                guard let rate = Int64(part.trimmingCharacters(in: .whitespaces)) else { throw .validation("\(field) must be whole numbers separated by commas") }
                return rate
            }
        }
        let now = call.now
        let from = call.query("from") ?? String(now.adding(seconds: -30 * 86_400).rfc3339.prefix(10))
        let to = call.query("to") ?? String(now.rfc3339.prefix(10))
        var body: [String: Any] = ["from": from, "to": to]
        if !levels.isEmpty { body["program"] = ["levels": try rates(levels, "levels"), "rule_type": ruleType] }
        if !campaignLevels.isEmpty {
            // A campaign over the whole period, of the rule type chosen above.
            var campaign: [String: Any] = ["starts_at": from, "ends_at": to, "rule": ["type": ruleType, "levels": try rates(campaignLevels, "campaign_levels")]]
            if !campaignProduct.isEmpty { campaign["product_id"] = campaignProduct }
            body["campaigns"] = [campaign]
        }
        let reply = try await call.api.call(.post, "/api/v1/simulations", body: body, as: call.principal, context: call.context)
        guard reply.isSuccess else { throw reply.error }
        let result = try reply.decode(SimulationRow.self)
        var summary = [
            V.row("orders", [t[.orders], String(result.orders), result.approximateOrders > 0 ? "≈ \(result.approximateOrders)" : ""]),
            V.row("cost", [t[.commissionCost], V.money(result.currentCost), V.money(result.simulatedCost)]),
            V.row("net", [t[.netOfRefunds], V.money(result.currentNet), V.money(result.simulatedNet)]),
            V.row("tax", [t[.tax], V.money(result.currentTax), V.money(result.simulatedTax)]),
            V.row("verdict", [t[.compliant], result.compliant ? "✓" : "✗", result.violations.joined(separator: "; ")]),
        ]
        if result.ladderMonths > 0 {
            // Included in the costs above; shown apart because they are the month's, not an order's.
            summary.insert(V.row("adjustments", [t[.monthEndAdjustments] + (result.approximateMonths > 0 ? " ≈" : ""),
                                                 V.money(result.currentAdjustments), V.money(result.simulatedAdjustments)]), at: 2)
        }
        let top = Array(result.promoters.prefix(10))
        sections.append(V.section("result", t[.simulationResult],
                                  table: V.table(["", t[.currentCost], t[.simulatedCost]], summary)))
        sections.append(V.section("promoters", t[.biggestChanges],
                                  figure: SVGChart.bars(t[.biggestChanges], labels: top.map(\.name), values: top.map { Int64(clamping: $0.change.magnitude) }, format: SVGChart.yuan),
                                  table: V.table([t[.promoter], t[.currentCost], t[.simulatedCost], t[.change]], result.promoters.map {
                                      V.row($0.promoterId, [$0.name, V.money($0.current), V.money($0.simulated), ($0.change > 0 ? "+" : "") + V.money($0.change)])
                                  })))
        return sections
    }
}
