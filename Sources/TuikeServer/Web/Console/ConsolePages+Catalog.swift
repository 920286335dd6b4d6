import Foundation
import TuikeCore

/// Products and the program settings.
extension ConsolePages {
    static let catalogPages: [ConsolePage] = [
        ConsolePage(path: "/admin/products", title: .navProducts, inNavigation: true, summary: "products",
                    roles: ConsoleRole.operations, build: products),
        ConsolePage(path: "/admin/settings", title: .navSettings, inNavigation: true, summary: "program settings",
                    roles: ConsoleRole.owner, build: settings),
    ]

    static let catalogActions: [ConsoleAction] = [
        ConsoleAction(path: "/admin/products", summary: "create a product", roles: ConsoleRole.operations, back: "/admin/products") { fields, _ in
            var body: [String: Any] = ["title": try fields.required("title"), "kind": fields.text("kind") ?? "course",
                                       "description": fields.text("description") ?? ""]
            guard let price = try fields.money("price") else { throw TuikeError.validation("price is required") }
            body["price"] = price
            if let stock = try fields.integer("stock") { body["stock"] = stock }
            return post("/api/v1/products", body)
        },
        ConsoleAction(path: "/admin/products/{id}/status", summary: "archive or reactivate a product", roles: ConsoleRole.operations,
                      back: "/admin/products") { fields, call in
            .init(method: .patch, path: "/api/v1/products/\(ConsoleCall.encode(try call.parameter("id")))",
                  body: ["status": try fields.required("status")])
        },
        ConsoleAction(path: "/admin/settings", summary: "save the program settings", roles: ConsoleRole.owner, back: "/admin/settings") { fields, _ in
            .init(method: .put, path: "/api/v1/program", body: try settingsBody(fields))
        },
    ]

    /// The products page's model, as the API lists products.
    struct ProductRow: Decodable {
        let id: String
        let title: String
        let kind: Product.Kind
        let price: Int64
        let stock: Int64?
        let status: Product.Status
        let createdAt: String
    }

    static func products(_ call: ConsoleCall) async throws -> [V.Node] {
        let t = call.t
        let listing = try await call.get("/api/v1/products?" + cursorQuery(call), as: Listing<ProductRow>.self)
        let rows = listing.data.map { product -> V.Node in
            let active = product.status == .active
            return V.row(product.id, [V.cell(product.title, link: "/p/\(product.id)"), t.label("kind", product.kind.rawValue), V.money(product.price),
                                      product.stock.map(String.init) ?? t[.unlimited], t.label("state", product.status.rawValue),
                                      V.time(product.createdAt)],
                         actions: [V.action(active ? t[.archive] : t[.activate], "/admin/products/\(product.id)/status",
                                            inputs: [V.input("status", value: active ? "archived" : "active", hidden: true)], secondary: active)])
        }
        return [
            V.section("new-product", t[.newProduct], form: V.form("/admin/products", submit: t[.create], fields: [
                V.field(t[.productTitle], "title", required: true),
                V.field(t[.priceYuan], "price", hint: "99.00", required: true),
                V.field(t[.kind], "kind", value: "course", choices: Product.Kind.allCases.map { ($0.rawValue, t.label("kind", $0.rawValue)) }),
                V.field(t[.stock], "stock", hint: t[.unlimited]),
                V.field(t[.description], "description"),
            ])),
            V.section("products", t[.navProducts], table: V.table(
                [t[.productTitle], t[.kind], t[.price], t[.stock], t[.status], t[.created]], rows),
                links: nextLink(call, cursor: listing.nextCursor, path: "/admin/products")),
        ]
    }

