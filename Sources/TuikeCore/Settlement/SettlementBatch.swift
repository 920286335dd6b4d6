/// A settlement batch (docs/rules.md §5): every eligible pending commission up to `periodEnd`, per
/// promoter gross, tax and net.
public struct SettlementBatch: Sendable, Equatable {
    public enum Trigger: String, Codable, Sendable, CaseIterable { case manual, scheduled }
    public let id: String
    public let periodEnd: Instant
    public let trigger: Trigger
    public let taxMode: String
    public let gross: Int64
    public let tax: Int64
    public let net: Int64
    public let promoterCount: Int64
    public let commissionCount: Int64
    public let createdAt: Instant

    public init(id: String, periodEnd: Instant, trigger: Trigger, taxMode: String, gross: Int64, tax: Int64, net: Int64, promoterCount: Int64, commissionCount: Int64, createdAt: Instant) {
        self.id = id
        self.periodEnd = periodEnd
        self.trigger = trigger
        self.taxMode = taxMode
        self.gross = gross
        self.tax = tax
        self.net = net
        self.promoterCount = promoterCount
        self.commissionCount = commissionCount
        self.createdAt = createdAt
    }
}

/// One promoter's statement: its line of a batch.
public struct Statement: Sendable, Equatable {
    public let settlementID: String
    public let periodEnd: Instant
    public let promoterID: String
    public let gross: Int64
    public let tax: Int64
    public let net: Int64
    public let commissionCount: Int64
    public let createdAt: Instant

    public init(settlementID: String, periodEnd: Instant, promoterID: String, gross: Int64, tax: Int64, net: Int64, commissionCount: Int64, createdAt: Instant) {
        self.settlementID = settlementID
        self.periodEnd = periodEnd
        self.promoterID = promoterID
        self.gross = gross
        self.tax = tax
        self.net = net
        self.commissionCount = commissionCount
        self.createdAt = createdAt
    }
}

/// A settlement, planned from what the batch settled: each promoter's gross and commission count
/// (its lines, with tax withheld as the program's tax mode says), the batch's totals, one journal
/// entry per promoter and the `settlement.created` event. Pure; the store marks the commissions
/// settled, sums them per promoter and writes the plan in the same transaction.
public struct SettlementPlan: Sendable, Equatable {
    public let batch: SettlementBatch
    public let lines: [StatementLine]
    public let entries: [PlannedEntry]
    public let event: DomainEvent

    public init(id: String, periodEnd: Instant, trigger: SettlementBatch.Trigger, taxMode: ProgramSettings.TaxMode,
                settled: [(promoterID: String, gross: Int64, commissions: Int64)], now: Instant) throws(TuikeError) {
        lines = settled.map { StatementLine(promoterID: $0.promoterID, gross: $0.gross, commissionCount: $0.commissions, taxMode: taxMode) }
        batch = SettlementBatch(id: id, periodEnd: periodEnd, trigger: trigger, taxMode: taxMode.rawValue, gross: Money.total(lines.map(\.gross)),
                                tax: Money.total(lines.map(\.tax)), net: Money.total(lines.map(\.net)), promoterCount: Int64(lines.count),
                                commissionCount: Money.total(lines.map(\.commissionCount)), createdAt: now)
        var entries: [PlannedEntry] = []
        for line in lines { entries.append(PlannedEntry(entry: try .settlement(promoterID: line.promoterID, gross: line.gross, tax: line.tax), reference: id)) }
        self.entries = entries
        event = .settlementCreated(settlementID: id, periodEnd: periodEnd, gross: batch.gross, tax: batch.tax, net: batch.net,
                                   promoters: batch.promoterCount, commissions: batch.commissionCount)
    }
}
