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

    /// The promoters page's model: applicants and promoters as the API lists them.
    struct Applicant: Decodable {
        let id: String
        let name: String
        let phone: String?
        let inviteCode: String?
        let createdAt: String
        enum CodingKeys: String, CodingKey { case id, name, phone, inviteCode = "invite_code", createdAt = "created_at" }
    }

    struct PromoterRow: Decodable {
        struct RankName: Decodable { let name: String }
        let id: String
        let name: String
        let phone: String?
        let status: Promoter.Status
        let rank: RankName?
        let parentId: String?
        let inviteCode: String?
        let createdAt: String
        enum CodingKeys: String, CodingKey { case id, name, phone, status, rank, parentId = "parent_id", inviteCode = "invite_code", createdAt = "created_at" }
    }

    static func promoters(_ call: ConsoleCall) async throws -> [V.Node] {
        let t = call.t
        let applications = try await call.get("/api/v1/promoter-applications?limit=100", as: Listing<Applicant>.self, keysAsSent: true).data
        let listing = try await call.get("/api/v1/promoters?" + cursorQuery(call, extra: ["status": call.query("status")]), as: Listing<PromoterRow>.self, keysAsSent: true)
        let parents = try await promoterNames(call, listing.data.compactMap(\.parentId))
        let applicationRows = applications.map { applicant -> V.Node in
            V.row(applicant.id, [applicant.name, V.text(applicant.phone), V.text(applicant.inviteCode), V.time(applicant.createdAt)],
                  actions: [V.action(t[.approveApplication], "/admin/applications/\(applicant.id)/approve"),
                            V.action(t[.reject], "/admin/applications/\(applicant.id)/reject",
                                     inputs: [V.input("reason", hint: t[.reason], required: true)], secondary: true)])
        }
        let rows = listing.data.map { promoter -> V.Node in
            var actions: [V.Node] = []
            if promoter.status == .active {
                actions.append(V.action(t[.suspend], "/admin/promoters/\(promoter.id)/suspend", inputs: [V.input("reason", hint: t[.why], required: true)],
                                        secondary: true))
            } else if promoter.status == .suspended {
                actions.append(V.action(t[.reactivate], "/admin/promoters/\(promoter.id)/reactivate"))
            }
            let parent = promoter.parentId.map { parents[$0] ?? $0 } ?? "—"
            return V.row(promoter.id, [promoter.name, V.text(promoter.phone), t.label("state", promoter.status.rawValue), promoter.rank?.name ?? "—",
                                       parent, V.text(promoter.inviteCode), V.time(promoter.createdAt)], actions: actions)
        }
        return [
            V.section("applications", t[.applications], table: V.table([t[.name], t[.phone], t[.inviteCode], t[.appliedAt]], applicationRows)),
            V.section("promoters", t[.navPromoters],
                      filters: statusFilters(call, path: "/admin/promoters", prefix: "state", values: ["active", "suspended", "rejected", "terminated"]),
                      table: V.table([t[.name], t[.phone], t[.status], t[.rank], t[.upline], t[.inviteCode], t[.created]], rows),
                      links: nextLink(call, cursor: listing.nextCursor, path: "/admin/promoters")),
        ]
    }
}