    static func settings(_ call: ConsoleCall) async throws -> [V.Node] {
        let t = call.t
        let program = try await call.get("/api/v1/program").decode(ProgramSettings.self, keysAsSent: true)
        func choices(_ values: [String], _ prefix: String) -> [(value: String, text: String)] {
            values.map { ($0, t.label(prefix, $0)) }
        }
        return [V.section("settings", t[.navSettings], note: t[.settingsNote], form: V.form("/admin/settings", submit: t[.save], fields: [
            V.field(t[.levels], "levels", value: program.levels.map(String.init).joined(separator: ","), hint: "2000,500", required: true),
            V.field(t[.ruleType], "rule_type", value: program.ruleType.rawValue,
                    choices: choices(ProgramSettings.RuleType.allCases.map(\.rawValue), "rule")),
            V.field(t[.maxTotalBps], "max_total_bps", value: String(program.maxTotalBps), type: "number", required: true),
            V.field(t[.attributionModel], "attribution_model", value: program.attributionModel.rawValue,
                    choices: choices(ProgramSettings.AttributionModel.allCases.map(\.rawValue), "model")),
            V.field(t[.windowDays], "window_days", value: String(program.windowDays), type: "number", required: true),
            V.field(t[.bindingDays], "binding_days", value: String(program.bindingDays), type: "number", required: true),
            V.field(t[.freezeDays], "freeze_days", value: String(program.freezeDays), type: "number", required: true),
            V.field(t[.settlementCycle], "settlement_cycle", value: program.settlementCycle.rawValue,
                    choices: choices(ProgramSettings.SettlementCycle.allCases.map(\.rawValue), "cycle")),
            V.field(t[.timeZone], "time_zone", value: program.timeZone, required: true),
            V.field(t[.taxMode], "tax_mode", value: program.taxMode.rawValue, choices: choices(ProgramSettings.TaxMode.allCases.map(\.rawValue), "tax")),
            V.field(t[.minWithdrawal], "min_amount", value: Money.format(program.withdrawal.minAmount), required: true),
            V.field(t[.feeBps], "fee_bps", value: String(program.withdrawal.feeBps), type: "number", required: true),
            V.field(t[.channels], "channels", value: program.withdrawal.channels.map(\.rawValue).joined(separator: ","),
                    hint: "wallet,bank,wechat,alipay", required: true),
            V.field(t[.autoApprove], "auto_approve_promoters", value: program.autoApprovePromoters ? "true" : "false",
                    choices: [("false", t[.no]), ("true", t[.yes])]),
            V.field(t[.orderTimeout], "order_timeout_seconds", value: String(program.orderTimeoutSeconds), type: "number", required: true),
            V.field(t[.autoReceiveDays], "auto_receive_days", value: String(program.autoReceiveDays), type: "number", required: true),
            V.field(t[.afterSaleDays], "after_sale_days", value: String(program.afterSaleDays), type: "number", required: true),
            V.field(t[.riskReviewHours], "risk_review_hours", value: String(program.riskReviewHours), type: "number", required: true),
        ]))]
    }

    /// The settings form as the JSON `PUT /api/v1/program` takes; the API validates the rest.
    static func settingsBody(_ fields: ConsoleFields) throws(TuikeError) -> [String: Any] {
        let levels = try fields.required("levels").split(separator: ",").map { text throws(TuikeError) -> Int64 in
            guard let value = Int64(text.trimmingCharacters(in: .whitespaces)) else { throw TuikeError.validation("levels must be whole numbers separated by commas") }
            return value
        }
        var body: [String: Any] = ["levels": levels, "auto_approve_promoters": fields.text("auto_approve_promoters") == "true"]
        for name in ["rule_type", "attribution_model", "settlement_cycle", "time_zone", "tax_mode"] { body[name] = try fields.required(name) }
        for name in ["max_total_bps", "window_days", "binding_days", "freeze_days", "order_timeout_seconds"] { body[name] = try fields.requiredInteger(name) }
        // Forms saved before goods had these fields keep the stored values.
        for name in ["auto_receive_days", "after_sale_days", "risk_review_hours"] { if let value = try fields.integer(name) { body[name] = value } }
        guard let minimum = try fields.money("min_amount") else { throw TuikeError.validation("min_amount is required") }
        body["withdrawal"] = [
            "min_amount": minimum, "fee_bps": try fields.requiredInteger("fee_bps"),
            "channels": try fields.required("channels").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) },
        ] as [String: Any]
        return body
    }
}
