import Foundation
import TuikeCore

/// Orders with refunds, settlements with their statements, and the reconciliation with its CSV files.
extension ConsolePages {
    static let moneyPages: [ConsolePage] = [
        ConsolePage(path: "/admin/orders", title: .navOrders, inNavigation: true, summary: "orders with the refund action",
                    roles: ConsoleRole.everyone, build: orders),
        ConsolePage(path: "/admin/settlements", title: .navSettlements, inNavigation: true, summary: "settlement batches",
                    roles: ConsoleRole.money, build: settlements),
        ConsolePage(path: "/admin/settlements/{id}", title: .statements, inNavigation: false, summary: "one batch's statements",
                    roles: ConsoleRole.money, build: statements),
        ConsolePage(path: "/admin/appeals", title: .navAppeals, inNavigation: true, summary: "promoters' appeals to answer",
                    roles: ConsoleRole.money, build: appeals),
        ConsolePage(path: "/admin/reconciliation", title: .navReconciliation, inNavigation: true, summary: "reconciliation and CSV downloads",
                    roles: ConsoleRole.money, build: reconciliation),
    ]

    static let moneyActions: [ConsoleAction] = [
        ConsoleAction(path: "/admin/orders/{id}/refund", summary: "refund part or all of an order", roles: ConsoleRole.money,
                      back: "/admin/orders") { fields, call in
            guard let amount = try fields.money("amount") else { throw TuikeError.validation("amount is required") }
            var body: [String: Any] = ["amount": amount]
            if let reason = fields.text("reason") { body["reason"] = reason }
            return post("/api/v1/orders/\(ConsoleCall.encode(try call.parameter("id")))/refunds", body)
        },
        ConsoleAction(path: "/admin/settlements", summary: "settle every eligible commission up to a time", roles: ConsoleRole.money,
                      back: "/admin/settlements") { fields, _ in
            post("/api/v1/settlements", ["period_end": try fields.required("period_end")])
        },
        ConsoleAction(path: "/admin/appeals/{id}/answer", summary: "answer an appeal, optionally with an adjustment", roles: ConsoleRole.money,
                      back: "/admin/appeals") { fields, call in
            var body: [String: Any] = ["answer": try fields.required("answer")]
            if let adjustment = try fields.signedMoney("adjustment") { body["adjustment"] = adjustment }
            return post("/api/v1/appeals/\(ConsoleCall.encode(try call.parameter("id")))/answer", body)
        },
        ConsoleAction(path: "/admin/withdrawals/{id}/approve", summary: "approve and pay a withdrawal", roles: ConsoleRole.money, back: "/admin") { _, call in
            post("/api/v1/withdrawals/\(ConsoleCall.encode(try call.parameter("id")))/approve")
        },
        ConsoleAction(path: "/admin/withdrawals/{id}/reject", summary: "reject a withdrawal with a reason", roles: ConsoleRole.money, back: "/admin") { fields, call in
            post("/api/v1/withdrawals/\(ConsoleCall.encode(try call.parameter("id")))/reject", ["reason": try fields.required("reason")])
        },
    ]

    /// The orders page's model, as the API lists orders.
    struct OrderRow: Decodable {
        struct Item: Decodable { let title: String }
        let id: String
        let buyerId: String
        let amount: Int64
        let refunded: Int64
        let status: Order.Status
        let items: [Item]
        let promoterId: String?
        let createdAt: String
        enum CodingKeys: String, CodingKey {
            case id, amount, refunded, status, items, buyerId = "buyer_id", promoterId = "promoter_id", createdAt = "created_at"
        }
    }

    static func orders(_ call: ConsoleCall) async throws -> [V.Node] {
        let t = call.t
        let listing = try await call.get("/api/v1/orders?" + cursorQuery(call, extra: ["status": call.query("status")]),
                                         as: Listing<OrderRow>.self, keysAsSent: true)
        let names = try await promoterNames(call, listing.data.compactMap(\.promoterId))
        let refunds = ConsoleRole.money.contains(call.user.role)
        let rows = listing.data.map { order -> V.Node in
            let left = Order.refundable(amount: order.amount, refunded: order.refunded)
            var actions: [V.Node] = []
            if refunds, order.status.isRefundable, left > 0 {
                actions.append(V.action(t[.refund], "/admin/orders/\(order.id)/refund", inputs: [
                    V.input("amount", value: Money.format(left), required: true), V.input("reason", hint: t[.refundReason]),
                ], secondary: true))
            }
            let promoter = order.promoterId.map { names[$0] ?? $0 } ?? "—"
            return V.row(order.id, [order.id, order.items.map(\.title).joined(separator: "、"), V.short(order.buyerId), V.money(order.amount),
                                    V.money(order.refunded), t.label("state", order.status.rawValue), promoter, V.time(order.createdAt)],
                         actions: actions)
        }
        return [V.section("orders", t[.navOrders],
                          filters: statusFilters(call, path: "/admin/orders", prefix: "state", values: Order.Status.allCases.map(\.rawValue)),
                          table: V.table([t[.order], t[.items], t[.buyer], t[.amount], t[.refunded], t[.status], t[.promoter],
                                          t[.created]], rows),
                          links: nextLink(call, cursor: listing.nextCursor, path: "/admin/orders"))]
    }

