import Synchronization
import TuikeCore
import TuikeStore

/// Approval and payout of withdrawals: approve in one transaction, call the provider outside
/// it, record the outcome in another. A crash in between, a provider that does not answer or a
/// transfer still on its way leaves the withdrawal `approved`, and the recovery job asks the
/// provider again (it pays once per withdrawal id) until it is paid or failed.
struct PayoutService: Sendable {
    let withdrawals: WithdrawalRepository
    /// Where withdrawals are paid unless a real provider takes their channel.
    let provider: any PayoutProvider
    /// Real providers by channel (WeChat transfers, Alipay transfers), each once it is set up.
    let channels: [any ChannelPayoutProvider]
    let clock: any TuikeClock

    func approve(_ id: String, by admin: String) async throws -> Withdrawal {
        guard let requested = try await withdrawals.find(id) else { throw TuikeError.notFound("withdrawal", id) }
        let chosen = try await provider(forChannel: requested.channel)
        let (record, approvedNow) = try await withdrawals.approve(id, by: admin, provider: chosen.name, at: clock.now())
        guard approvedNow else { return record }
        return try await payOut(record, resuming: false)
    }

    /// The provider a new withdrawal on `channel` is paid through.
    func provider(forChannel channel: String) async throws -> any PayoutProvider {
        for real in channels where real.channel.rawValue == channel {
            if try await real.isConfigured() { return real }
        }
        return provider
    }

    /// Pays through the provider the withdrawal was approved with. Only a definite failure (the
    /// provider says the transfer failed, or refused to create it) returns the money; an outcome
    /// nobody knows yet (no answer, a transfer in progress, a refusal to answer a query, any other
    /// error) leaves the withdrawal approved for the recovery job.
    func payOut(_ record: Withdrawal, resuming: Bool) async throws -> Withdrawal {
        let chosen: any PayoutProvider = channels.first { $0.name == record.provider } ?? provider
        let outcome: WithdrawalRepository.Outcome
        do {
            switch try await chosen.pay(withdrawal: record, resuming: resuming) {
            case .paid(let reference): outcome = .paid(reference: reference)
            case .pending: return record
            }
        } catch let error as TuikeError where error.code == "payout_failed" || (!resuming && error.code == "provider_refused") {
            outcome = .failed(reason: error.message)
        } catch {
            return record
        }
        return try await withdrawals.complete(record.id, outcome: outcome, at: clock.now())
    }

    /// How often an unsettled payout is asked after again: a transfer may wait a day for the
    /// promoter to confirm it, so the asking never gives up while the withdrawal is approved.
    static let recheckSeconds: Int64 = 600

    /// The recovery job: finishes a payout still `approved` long after its approval, or throws
    /// so the job tries again later.
    func recover(_ execution: JobExecution) async throws {
        guard let record = try await withdrawals.find(execution.job.payload), record.status == .approved else { return }
        let after = try await payOut(record, resuming: true)
        guard after.status == .approved else { return }
        // A job of its own for the next question, so the queue's attempt limit never ends the asking.
        let due = execution.now.adding(seconds: Self.recheckSeconds)
        try await JobQueue(database: withdrawals.database).schedule(kind: WithdrawalRepository.payoutJob, at: due, payload: record.id,
                                                                    dedupeKey: "\(WithdrawalRepository.payoutJob):\(record.id):\(due.milliseconds)", now: execution.now)
    }
}
