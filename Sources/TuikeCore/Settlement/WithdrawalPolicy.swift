/// Withdrawals (docs/rules.md §7): `requested` → `approved` → `paid` | `failed`, or `requested` →
/// `rejected`. The amount leaves `available` at request; `failed` and `rejected` return it.
public enum WithdrawalStatus: String, Codable, Sendable, CaseIterable, StatusMachine {
    case requested, approved, paid, failed, rejected

    public var next: Set<WithdrawalStatus> {
        switch self {
        case .requested: [.approved, .rejected]
        case .approved: [.paid, .failed]
        case .paid, .failed, .rejected: []
        }
    }
}

public enum WithdrawalPolicy {
    /// Checks a request against the program's rules and returns the fee it costs. Whether the
    /// balance covers it is the store's question, answered in the statement that takes the money.
    public static func fee(amount: Int64, channel: ProgramSettings.Channel, settings: ProgramSettings.Withdrawal) throws(TuikeError) -> Int64 {
        guard settings.channels.contains(channel) else {
            throw .validation("channel \(channel.rawValue) is not offered; offered: \(settings.channels.map(\.rawValue).joined(separator: ", "))")
        }
        guard amount <= Money.maxAmount else { throw .validation("amount must be at most \(Money.maxAmount) fen") }
        guard amount >= settings.minAmount else {
            throw .validation("amount must be at least \(settings.minAmount) fen (\(Money.format(settings.minAmount)))")
        }
        let fee = Money.rate(amount, bps: settings.feeBps)
        guard fee < amount else { throw .validation("the fee of \(fee) fen would take the whole amount") }
        return fee
    }
}
