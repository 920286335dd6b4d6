import Foundation
import TuikeCore

/// Group-buy campaigns, their groups and the refunds of failed groups still owed.
extension ConsolePages {
    static let groupPages: [ConsolePage] = [
        ConsolePage(path: "/admin/groups", title: .navGroups, inNavigation: true, summary: "group campaigns and groups",
                    roles: ConsoleRole.operations.union(ConsoleRole.money), build: groups),
    ]

    static let groupActions: [ConsoleAction] = [
        ConsoleAction(path: "/admin/group-campaigns", summary: "create a group campaign", roles: ConsoleRole.operations,
                      back: "/admin/groups") { fields, _ in
            guard let price = try fields.money("group_price") else { throw TuikeError.validation("group_price is required") }
            var body: [String: Any] = ["product_id": try fields.required("product_id"), "group_price": price,
                                       "group_size": try fields.requiredInteger("group_size")]
            if let leader = try fields.money("leader_price") { body["leader_price"] = leader }
            if let hours = try fields.integer("duration_hours") { body["duration_seconds"] = hours * 3_600 }
            if let limit = try fields.integer("per_user_limit") { body["per_user_limit"] = limit }
            body["virtual_success"] = fields.text("virtual_success") == "true"
            return post("/api/v1/group-campaigns", body)
        },
        ConsoleAction(path: "/admin/group-campaigns/{id}/status", summary: "pause or resume a group campaign", roles: ConsoleRole.operations,
                      back: "/admin/groups") { fields, call in
            .init(method: .patch, path: "/api/v1/group-campaigns/\(ConsoleCall.encode(try call.parameter("id")))",
                  body: ["status": try fields.required("status")])
        },
        ConsoleAction(path: "/admin/group-refunds/{order_id}/retry", summary: "retry a group refund the provider refused",
                      roles: ConsoleRole.money.union(ConsoleRole.operations), back: "/admin/groups") { _, call in
            post("/api/v1/group-refunds/\(ConsoleCall.encode(try call.parameter("order_id")))/retry")
        },
    ]

    static func groups(_ call: ConsoleCall) async throws -> [V.Node] {
        let t = call.t
        let status = call.query("status") ?? "forming"
        let products = try await call.get("/api/v1/products?status=active&limit=100").items
        let titles = Dictionary(products.map { (V.text($0["id"]), V.text($0["title"])) }, uniquingKeysWith: { first, _ in first })
        let campaigns = try await call.get("/api/v1/group-campaigns?limit=20").items
        // Finance comes here for the group refunds still owed (and may retry them); campaigns are
        // the operators' to create and pause.
        let operates = ConsoleRole.operations.contains(call.user.role)
        var sections: [V.Node] = !operates ? [] : [
            V.section("new-campaign", t[.newCampaign], form: V.form("/admin/group-campaigns", submit: t[.create], fields: [
                V.field(t[.product], "product_id", value: V.text(products.first?["id"]), choices: products.map { (V.text($0["id"]), V.text($0["title"])) }),
                V.field(t[.groupSize], "group_size", value: "3", type: "number", required: true),
                V.field(t[.groupPriceYuan], "group_price", hint: "99.00", required: true),
                V.field(t[.leaderPriceYuan], "leader_price", hint: t[.optional]),
                V.field(t[.durationHours], "duration_hours", value: "24", type: "number"),
                V.field(t[.perUserLimit], "per_user_limit", value: "1", type: "number"),
                V.field(t[.virtualSuccess], "virtual_success", value: "false", choices: [("false", t[.no]), ("true", t[.yes])]),
            ])),
        ]
        for campaign in campaigns {
            let id = V.text(campaign["id"])
            let metrics = try await call.get("/api/v1/group-campaigns/\(id)/metrics").object
            let groups = try await call.get("/api/v1/group-campaigns/\(id)/groups?limit=50&status=\(ConsoleCall.encode(status))").items
            let rows = groups.map { group -> V.Node in
                let groupID = V.text(group["id"])
                return V.row(groupID, [V.cell(groupID, link: "/g/\(groupID)"), "\(V.text(group["members"]))/\(V.text(group["size"]))",
                                       V.text(group["reserved"]), label(call, "state", group["status"]), V.time(group["created_at"]),
                                       V.time(group["expires_at"]), V.time(group["finished_at"])])
            }
            let active = V.text(campaign["status"]) == "active"
            let note = [
                "\(t[.groupPrice]) \(V.money(campaign["group_price"])) · \(V.text(campaign["group_size"]))\(t[.peopleGroup])",
                "\(t[.status]) \(label(call, "state", campaign["status"]))",
                "\(t[.groupsOpened]) \(V.text(metrics["groups_opened"])) · \(t[.successRate]) \(V.percent(bps: metrics["success_rate_bps"]))",
                "\(t[.paidOrders]) \(V.text(metrics["paid_orders"])) · \(t[.newBuyers]) \(V.text(metrics["new_buyers"]))",
                "\(t[.refunds]) \(V.text(metrics["refunds"])) (\(V.money(metrics["refunded_amount"])))",
            ].joined(separator: " · ")
            sections.append(V.section("campaign-\(id)", titles[V.text(campaign["product_id"])] ?? V.text(campaign["product_id"]), note: note,
                                      filters: ["forming", "succeeded", "failed", "cancelled"].map {
                                          V.link(label(call, "state", $0), "/admin/groups?status=\($0)", current: $0 == status)
                                      },
                                      actions: !operates ? [] : [V.action(active ? t[.pause] : t[.resume], "/admin/group-campaigns/\(id)/status",
                                                         inputs: [V.input("status", value: active ? "paused" : "active", hidden: true)], secondary: active)],
                                      table: V.table([t[.group], t[.members], t[.reserved], t[.status], t[.created], t[.expires],
                                                      t[.finished]], rows)))
        }
        let pending = try await call.get("/api/v1/group-refunds").items.map { refund -> V.Node in
            let orderID = V.text(refund["order_id"])
            return V.row(orderID, [orderID, V.short(refund["buyer_id"]), V.cell(V.text(refund["group_id"]), link: "/g/\(V.text(refund["group_id"]))"),
                                   V.text(refund["refund_error"])], actions: [V.action(t[.retry], "/admin/group-refunds/\(orderID)/retry")])
        }
        sections.append(V.section("group-refunds", t[.groupRefunds], table: V.table([t[.order], t[.buyer], t[.group], t[.lastError]], pending)))
        return sections
    }
}