    /// The settlement pages' model, as the API lists batches and their lines.
    struct BatchRow: Decodable {
        let id: String
        let periodEnd: String
        let promoterCount: Int64
        let commissionCount: Int64
        let gross: Int64
        let tax: Int64
        let net: Int64
        let trigger: SettlementBatch.Trigger
        let createdAt: String
        enum CodingKeys: String, CodingKey {
            case id, gross, tax, net, trigger, periodEnd = "period_end", promoterCount = "promoter_count", commissionCount = "commission_count",
                 createdAt = "created_at"
        }
    }

    struct BatchWithLines: Decodable {
        struct Line: Decodable {
            let promoterId: String
            let commissionCount: Int64
            let gross: Int64
            let tax: Int64
            let net: Int64
            enum CodingKeys: String, CodingKey { case gross, tax, net, promoterId = "promoter_id", commissionCount = "commission_count" }
        }
        let id: String
        let periodEnd: String
        let gross: Int64
        let tax: Int64
        let net: Int64
        let lines: [Line]
        let linesNextCursor: String?
        enum CodingKeys: String, CodingKey { case id, gross, tax, net, lines, periodEnd = "period_end", linesNextCursor = "lines_next_cursor" }
    }

    static func settlements(_ call: ConsoleCall) async throws -> [V.Node] {
        let t = call.t
        let listing = try await call.get("/api/v1/settlements?" + cursorQuery(call), as: Listing<BatchRow>.self, keysAsSent: true)
        let rows = listing.data.map { batch -> V.Node in
            V.row(batch.id, [V.cell(V.time(batch.periodEnd), link: "/admin/settlements/\(batch.id)"), "\(batch.promoterCount)",
                             "\(batch.commissionCount)", V.money(batch.gross), V.money(batch.tax), V.money(batch.net),
                             t.label("trigger", batch.trigger.rawValue), V.time(batch.createdAt)])
        }
        return [
            V.section("settle", t[.runSettlement], note: t[.settlementNote], form: V.form("/admin/settlements", submit: t[.settle], fields: [
                V.field(t[.periodEnd], "period_end", value: call.now.rfc3339, required: true),
            ])),
            V.section("settlements", t[.navSettlements], table: V.table(
                [t[.periodEnd], t[.promoters], t[.commissions], t[.gross], t[.tax], t[.net], t[.trigger], t[.created]], rows),
                links: nextLink(call, cursor: listing.nextCursor, path: "/admin/settlements")),
        ]
    }

    static func statements(_ call: ConsoleCall) async throws -> [V.Node] {
        let t = call.t
        let id = try call.parameter("id")
        let batch = try await call.get("/api/v1/settlements/\(ConsoleCall.encode(id))?" + cursorQuery(call), as: BatchWithLines.self, keysAsSent: true)
        let names = try await promoterNames(call, batch.lines.map(\.promoterId))
        let rows = batch.lines.map { line -> V.Node in
            V.row(line.promoterId, [names[line.promoterId] ?? line.promoterId, "\(line.commissionCount)", V.money(line.gross), V.money(line.tax),
                                    V.money(line.net)])
        }
        return [V.section("statements", "\(t[.periodEnd]) \(V.time(batch.periodEnd))",
                          note: "\(t[.gross]) \(V.money(batch.gross)) · \(t[.tax]) \(V.money(batch.tax)) · \(t[.net]) \(V.money(batch.net))",
                          table: V.table([t[.promoter], t[.commissions], t[.gross], t[.tax], t[.net]], rows),
                          links: nextLink(call, cursor: batch.linesNextCursor, path: "/admin/settlements/\(ConsoleCall.encode(id))")
                              + [V.link(t[.downloadStatements], "/admin/exports/statements.csv?settlement_id=\(ConsoleCall.encode(batch.id))"),
                                 V.link(t[.navSettlements], "/admin/settlements")])]
    }

