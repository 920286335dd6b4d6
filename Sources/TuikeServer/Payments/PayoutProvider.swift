import Synchronization
import TuikeCore
import TuikeStore

/// What a provider said of a payout: done, or still on its way (it stays approved and a job asks
/// again). A failure is thrown as a `TuikeError`; `ProviderUnreachable` means nobody knows yet.
enum PayoutResult: Sendable, Equatable {
    case paid(reference: String)
    case pending(reason: String)
}

/// Sends an approved withdrawal's money to the promoter. Called outside any transaction,
/// with the withdrawal id as idempotency key: asking twice pays once. `resuming` is a later try
/// after an answer that did not settle it, when a provider that can be asked looks first.
protocol PayoutProvider: Sendable {
    var name: String { get }
    func pay(withdrawal: Withdrawal, resuming: Bool) async throws -> PayoutResult
}

/// A real provider that pays the withdrawals of one channel once the merchant has set it up.
protocol ChannelPayoutProvider: PayoutProvider {
    var channel: ProgramSettings.Channel { get }
    func isConfigured() async throws -> Bool
}

/// Without `--sandbox` the merchant pays out by hand (线下打款, as most Chinese mall systems do):
/// finance transfers the money, then approves, and the approval records it as paid.
struct ManualPayoutProvider: PayoutProvider {
    let name = "manual"

    func pay(withdrawal: Withdrawal, resuming: Bool) async throws -> PayoutResult { .paid(reference: "manual:\(withdrawal.id)") }
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

    func pay(withdrawal: Withdrawal, resuming: Bool) async throws -> PayoutResult {
        try state.withLock { state in
            if let reference = state.paid[withdrawal.id] { return .paid(reference: reference) }
            if let reason = state.failing { throw TuikeError(.conflict, code: "payout_failed", reason) }
            let reference = "sbx_po_" + Identifier.secret(length: 12)
            state.paid[withdrawal.id] = reference
            return .paid(reference: reference)
        }
    }
}
