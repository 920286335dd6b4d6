import Synchronization
import TuikeCore
import TuikeStore

/// Sends an approved withdrawal's money to the promoter (F6). Called outside any transaction,
/// with the withdrawal id as idempotency key: asking twice pays once.
protocol PayoutProvider: Sendable {
    var name: String { get }
    /// Returns the provider's transfer reference, or throws when the transfer failed.
    func pay(withdrawal: WithdrawalRecord) async throws -> String
}

/// Without `--sandbox` the merchant pays out by hand (线下打款, as most Chinese mall systems do):
/// finance transfers the money, then approves, and the approval records it as paid.
struct ManualPayoutProvider: PayoutProvider {
    let name = "manual"

    func pay(withdrawal: WithdrawalRecord) async throws -> String { "manual:\(withdrawal.id)" }
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

    func pay(withdrawal: WithdrawalRecord) async throws -> String {
        try state.withLock { state in
            if let reference = state.paid[withdrawal.id] { return reference }
            if let reason = state.failing { throw TuikeError(.conflict, code: "payout_failed", reason) }
            let reference = "sbx_po_" + Identifier.secret(length: 12)
            state.paid[withdrawal.id] = reference
            return reference
        }
    }
}

/// Approval and payout of withdrawals: approve in one transaction, call the provider outside
/// it, record the outcome in another. A crash in between leaves the withdrawal `approved`, and
/// the recovery job asks the provider again (it pays once per withdrawal id).
struct PayoutService: Sendable {
    let withdrawals: WithdrawalRepository
    let provider: any PayoutProvider
    let clock: any TuikeClock

    func approve(_ id: String, by admin: String) async throws -> WithdrawalRecord {
        let (record, approvedNow) = try await withdrawals.approve(id, by: admin, provider: provider.name, at: clock.now())
        guard approvedNow else { return record }
        return try await payOut(record)
    }

    func payOut(_ record: WithdrawalRecord) async throws -> WithdrawalRecord {
        let outcome: WithdrawalRepository.Outcome
        do {
            outcome = .paid(reference: try await provider.pay(withdrawal: record))
        } catch let error as TuikeError {
            outcome = .failed(reason: error.message)
        } catch {
            outcome = .failed(reason: "\(error)")
        }
        return try await withdrawals.complete(record.id, outcome: outcome, at: clock.now())
    }

    /// The recovery job: finishes a payout still `approved` long after its approval.
    func recover(_ execution: JobExecution) async throws {
        guard let record = try await withdrawals.find(execution.job.payload), record.status == .approved else { return }
        _ = try await payOut(record)
    }
}
