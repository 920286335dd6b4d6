import Hummingbird
import TuikeCore
import TuikeStore

/// Finance reports: the reconciliation of operational tables against the journal, and CSV
/// exports of commissions, settlements, statements and withdrawals for Excel (UTF-8 with BOM).
/// Every report runs through `Database.report`, so on SQLite its scans hold a thread of their own.
struct ReportsController {
    let database: any Database
    let reconciliation: ReconciliationQuery
    let commissions: CommissionRepository
    let settlements: SettlementRepository
    let withdrawals: WithdrawalRepository
    let program: ProgramRepository
    let clock: any TuikeClock

    static let dayOrTime: JSONValue = ["anyOf": [["type": "string", "format": "date"], Schemas.time]]
    static let rangeParameters: [JSONValue] = [
        Schemas.query("from", dayOrTime, "A day (yyyy-MM-dd, program time zone) or an RFC 3339 time; default the start of this month."),
        Schemas.query("to", dayOrTime, "A day (included) or an RFC 3339 time (excluded); default the end of today. After `from`."),
    ]

    func addRoutes(to api: APIRoutes) {
        api.add(.get, "/api/v1/reports/reconciliation", summary: "Revenue, refunds, commissions, tax, payouts, and whether the journal agrees",
                tag: "Reports", access: .admin, responses: [(200, "The report.", Schemas.ref("Reconciliation"))], parameters: Self.rangeParameters,
                handler: reconcile)
        for (name, summary) in [("commissions", "Commissions created in the range"), ("settlements", "Settlement batches created in the range"),
                                ("statements", "Statement lines of batches created in the range"), ("withdrawals", "Withdrawals requested in the range")] {
            // Only the statements export also takes one batch.
            let byBatch = name == "statements"
            api.add(.get, "/api/v1/exports/\(name).csv", summary: "CSV: \(summary)", tag: "Reports", access: .admin,
                    responses: [(200, "text/csv; charset=utf-8, with a byte-order mark.", nil)]
                        + (byBatch ? [(404, "Unknown settlement_id.", Schemas.ref("Error"))] : []),
                    parameters: Self.rangeParameters
                        + (byBatch ? [Schemas.query("settlement_id", Schemas.string, "Only this batch's statement lines (the range is then ignored).")] : [])) { request, context in
                if byBatch, let id = request.uri.queryParameters["settlement_id"].map(String.init) {
                    guard try await settlements.find(id) != nil else { throw TuikeError.notFound("settlement", id) }
                    return statementsCSV(from: Instant(milliseconds: 0), to: Instant(milliseconds: 0), settlementID: id, filename: "statements-\(id).csv")
                }
                let (from, to) = try await range(request)
                return export(name, from: from, to: to)
            }
        }
    }

    func range(_ request: Request) async throws -> (Instant, Instant) {
        try await Self.range(request, program: program, clock: clock)
    }

    /// `from` and `to` of a report's query, in the program's time zone.
    static func range(_ request: Request, program: ProgramRepository, clock: any TuikeClock) async throws -> (Instant, Instant) {
        let zone = try await program.current().timeZone
        let query = request.uri.queryParameters
        func bound(_ field: String, dayEnd: Bool) throws -> Instant? {
            try query[field[...]].map { try Self.instant(String($0), field: field, dayEnd: dayEnd, timeZone: zone) }
        }
        let now = clock.now()
        let from = try bound("from", dayEnd: false) ?? CalendarMonth.start(of: now, timeZone: zone)
        let to = try bound("to", dayEnd: true) ?? CalendarDays.days(from: now, to: now, timeZone: zone)[0].end
        guard from < to else { throw TuikeError.validation("from must be before to") }
        return (from, to)
    }

    /// Reports that read every order of their span take at most a year (`CalendarDays.maxDays`).
    static func requireSpan(from: Instant, to: Instant) throws {
        guard to.milliseconds - from.milliseconds <= Int64(CalendarDays.maxDays) * 86_400_000 else {
            throw TuikeError.validation("the range is at most \(CalendarDays.maxDays) days")
        }
    }

    /// A bound given as a day of the program's time zone (its start, or with `dayEnd` its end,
    /// so that a day given as `to` is included) or as an RFC 3339 time.
    static func instant(_ text: String, field: String, dayEnd: Bool, timeZone zone: String) throws -> Instant {
        if let instant = Instant(rfc3339: text) { return instant }
        guard let day = CalendarDays.startOfDay(text, timeZone: zone) else {
            throw TuikeError.validation("\(field) must be a day like 2026-11-21 or an RFC 3339 time")
        }
        return dayEnd ? try CalendarDays.days(from: day, to: day, timeZone: zone)[0].end : day
    }

    @Sendable func reconcile(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        let (from, to) = try await range(request)
        let report = try await database.report { [reconciliation] in try await reconciliation.report(from: from, to: to) }
        return try JSONOutput.response(ReconciliationView(report))
    }

