import Foundation
import TuikeCore

/// Risk: the review queue (cases waiting for a decision first), one case with its evidence and
/// the commissions it holds, and the rules with the trusted promoters left out of them. Finance
/// and the owner review; the rules are the owner's.
extension ConsolePages {
    static let riskPages: [ConsolePage] = [
        ConsolePage(path: "/admin/risk", title: .navRisk, inNavigation: true, summary: "the risk review queue", roles: ConsoleRole.money, build: riskQueue),
        ConsolePage(path: "/admin/risk/cases/{id}", title: .riskCase, inNavigation: false, summary: "one risk case with its evidence",
                    roles: ConsoleRole.money, build: riskCase),
        ConsolePage(path: "/admin/risk/rules", title: .riskRules, inNavigation: false, summary: "the risk rules and trusted promoters",
                    roles: ConsoleRole.owner, build: riskRules),
    ]

    static let riskActions: [ConsoleAction] = [
        ConsoleAction(path: "/admin/risk/cases/{id}/release", summary: "release a case's held commissions", roles: ConsoleRole.money,
                      back: "/admin/risk") { fields, call in
            post("/api/v1/risk/cases/\(ConsoleCall.encode(try call.parameter("id")))/release", ["reason": try fields.required("reason")])
        },
        ConsoleAction(path: "/admin/risk/cases/{id}/reject", summary: "reject a case's held commissions", roles: ConsoleRole.money,
                      back: "/admin/risk") { fields, call in
            post("/api/v1/risk/cases/\(ConsoleCall.encode(try call.parameter("id")))/reject", ["reason": try fields.required("reason")])
        },
        ConsoleAction(path: "/admin/risk/rules/change", summary: "change a risk rule", roles: ConsoleRole.owner, back: "/admin/risk/rules") { fields, _ in
            var body: [String: Any] = [:]
            if let mode = fields.text("mode") { body["mode"] = mode }
            if let threshold = try fields.integer("threshold") { body["threshold"] = threshold }
            if let weight = try fields.integer("weight") { body["weight"] = weight }
            return .init(method: .put, path: "/api/v1/risk/rules/\(ConsoleCall.encode(try fields.required("code")))", body: body)
        },
        ConsoleAction(path: "/admin/risk/exclusions", summary: "leave a trusted promoter out of a rule", roles: ConsoleRole.owner,
                      back: "/admin/risk/rules") { fields, _ in
            .init(method: .put, path: "/api/v1/promoters/\(ConsoleCall.encode(try fields.required("promoter_id")))/risk-exclusions/"
                      + ConsoleCall.encode(try fields.required("code")), body: ["reason": try fields.required("reason")])
        },
    ]

    struct RiskSignalRow: Decodable { let code: String; let reason: String; let evidence: [String: String] }
    struct RiskCaseRow: Decodable {
        let id: String; let promoterId: String; let orderId: String?; let status: String; let score: Int64; let signals: [RiskSignalRow]
        let createdAt: String; let resolvedAt: String?; let resolvedBy: String?; let resolution: String?; let reviewDueAt: String; let overdue: Bool
    }
    struct RiskCaseDetail: Decodable {
        struct Held: Decodable { let id: String; let orderId: String; let level: Int64; let amount: Int64; let status: String }
        let id: String; let promoterId: String; let orderId: String?; let status: String; let score: Int64; let signals: [RiskSignalRow]
        let createdAt: String; let resolvedBy: String?; let resolution: String?; let commissions: [Held]?
    }
    struct RiskRuleRow: Decodable { let code: String; let mode: String; let threshold: Int64; let weight: Int64; let version: Int64 }

    static func riskCodes(_ t: Words, _ signals: [RiskSignalRow]) -> String {
        signals.map { t.label("risk", $0.code) }.joined(separator: ", ")
    }

    static func riskQueue(_ call: ConsoleCall) async throws -> [V.Node] {
        let t = call.t
        // The queue opens on the cases waiting for a decision.
        let status = call.query("status") ?? RiskCase.Status.open.rawValue
        let listing = try await call.get("/api/v1/risk/cases?" + cursorQuery(call, extra: ["status": status == "all" ? nil : status]),
                                         as: Listing<RiskCaseRow>.self)
        let names = try await promoterNames(call, listing.data.map(\.promoterId))
        let rows = listing.data.map { found in
            V.row(found.id, [V.time(found.createdAt), V.cell(names[found.promoterId] ?? found.promoterId, link: "/admin/risk/cases/\(found.id)"),
                             riskCodes(t, found.signals), String(found.score), V.text(found.orderId), t.label("risk_case", found.status),
                             found.status == RiskCase.Status.open.rawValue ? V.time(found.reviewDueAt) + (found.overdue ? " · \(t[.overdue])" : "") : "—"])
        }
        let filters = RiskCase.Status.allCases.map { V.link(t.label("risk_case", $0.rawValue), "/admin/risk?status=\($0.rawValue)", current: status == $0.rawValue) }
            + [V.link(t[.all], "/admin/risk?status=all", current: status == "all")]
        return [
            V.section("cases", t[.riskQueue], note: t[.riskQueueNote], filters: filters,
                      table: V.table([t[.created], t[.promoter], t[.signals], t[.score], t[.order], t[.status], t[.reviewDue]], rows),
                      links: [V.link(t[.riskRules], "/admin/risk/rules")] + nextLink(call, cursor: listing.nextCursor, path: "/admin/risk")),
        ]
    }

