import Foundation
import TuikeCore

/// Analytics: the funnel, this month's leaderboard and return on commission by product, each as
/// a chart beside its table and as CSV; the referral tree with its forecast; the plan simulator
/// (the owner's: it shows what a draft plan would have cost before it is applied).
extension ConsolePages {
    static let analyticsPages: [ConsolePage] = [
        ConsolePage(path: "/admin/analytics", title: .navAnalytics, inNavigation: true, summary: "the funnel, the leaderboard and return on commission",
                    roles: ConsoleRole.everyone, build: analytics),
        ConsolePage(path: "/admin/analytics/spread", title: .spreadTree, inNavigation: false, summary: "the referral tree and its forecast",
                    roles: ConsoleRole.everyone, build: spread),
        ConsolePage(path: "/admin/analytics/simulate", title: .simulator, inNavigation: false, summary: "the plan simulator", roles: ConsoleRole.owner,
                    build: simulator),
    ]

    struct FunnelRow: Decodable {
        let clicks: Int64; let views: Int64; let visitors: Int64; let orders: Int64; let paid: Int64; let refunded: Int64
        let gmv: Int64; let orderRateBps: Int64?; let paymentRateBps: Int64?; let refundRateBps: Int64?
    }
    struct BoardRow: Decodable { let rank: Int; let promoterId: String?; let name: String; let value: Int64 }
    struct RoiRow: Decodable {
        let key: String; let name: String; let orders: Int64; let gmv: Int64; let refunded: Int64; let commission: Int64
        let costPerOrder: Int64?; let promoterShareBps: Int64?
    }
    struct RoiReport: Decodable { let total: RoiRow; let data: [RoiRow] }

    /// The page's range as the API takes it (days of the program's time zone), kept in its links.
    static func range(_ call: ConsoleCall) -> (query: String, from: String, to: String) {
        let from = call.query("from") ?? "", to = call.query("to") ?? ""
        let parts = [("from", from), ("to", to)].filter { !$0.1.isEmpty }.map { "\($0.0)=\(ConsoleCall.encode($0.1))" }
        return (parts.joined(separator: "&"), from, to)
    }

    /// Tabs between the analytics pages (the simulator is the owner's).
    static func analyticsTabs(_ call: ConsoleCall, current: String) -> [V.Node] {
        let t = call.t
        var tabs = [(t[.navAnalytics], "/admin/analytics"), (t[.spreadTree], "/admin/analytics/spread")]
        if ConsoleRole.owner.contains(call.user.role) { tabs.append((t[.simulator], "/admin/analytics/simulate")) }
        return tabs.map { V.link($0.0, $0.1, current: $0.1 == current) }
    }

    static func rangeForm(_ call: ConsoleCall, _ path: String, extra: [V.Node] = []) -> V.Node {
        let t = call.t, range = range(call)
        return V.form(path, submit: t[.show], fields: [
            V.field(t[.rangeFrom], "from", value: range.from, type: "date"), V.field(t[.rangeTo], "to", value: range.to, type: "date"),
        ] + extra, method: "get")
    }

    static func analytics(_ call: ConsoleCall) async throws -> [V.Node] {
        let t = call.t, range = range(call).query
        let funnel = try await call.get("/api/v1/reports/funnel?\(range)", as: FunnelRow.self)
        let steps: [(Word, Int64)] = [(.clicks, funnel.clicks), (.views, funnel.views), (.visitors, funnel.visitors), (.orders, funnel.orders),
                                      (.paid, funnel.paid), (.refunds, funnel.refunded)]
        let board = try await call.get("/api/v1/leaderboards/month?limit=10", as: Listing<BoardRow>.self).data
        let roi = try await call.get("/api/v1/reports/roi?by=product&\(range)", as: RoiReport.self)
        let top = Array(roi.data.prefix(10))
        let csv = { (name: String, extra: String) in V.link(t[.downloadCSV], "/admin/analytics/exports/\(name).csv?" + [range, extra].filter { !$0.isEmpty }.joined(separator: "&")) }
        return [
            V.section("funnel", t[.funnel], note: t[.analyticsNote], filters: analyticsTabs(call, current: "/admin/analytics"), form: rangeForm(call, "/admin/analytics"),
                      figure: SVGChart.bars(t[.funnel], labels: steps.map { t[$0.0] }, values: steps.map(\.1), format: SVGChart.count),
                      table: V.table([t[.step], t[.value], t[.conversion]], steps.enumerated().map { index, step in
                          let rate: Int64? = switch index {
                          case 3: funnel.orderRateBps
                          case 4: funnel.paymentRateBps
                          case 5: funnel.refundRateBps
                          default: nil
                          }
                          return V.row(step.0.rawValue, [t[step.0], String(step.1), rate.map { V.percent(bps: $0) } ?? "—"])
                      }), links: [csv("funnel", "")]),
            V.section("leaderboard", t[.leaderboardMonth],
                      figure: SVGChart.bars(t[.leaderboardMonth], labels: board.map(\.name), values: board.map(\.value), format: SVGChart.yuan),
                      table: V.table([t[.rank], t[.promoter], t[.gmv]], board.map { V.row($0.promoterId ?? $0.name, [String($0.rank), $0.name, V.money($0.value)]) }),
                      links: [csv("leaderboard", "")]),
            V.section("roi", t[.roi],
                      figure: SVGChart.bars(t[.roi], labels: top.map(\.name), values: top.map(\.gmv), format: SVGChart.yuan),
                      table: V.table([t[.product], t[.orders], t[.gmv], t[.refunds], t[.commission], t[.costPerOrder], t[.promoterShare]],
                                     (roi.data + [roi.total]).map { row in
                                         V.row(row.key, [row.key == roi.total.key ? t[.total] : row.name, String(row.orders), V.money(row.gmv), V.money(row.refunded),
                                                         V.money(row.commission), V.money(row.costPerOrder), V.percent(bps: row.promoterShareBps)])
                                     }),
                      links: [csv("roi", "by=product")]),
        ]
    }
}
