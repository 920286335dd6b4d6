import Synchronization
import TuikeCore
import TuikeStore

/// Sends an approved withdrawal's money to the promoter. Called outside any transaction,
/// with the withdrawal id as idempotency key: asking twice pays once.
protocol PayoutProvider: Sendable {
    var name: String { get }
    /// Returns the provider's transfer reference, or throws when the transfer failed.
    func pay(withdrawal: Withdrawal) async throws -> String
}

/// Without `--sandbox` the merchant pays out by hand (线下打款, as most Chinese mall systems do):
/// finance transfers the money, then approves, and the approval records it as paid.
struct ManualPayoutProvider: PayoutProvider {
    let name = "manual"

    func pay(withdrawal: Withdrawal) async throws -> String { "manual:\(withdrawal.id)" }
}

/// The sandbox payout provider: pays at once, unless a test or an admin tells it to fail.
final class SandboxPayoutProvider: PayoutProvider {
    let name = "sandbox"
    private struct State {
        var failing: String?
        var paid: [String: String] = [:]
    }
    private let state = Mutex(State())

    /// `reason` non-nil makes every payout fail with it until called with nil.
    func fail(with reason: String?) { state.withLock { $0.failing = reason } }

    var failureReason: String? { state.withLock { $0.failing } }

    func pay(withdrawal: Withdrawal) async throws -> String {
        try state.withLock { state in
            if let reference = state.paid[withdrawal.id] { return reference }
            if let reason = state.failing { throw TuikeError(.conflict, code: "payout_failed", reason) }
            let reference = "sbx_po_" + Identifier.secret(length: 12)
            state.paid[withdrawal.id] = reference
            return reference
        }
    }
}