    struct AppealRow: Decodable {
        let id: String
        let promoterId: String
        let commissionId: String
        let message: String
        let status: Appeal.Status
        let answer: String?
        let createdAt: String
    }

    static func appeals(_ call: ConsoleCall) async throws -> [V.Node] {
        let t = call.t
        let status = call.query("status") ?? "open"
        let listing = try await call.get("/api/v1/appeals?" + cursorQuery(call, extra: ["status": status]), as: Listing<AppealRow>.self)
        let names = try await promoterNames(call, listing.data.map(\.promoterId))
        let rows = listing.data.map { appeal -> V.Node in
            V.row(appeal.id, [names[appeal.promoterId] ?? appeal.promoterId, appeal.commissionId, appeal.message, V.time(appeal.createdAt),
                              t.label("appeal", appeal.status.rawValue), appeal.answer ?? "—"],
                  actions: appeal.status == .open ? [V.action(t[.answer], "/admin/appeals/\(appeal.id)/answer", inputs: [
                      V.input("answer", hint: t[.answer], required: true), V.input("adjustment", hint: t[.adjustmentHint]),
                  ])] : [])
        }
        return [V.section("appeals", t[.navAppeals], note: t[.appealsNote],
                          filters: ["open", "answered"].map { V.link(call.t.label("appeal", $0), "/admin/appeals?status=\($0)", current: $0 == status) },
                          table: V.table([t[.promoter], t[.commission], t[.message], t[.created], t[.status], t[.answer]], rows),
                          links: nextLink(call, cursor: listing.nextCursor, path: "/admin/appeals"))]
    }

    static func reconciliation(_ call: ConsoleCall) async throws -> [V.Node] {
        let t = call.t
        var query: [String] = []
        for key in ["from", "to"] { if let value = call.query(key) { query.append("\(key)=\(ConsoleCall.encode(value))") } }
        let suffix = query.isEmpty ? "" : "?" + query.joined(separator: "&")
        let report = try await call.get("/api/v1/reports/reconciliation" + suffix, as: ReportsController.ReconciliationView.self)
        let amounts: [(String, Int64)] = [("revenue", report.revenue), ("refunds", report.refunds), ("net_revenue", report.netRevenue),
                                          ("tax_withheld", report.taxWithheld), ("payouts", report.payouts), ("payout_fees", report.payoutFees),
                                          ("adjustments", report.adjustments)]
        let commissions = report.commissions
        let figures: [V.Node] = amounts.map { name, amount in V.row(name, [t.label("figure", name), V.money(amount)]) } + [
            V.row("commissions_earned", ["\(t.label("figure", "commissions_earned")) (\(commissions.earnedCount))", V.money(commissions.earned)]),
            V.row("commissions_reversed", [t.label("figure", "commissions_reversed"), V.money(commissions.reversed)]),
            V.row("commissions_settled", ["\(t.label("figure", "commissions_settled")) (\(commissions.settledCount))", V.money(commissions.settled)]),
        ]
        let checks = report.checks.map { check -> V.Node in
            V.row(check.name, [t.label("check", check.name), V.money(check.journal), V.money(check.operational), check.agrees ? "✓" : "✗ \(t[.mismatch])"])
        }
        // The report's range as the program's calendar days (its `to` is the end of the last day).
        let zone = try await call.get("/api/v1/program").decode(ProgramSettings.self, keysAsSent: true).timeZone
        func day(_ instant: Instant, back: Int64) -> String {
            (try? CalendarDays.days(from: instant.adding(milliseconds: -back), to: instant.adding(milliseconds: -back), timeZone: zone))?.first?.label ?? ""
        }
        let from = day(report.from, back: 0), to = day(report.to, back: 1)
        let consistent = report.consistent
        return [
            V.section("range", t[.navReconciliation], note: consistent ? t[.consistent] : t[.inconsistent],
                      form: V.form("/admin/reconciliation", submit: t[.show], fields: [
                          V.field(t[.rangeFrom], "from", value: call.query("from") ?? from, type: "date"),
                          V.field(t[.rangeTo], "to", value: call.query("to") ?? to, type: "date"),
                      ], method: "get")),
            V.section("figures", t[.figures], table: V.table([t[.figure], t[.amount]], figures)),
            V.section("checks", t[.checks], table: V.table([t[.check], t[.journal], t[.operational], t[.agrees]], checks)),
            V.section("downloads", t[.downloads], note: t[.downloadsNote],
                      links: ["commissions", "settlements", "statements", "withdrawals"].map {
                          V.link(t.label("csv", $0), "/admin/exports/\($0).csv" + suffix)
                      }),
        ]
    }
}
