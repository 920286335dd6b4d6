import Foundation
import Hummingbird
import TuikeCore
import TuikeStore

/// Program settings (docs/api.md). `PUT` takes what `GET` returns; fields left out keep their current
/// value, so a client may also send only what it changes. Anything invalid or non-compliant is
/// 422 and the stored settings stay as they were.
struct ProgramController {
    let program: ProgramRepository
    let clock: any TuikeClock

    func addRoutes(to api: APIRoutes) {
        api.add(.get, "/api/v1/program", summary: "Read the program settings", tag: "Program", access: .admin,
                responses: [(200, "The settings.", Schemas.ref("ProgramSettings"))], handler: get)
        api.add(.put, "/api/v1/program", summary: "Replace the program settings", tag: "Program", access: .admin,
                request: Schemas.ref("ProgramSettings"), responses: [(200, "The settings as stored.", Schemas.ref("ProgramSettings"))],
                handler: put)
    }

    @Sendable func get(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        return try JSONOutput.response(try await program.current())
    }

    @Sendable func put(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        let body = try JSONBody.jsonObject(Data(buffer: buffer))
        try JSONBody.rejectUnknown(body.keys, allowed: ProgramSettings.fieldNames, prefix: "")
        if let withdrawal = body["withdrawal"] as? [String: Any] {
            try JSONBody.rejectUnknown(withdrawal.keys, allowed: ProgramSettings.withdrawalFieldNames, prefix: "withdrawal.")
        }
        let current = try await program.current()
        let merged = try Self.merge(body, over: current)
        let settings = try JSONBody.decode(trusted: ProgramSettings.self, from: merged)
        try settings.validate()
        try await program.save(settings, at: clock.now())
        return try JSONOutput.response(settings)
    }

    /// Overlays the sent fields on the current settings (one level deep for `withdrawal`).
    static func merge(_ body: [String: Any], over current: ProgramSettings) throws -> Data {
        var base = try JSONBody.jsonObject(try JSONEncoder().encode(current))
        for (key, value) in body {
            if key == "withdrawal", let sent = value as? [String: Any], var existing = base[key] as? [String: Any] {
                existing.merge(sent) { $1 }
                base[key] = existing
            } else {
                base[key] = value
            }
        }
        return try JSONSerialization.data(withJSONObject: base)
    }

    static let settingsSchema = Schemas.object([
        ("levels", Schemas.array(CommissionView.ruleRateSchema, minItems: 1, maxItems: 3,
                                 "Rate per level: bps for percent rules, fen per unit for fixed rules. At most 3 levels.")),
        ("rule_type", Schemas.enumeration(ProgramSettings.RuleType.allCases.map(\.rawValue))),
        ("max_total_bps", Schemas.integer(in: 1...Money.fullRate)),
        ("attribution_model", Schemas.enumeration(ProgramSettings.AttributionModel.allCases.map(\.rawValue))),
        ("window_days", Schemas.integer(in: 1...365)),
        ("binding_days", Schemas.integer(in: -1...3650, "-1 permanent, 0 no binding.")),
        ("freeze_days", Schemas.integer(in: 0...365)),
        ("settlement_cycle", Schemas.enumeration(ProgramSettings.SettlementCycle.allCases.map(\.rawValue))),
        ("time_zone", ["type": "string", "description": "IANA time zone, e.g. Asia/Shanghai."] as JSONValue),
        ("tax_mode", Schemas.enumeration(ProgramSettings.TaxMode.allCases.map(\.rawValue))),
        ("withdrawal", Schemas.object([
            ("min_amount", Schemas.integer(in: 1...Money.maxAmount, "Smallest withdrawal in fen.")),
            ("fee_bps", Schemas.integer(in: 0...Money.fullRate)),
            ("channels", ["type": "array", "items": Schemas.enumeration(ProgramSettings.Channel.allCases.map(\.rawValue))] as JSONValue),
        ])),
        ("auto_approve_promoters", Schemas.boolean),
        ("order_timeout_seconds", Schemas.integer(in: 60...604_800, "Unpaid orders are cancelled after this.")),
        ("link_hosts", Schemas.array(Schemas.text(1...255, "A host like shop.example.com, or *.example.com for its subdomains."),
                                     maxItems: ProgramSettings.maxLinkHosts,
                                     "Where links may send visitors besides this server's public host; anything else is refused.")),
        ("webhooks_allow_private", ["type": "boolean", "description": "Allow webhook endpoints on loopback, private or link-local addresses."] as JSONValue),
        ("auto_receive_days", Schemas.integer(in: 1...60, "A shipped order counts as received this many days after its last parcel.")),
        ("after_sale_days", Schemas.integer(in: 0...90, "The after-sale window after receipt; commissions on goods settle after it.")),
        ("risk_review_hours", Schemas.integer(in: 1...720, "A risk case waiting longer for its review is shown overdue; it stays held.")),
    ], required: ["levels", "rule_type", "max_total_bps", "attribution_model", "window_days", "binding_days", "freeze_days",
                  "settlement_cycle", "time_zone", "tax_mode", "withdrawal", "auto_approve_promoters", "order_timeout_seconds"])
}
