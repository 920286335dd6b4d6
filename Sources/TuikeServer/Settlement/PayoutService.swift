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
    /// WeChat transfers, for the `wechat` channel once WeChat Pay is set up.
    let wechat: WechatPayPayouts?
    let clock: any TuikeClock

    /// A payout the provider has not settled yet; the recovery job tries again later.
    struct StillPending: Error, CustomStringConvertible {
        let withdrawalID: String
        let reason: String
        var description: String { "withdrawal \(withdrawalID) is not settled yet: \(reason)" }
    }

    func approve(_ id: String, by admin: String) async throws -> Withdrawal {
        guard let requested = try await withdrawals.find(id) else { throw TuikeError.notFound("withdrawal", id) }
        let chosen = try await provider(forChannel: requested.channel)
        let (record, approvedNow) = try await withdrawals.approve(id, by: admin, provider: chosen.name, at: clock.now())
        guard approvedNow else { return record }
        return try await payOut(record, resuming: false)
    }

    /// The provider a new withdrawal on `channel` is paid through.
    func provider(forChannel channel: String) async throws -> any PayoutProvider {
        if channel == ProgramSettings.Channel.wechat.rawValue, let wechat, try await WechatPayConfig.load(from: wechat.payments.providers) != nil {
            return wechat
        }
        return provider
    }

    /// Pays through the provider the withdrawal was approved with. An outcome nobody knows yet
    /// (no answer, a transfer in progress) leaves it approved.
    func payOut(_ record: Withdrawal, resuming: Bool) async throws -> Withdrawal {
        let chosen: any PayoutProvider = record.provider == wechat?.name ? (wechat ?? provider) : provider
        let outcome: WithdrawalRepository.Outcome
        do {
            switch try await chosen.pay(withdrawal: record, resuming: resuming) {
            case .paid(let reference): outcome = .paid(reference: reference)
            case .pending: return record
            }
        } catch is ProviderUnreachable {
            return record
        } catch let error as TuikeError where error.code == "provider_not_configured" {
            // The settings were removed after the approval: nothing was sent, so ask again later.
            return record
        } catch let error as TuikeError {
            outcome = .failed(reason: error.message)
        } catch {
            outcome = .failed(reason: "\(error)")
        }
        return try await withdrawals.complete(record.id, outcome: outcome, at: clock.now())
    }

    /// The recovery job: finishes a payout still `approved` long after its approval, or throws
    /// so the job tries again later.
    func recover(_ execution: JobExecution) async throws {
        guard let record = try await withdrawals.find(execution.job.payload), record.status == .approved else { return }
        let after = try await payOut(record, resuming: true)
        if after.status == .approved { throw StillPending(withdrawalID: record.id, reason: "no settled answer from \(record.provider ?? "the provider")") }
    }
}
