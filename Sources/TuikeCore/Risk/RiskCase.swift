import Foundation

/// The signals of one promoter on one order, and their review (docs/rules.md §16). A case whose
/// signals include a rule in `hold` mode holds the order's commissions (`open`); one with shadow
/// rules only is `recorded`. An open case is released (its commissions back to `pending`, settled
/// in the next batch) or rejected (`rejected`, reversed in the ledger); nothing else ends it, so
/// a case nobody reviews stays held.
public struct RiskCase: Equatable, Sendable {
    public enum Status: String, CaseIterable, Codable, Sendable {
        case open, recorded, released, rejected
    }

    public let id: String
    public let promoterID: String
    public let orderID: String?
    public var status: Status
    public let signals: [RiskSignal]
    /// The sum of the fired rules' weights, capped at 100: how much the case deserves a look first.
    public let score: Int64
    public let createdAt: Instant
    public var resolvedAt: Instant?
    public var resolvedBy: String?
    public var resolution: String?

    public init(id: String, promoterID: String, orderID: String?, status: Status, signals: [RiskSignal], score: Int64, createdAt: Instant,
                resolvedAt: Instant? = nil, resolvedBy: String? = nil, resolution: String? = nil) {
        self.id = id
        self.promoterID = promoterID
        self.orderID = orderID
        self.status = status
        self.signals = signals
        self.score = score
        self.createdAt = createdAt
        self.resolvedAt = resolvedAt
        self.resolvedBy = resolvedBy
        self.resolution = resolution
    }

    public static let maxResolutionLength = 500

    /// What the fired signals amount to under the rules: nothing (no signal, or only rules that
    /// are off or that the promoter is excluded from), a recorded case, or a hold.
    public static func verdict(_ fired: [RiskSignal], rules: [RiskRule], excluded: Set<RiskCode>) -> (status: Status, signals: [RiskSignal], score: Int64)? {
        var kept: [RiskSignal] = []
        var holds = false
        var score: Int64 = 0
        for signal in fired where !excluded.contains(signal.code) {
            let rule = rules.first { $0.code == signal.code } ?? RiskRule.defaultRule(signal.code)
            guard rule.mode != .off else { continue }
            kept.append(signal)
            holds = holds || rule.mode == .hold
            score = min(100, score + rule.weight)
        }
        guard !kept.isEmpty else { return nil }
        return (holds ? .open : .recorded, kept, score)
    }

    /// A reviewer's reason: 1–500 characters once trimmed.
    public static func checkedResolution(_ text: String) throws(TuikeError) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, trimmed.count <= maxResolutionLength else {
            throw .validation("reason must be 1 to \(maxResolutionLength) characters")
        }
        return trimmed
    }
}
