import Synchronization
import TuikeCore
import TuikeStore

/// Approval and payout of withdrawals: approve in one transaction, call the provider outside
/// it, record the outcome in another. A crash in between leaves the withdrawal `approved`, and
/// the recovery job asks the provider again (it pays once per withdrawal id).
struct PayoutService: Sendable {
    let withdrawals: WithdrawalRepository
    let provider: any PayoutProvider
    let clock: any TuikeClock

    func approve(_ id: String, by admin: String) async throws -> Withdrawal {
        let (record, approvedNow) = try await withdrawals.approve(id, by: admin, provider: provider.name, at: clock.now())
        guard approvedNow else { return record }
        return try await payOut(record)
    }

    func payOut(_ record: Withdrawal) async throws -> Withdrawal {
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
