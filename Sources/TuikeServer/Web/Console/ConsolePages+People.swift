import Foundation
import TuikeCore

/// Applications to review and the promoters.
extension ConsolePages {
    static let peoplePages: [ConsolePage] = [
        ConsolePage(path: "/admin/promoters", title: .navPromoters, inNavigation: true, summary: "applications and promoters",
                    roles: ConsoleRole.operations, build: promoters),
    ]

    static let peopleActions: [ConsoleAction] = [
        ConsoleAction(path: "/admin/applications/{id}/approve", summary: "approve an application", roles: ConsoleRole.operations,
                      back: "/admin/promoters") { _, call in
            post("/api/v1/promoter-applications/\(ConsoleCall.encode(try call.parameter("id")))/approve")
        },
        ConsoleAction(path: "/admin/applications/{id}/reject", summary: "reject an application with a reason", roles: ConsoleRole.operations,
                      back: "/admin/promoters") { fields, call in
            post("/api/v1/promoter-applications/\(ConsoleCall.encode(try call.parameter("id")))/reject", ["reason": try fields.required("reason")])
        },
        ConsoleAction(path: "/admin/promoters/{id}/suspend", summary: "suspend a promoter", roles: ConsoleRole.operations,
                      back: "/admin/promoters") { fields, call in
            post("/api/v1/promoters/\(ConsoleCall.encode(try call.parameter("id")))/suspend", ["reason": try fields.required("reason")])
        },
        ConsoleAction(path: "/admin/promoters/{id}/reactivate", summary: "reactivate a suspended promoter", roles: ConsoleRole.operations,
                      back: "/admin/promoters") { _, call in
            post("/api/v1/promoters/\(ConsoleCall.encode(try call.parameter("id")))/reactivate")
        },
    ]

    static func promoters(_ call: ConsoleCall) async throws -> [V.Node] {
        let t = call.t
        let applications = try await call.get("/api/v1/promoter-applications?limit=100").items
        let reply = try await call.get("/api/v1/promoters?" + cursorQuery(call, extra: ["status": call.query("status")]))
        let parents = try await promoterNames(call, reply.items.compactMap { $0["parent_id"] as? String })
        let applicationRows = applications.map { applicant -> V.Node in
            let id = V.text(applicant["id"])
            return V.row(id, [V.text(applicant["name"]), V.text(applicant["phone"]), V.text(applicant["invite_code"]), V.time(applicant["created_at"])],
                         actions: [V.action(t[.approveApplication], "/admin/applications/\(id)/approve"),
                                   V.action(t[.reject], "/admin/applications/\(id)/reject",
                                            inputs: [V.input("reason", hint: t[.reason], required: true)], secondary: true)])
        }
        let rows = reply.items.map { promoter -> V.Node in
            let id = V.text(promoter["id"])
            let status = V.text(promoter["status"])
            var actions: [V.Node] = []
            if status == "active" {
                actions.append(V.action(t[.suspend], "/admin/promoters/\(id)/suspend", inputs: [V.input("reason", hint: t[.why], required: true)],
                                        secondary: true))
            } else if status == "suspended" {
                actions.append(V.action(t[.reactivate], "/admin/promoters/\(id)/reactivate"))
            }
            let rank = (promoter["rank"] as? [String: Any]).map { V.text($0["name"]) } ?? "—"
            let parent = (promoter["parent_id"] as? String).map { parents[$0] ?? $0 } ?? "—"
            return V.row(id, [V.text(promoter["name"]), V.text(promoter["phone"]), label(call, "state", status), rank, parent,
                              V.text(promoter["invite_code"]), V.time(promoter["created_at"])], actions: actions)
        }
        return [
            V.section("applications", t[.applications], table: V.table([t[.name], t[.phone], t[.inviteCode], t[.appliedAt]], applicationRows)),
            V.section("promoters", t[.navPromoters],
                      filters: statusFilters(call, path: "/admin/promoters", prefix: "state", values: ["active", "suspended", "rejected", "terminated"]),
                      table: V.table([t[.name], t[.phone], t[.status], t[.rank], t[.upline], t[.inviteCode], t[.created]], rows),
                      links: nextLink(call, reply, path: "/admin/promoters")),
        ]
    }
}
