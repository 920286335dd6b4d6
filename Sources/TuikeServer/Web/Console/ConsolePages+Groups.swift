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

    /// The groups page's model, as the API lists it (products as the products page reads them).
    struct CampaignRow: Decodable {
        let id: String
        let productId: String
        let status: GroupCampaign.Status
        let groupPrice: Int64
        let groupSize: Int64
    }

    struct Metrics: Decodable {
        let groupsOpened: Int64
        let successRateBps: Int64
        let paidOrders: Int64
        let newBuyers: Int64
        let refunds: Int64
        let refundedAmount: Int64
    }

    struct GroupRow: Decodable {
        let id: String
        let members: Int64
        let size: Int64
        let reserved: Int64
        let status: GroupStatus
        let createdAt: String
        let expiresAt: String?
        let finishedAt: String?
    }

    struct PendingRefund: Decodable {
        let orderId: String
        let buyerId: String
        let groupId: String
        let refundError: String?
    }

    static func groups(_ call: ConsoleCall) async throws -> [V.Node] {
        let t = call.t
        let status = call.query("status") ?? "forming"
        let products = try await call.get("/api/v1/products?status=active&limit=100", as: Listing<ProductRow>.self).data
        let titles = Dictionary(products.map { ($0.id, $0.title) }, uniquingKeysWith: { first, _ in first })
        let campaigns = try await call.get("/api/v1/group-campaigns?limit=20", as: Listing<CampaignRow>.self).data
        // Finance comes here for the group refunds still owed (and may retry them); campaigns are
        // the operators' to create and pause.
        let operates = ConsoleRole.operations.contains(call.user.role)
        var sections: [V.Node] = !operates ? [] : [
            V.section("new-campaign", t[.newCampaign], form: V.form("/admin/group-campaigns", submit: t[.create], fields: [
                V.field(t[.product], "product_id", value: products.first?.id ?? "", choices: products.map { ($0.id, $0.title) }),
                V.field(t[.groupSize], "group_size", value: "3", type: "number", required: true),
                V.field(t[.groupPriceYuan], "group_price", hint: "99.00", required: true),
                V.field(t[.leaderPriceYuan], "leader_price", hint: t[.optional]),
                V.field(t[.durationHours], "duration_hours", value: "24", type: "number"),
                V.field(t[.perUserLimit], "per_user_limit", value: "1", type: "number"),
                V.field(t[.virtualSuccess], "virtual_success", value: "false", choices: [("false", t[.no]), ("true", t[.yes])]),
            ])),
        ]
        for campaign in campaigns {
            let id = campaign.id
            let metrics = try await call.get("/api/v1/group-campaigns/\(id)/metrics", as: Metrics.self)
            let groups = try await call.get("/api/v1/group-campaigns/\(id)/groups?limit=50&status=\(ConsoleCall.encode(status))", as: Listing<GroupRow>.self).data
            let rows = groups.map { group -> V.Node in
                V.row(group.id, [V.cell(group.id, link: "/g/\(group.id)"), "\(group.members)/\(group.size)", "\(group.reserved)",
                                 t.label("state", group.status.rawValue), V.time(group.createdAt), V.time(group.expiresAt), V.time(group.finishedAt)])
            }
            let active = campaign.status == .active
            let note = [
                "\(t[.groupPrice]) \(V.money(campaign.groupPrice)) · \(campaign.groupSize)\(t[.peopleGroup])",
                "\(t[.status]) \(t.label("state", campaign.status.rawValue))",
                "\(t[.groupsOpened]) \(metrics.groupsOpened) · \(t[.successRate]) \(V.percent(bps: metrics.successRateBps))",
                "\(t[.paidOrders]) \(metrics.paidOrders) · \(t[.newBuyers]) \(metrics.newBuyers)",
                "\(t[.refunds]) \(metrics.refunds) (\(V.money(metrics.refundedAmount)))",
            ].joined(separator: " · ")
            sections.append(V.section("campaign-\(id)", titles[campaign.productId] ?? campaign.productId, note: note,
                                      filters: ["forming", "succeeded", "failed", "cancelled"].map {
                                          V.link(call.t.label("state", $0), "/admin/groups?status=\($0)", current: $0 == status)
                                      },
                                      actions: !operates ? [] : [V.action(active ? t[.pause] : t[.resume], "/admin/group-campaigns/\(id)/status",
                                                         inputs: [V.input("status", value: active ? "paused" : "active", hidden: true)], secondary: active)],
                                      table: V.table([t[.group], t[.members], t[.reserved], t[.status], t[.created], t[.expires],
                                                      t[.finished]], rows)))
        }
        let pending = try await call.get("/api/v1/group-refunds", as: Listing<PendingRefund>.self).data.map { refund -> V.Node in
            V.row(refund.orderId, [refund.orderId, V.short(refund.buyerId), V.cell(refund.groupId, link: "/g/\(refund.groupId)"),
                                   V.text(refund.refundError)], actions: [V.action(t[.retry], "/admin/group-refunds/\(refund.orderId)/retry")])
        }
        sections.append(V.section("group-refunds", t[.groupRefunds], table: V.table([t[.order], t[.buyer], t[.group], t[.lastError]], pending)))
        return sections
    }
}