    /// Commissions, batches and withdrawals newest first (as their lists), statements by batch
    /// and promoter; streamed (`CSVExport`).
    func export(_ name: String, from: Instant, to: Instant) -> Response {
        switch name {
        case "commissions":
            return CSVExport.response(
                filename: "commissions.csv",
                header: ["commission_id", "created_at", "order_id", "promoter_id", "level", "kind", "earned", "reversed", "amount", "status",
                         "rule_source", "basis", "eligible_at", "settlement_id"],
                page: { [commissions] after, limit in
                    try await commissions.list(promoterID: nil, orderID: nil, status: nil, from: from, to: to, limit: limit, before: after?.id)
                }, cells: { c in
                    [.text(c.id), .text(c.createdAt.rfc3339), .text(c.orderID), .text(c.promoterID), .number(c.level), .text(c.kind), .number(c.earned),
                     .number(c.reversed), .number(c.amount), .text(c.status.rawValue), .text(c.ruleSource), .text(c.basis),
                     .text(c.eligibleAt.rfc3339), .text(c.settlementID)]
                })
        case "settlements":
            return CSVExport.response(
                filename: "settlements.csv",
                header: ["settlement_id", "period_end", "trigger", "tax_mode", "gross", "tax", "net", "promoters", "commissions", "created_at"],
                page: { [settlements] after, limit in try await settlements.list(from: from, to: to, limit: limit, before: after?.id) },
                cells: { b in
                    [.text(b.id), .text(b.periodEnd.rfc3339), .text(b.trigger.rawValue), .text(b.taxMode), .number(b.gross), .number(b.tax),
                     .number(b.net), .number(b.promoterCount), .number(b.commissionCount), .text(b.createdAt.rfc3339)]
                })
        case "statements":
            return statementsCSV(from: from, to: to, settlementID: nil, filename: "statements.csv")
        default:
            return CSVExport.response(
                filename: "withdrawals.csv",
                header: ["withdrawal_id", "requested_at", "promoter_id", "amount", "fee", "payout", "channel", "account", "status", "reason",
                         "provider", "provider_reference", "decided_by", "completed_at"],
                page: { [withdrawals] after, limit in try await withdrawals.list(promoterID: nil, status: nil, from: from, to: to, limit: limit, before: after?.id) },
                cells: { w in
                    [.text(w.id), .text(w.requestedAt.rfc3339), .text(w.promoterID), .number(w.amount), .number(w.fee), .number(w.payout),
                     .text(w.channel), .text(w.account), .text(w.status.rawValue), .text(w.reason), .text(w.provider), .text(w.providerReference),
                     .text(w.decidedBy), .text(w.completedAt?.rfc3339)]
                })
        }
    }

    func statementsCSV(from: Instant, to: Instant, settlementID: String?, filename: String) -> Response {
        CSVExport.response(
            filename: filename, header: ["settlement_id", "period_end", "promoter_id", "gross", "tax", "net", "commissions", "created_at"],
            page: { [settlements] after, limit in
                try await settlements.statements(from: from, to: to, settlementID: settlementID, after: after, limit: limit)
            }, cells: { s in
                [.text(s.settlementID), .text(s.periodEnd.rfc3339), .text(s.promoterID), .number(s.gross), .number(s.tax), .number(s.net),
                 .number(s.commissionCount), .text(s.createdAt.rfc3339)]
            })
    }

    /// Also the reconciliation page's model (the console reads it back from the API).
    struct ReconciliationView: Codable, Sendable {
        struct CommissionFlows: Codable, Sendable { let earnedCount: Int64; let earned: Int64; let reversed: Int64; let settledCount: Int64; let settled: Int64 }
        struct CheckLine: Codable, Sendable { let name: String; let operational: Int64; let journal: Int64; let agrees: Bool }
        let from: Instant
        let to: Instant
        let revenue: Int64
        let refunds: Int64
        let netRevenue: Int64
        let commissions: CommissionFlows
        let taxWithheld: Int64
        let payouts: Int64
        let payoutFees: Int64
        let adjustments: Int64
        let checks: [CheckLine]
        let ledgerCheck: CommissionsController.LedgerCheckView?
        let consistent: Bool

        init(_ report: ReconciliationReport) {
            from = report.from
            to = report.to
            revenue = report.revenue
            refunds = report.refunds
            netRevenue = report.revenue - report.refunds
            commissions = CommissionFlows(earnedCount: report.flows.earnedCount, earned: report.flows.earned, reversed: report.flows.reversed,
                                          settledCount: report.flows.settledCount, settled: report.flows.settled)
            taxWithheld = report.taxWithheld
            payouts = report.payouts
            payoutFees = report.fees
            adjustments = report.adjustments
            checks = report.checks.map { .init(name: $0.name, operational: $0.operational, journal: $0.journal, agrees: $0.agrees) }
            ledgerCheck = report.ledgerCheck.map(CommissionsController.LedgerCheckView.init)
            consistent = report.consistent
        }

        static let schema = Schemas.object([
            ("from", Schemas.time), ("to", Schemas.time), ("revenue", Schemas.integer), ("refunds", Schemas.integer), ("net_revenue", Schemas.integer),
            ("commissions", Schemas.object([
                ("earned_count", Schemas.integer), ("earned", Schemas.money("Commissions earned (created) in the range.")),
                ("reversed", Schemas.money("Taken back from earned commissions by refunds in the range.")),
                ("settled_count", Schemas.integer), ("settled", Schemas.money("Gross of the commissions settled by batches of the range.")),
            ])),
            ("tax_withheld", Schemas.integer), ("payouts", Schemas.money("Paid out to promoters, fees excluded.")), ("payout_fees", Schemas.integer),
            ("adjustments", Schemas.integer),
            ("checks", Schemas.array(Schemas.object([("name", Schemas.string), ("operational", Schemas.integer), ("journal", Schemas.integer),
                                                     ("agrees", Schemas.boolean)]))),
            ("ledger_check", Schemas.ref("LedgerCheck")), ("consistent", Schemas.boolean),
        ], required: ["revenue", "checks", "consistent"])
    }
}