    static func riskCase(_ call: ConsoleCall) async throws -> [V.Node] {
        let t = call.t
        let id = try call.parameter("id")
        let found = try await call.get("/api/v1/risk/cases/\(ConsoleCall.encode(id))", as: RiskCaseDetail.self)
        let name = try await promoterNames(call, [found.promoterId])[found.promoterId] ?? found.promoterId
        let signalRows = found.signals.enumerated().map { index, signal in
            V.row("\(index)", [t.label("risk", signal.code), signal.reason,
                               signal.evidence.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " · ")])
        }
        let heldRows = (found.commissions ?? []).map { commission in
            V.row(commission.id, [commission.id, commission.orderId, "L\(commission.level)", V.money(commission.amount), t.label("commission", commission.status)])
        }
        var actions: [V.Node] = []
        if found.status == RiskCase.Status.open.rawValue {
            actions = [
                V.action(t[.release], "/admin/risk/cases/\(found.id)/release", inputs: [V.input("reason", hint: t[.why], required: true)]),
                V.action(t[.reject], "/admin/risk/cases/\(found.id)/reject", inputs: [V.input("reason", hint: t[.why], required: true)], secondary: true),
            ]
        }
        // Suspending is an operations decision: finance sees the case without the button.
        if ConsoleRole.operations.contains(call.user.role) {
            actions.append(V.action(t[.suspend], "/admin/promoters/\(found.promoterId)/suspend", inputs: [V.input("reason", hint: t[.why], required: true)],
                                    secondary: true))
        }
        let summary = [
            V.row("case", [found.id, name, String(found.score), V.text(found.orderId), t.label("risk_case", found.status),
                           V.time(found.createdAt), V.text(found.resolution)]),
        ]
        return [
            V.section("case", t[.riskCase], note: t[.riskCaseNote], actions: actions,
                      table: V.table(["ID", t[.promoter], t[.score], t[.order], t[.status], t[.created], t[.why]], summary),
                      links: [V.link(t[.navRisk], "/admin/risk")]),
            V.section("signals", t[.signals], table: V.table([t[.signals], t[.why], t[.evidence]], signalRows)),
            V.section("commissions", t[.heldCommissions], table: V.table(["ID", t[.order], t[.level], t[.amount], t[.status]], heldRows)),
        ]
    }

    struct RiskExclusionRow: Decodable { let code: String; let reason: String }

    static func riskRules(_ call: ConsoleCall) async throws -> [V.Node] {
        let t = call.t
        let rules = try await call.get("/api/v1/risk/rules", as: Listing<RiskRuleRow>.self).data
        let rows = rules.map { rule in
            V.row(rule.code, [t.label("risk", rule.code), rule.code, t.label("risk_mode", rule.mode), String(rule.threshold), t.label("risk_unit", rule.code),
                              String(rule.weight), String(rule.version)])
        }
        let codes = RiskCode.allCases.map { (value: $0.rawValue, text: t.label("risk", $0.rawValue)) }
        var exclusionRows: [V.Node] = []
        if let promoterID = call.query("promoter_id") {
            let listed = try await call.get("/api/v1/promoters/\(ConsoleCall.encode(promoterID))/risk-exclusions", as: Listing<RiskExclusionRow>.self).data
            exclusionRows = listed.map { V.row($0.code, [promoterID, t.label("risk", $0.code), $0.reason]) }
        }
        return [
            V.section("rules", t[.riskRules], note: t[.riskRulesNote],
                      filters: [V.link(t[.riskQueue], "/admin/risk"), V.link(t[.riskRules], "/admin/risk/rules", current: true)], form: V.form("/admin/risk/rules/change", submit: t[.save], fields: [
                V.field(t[.signals], "code", value: RiskCode.selfPurchaseIP.rawValue, choices: codes),
                V.field(t[.mode], "mode", value: "", choices: [(value: "", text: "—")]
                            + RiskMode.allCases.map { (value: $0.rawValue, text: t.label("risk_mode", $0.rawValue)) }),
                V.field(t[.threshold], "threshold", hint: t[.optional]), V.field(t[.weight], "weight", hint: "0–100"),
            ]), table: V.table([t[.signals], "code", t[.mode], t[.threshold], t[.unit], t[.weight], t[.version]], rows)),
            V.section("exclusions", t[.exclusions], note: t[.exclusionsNote], form: V.form("/admin/risk/exclusions", submit: t[.exclude], fields: [
                V.field(t[.promoterID], "promoter_id", value: call.query("promoter_id") ?? "", required: true),
                V.field(t[.signals], "code", value: RiskCode.selfPurchaseIP.rawValue, choices: codes),
                V.field(t[.why], "reason", required: true),
            ]), table: V.table([t[.promoterID], t[.signals], t[.why]], exclusionRows)),
        ]
    }
}
