import Foundation
import Logging
import TuikeCore
import TuikeStore

/// The kinds of due work and their handlers: hourly idempotency-key clean-up, rank
/// recomputation and the check of the running balances against the journal, a settlement batch at each period boundary, and the recovery of payouts an
/// instance did not see through; and the sweep that cancels unpaid orders at their timeout.
enum JobHandlers {
    static let purgeIdempotencyKeys = "idempotency.purge"
    static let recomputeRanks = "ranks.recompute"
    static let scanRisk = "risk.scan"
    static let settlePeriod = "settlement.period"
    static let checkLedger = "ledger.check"
    /// Stored responses are kept this long, like Stripe's 24 hours.
    static let idempotencyRetentionSeconds: Int64 = 86_400
    static let hour: Int64 = 3_600_000

    static func all(database: any Database, payouts: PayoutService, groupRefunds: GroupRefunds, refunds: RefundService) -> [String: JobRunner.Handler] {
        [
            purgeIdempotencyKeys: { execution in
                try await IdempotencyRepository(database: database)
                    .purge(olderThan: execution.now.adding(seconds: -idempotencyRetentionSeconds))
                try await scheduleHourly(purgeIdempotencyKeys, after: execution.now, database: database)
            },
            OrderRepository.expireJob: { execution in
                try await OrderRepository(database: database).expire(execution)
            },
            WithdrawalRepository.payoutJob: { execution in try await payouts.recover(execution) },
            PaymentProviderRepository.refundRecoveryJob: { execution in try await refunds.recover(execution) },
            PaymentProviderRepository.strayRefundJob: { execution in try await refunds.refundStray(execution) },
            GroupRepository.expireJob: { execution in
                try await GroupRepository(database: database).expire(execution, settings: try await ProgramRepository(database: database).current())
            },
            GroupRepository.expiringSoonJob: { execution in try await GroupRepository(database: database).expiringSoon(execution) },
            GroupRepository.refundJob: { execution in try await groupRefunds.run(execution) },
            settlePeriod: { execution in
                // The job is due at the boundary it settles; a period settled by hand already is
                // found and left alone. Then the next boundary, in the cycle in force now.
                let settings = try await ProgramRepository(database: database).current()
                _ = try await SettlementRepository(database: database)
                    .settle(periodEnd: execution.job.dueAt, trigger: .scheduled, settings: settings, at: execution.now)
                try await scheduleSettlement(after: execution.job.dueAt, settings: settings, database: database, now: execution.now)
            },
            checkLedger: { execution in
                let check = try await LedgerCheck.run(database: database, at: execution.now)
                if !check.consistent {
                    Logger(label: "tuike.ledger").error("running balances differ from the journal",
                                                        metadata: ["accounts": "\(check.differences.map(\.account).joined(separator: ", "))"])
                }
                try await scheduleHourly(checkLedger, after: execution.now, database: database)
            },
            recomputeRanks: { execution in
                try await RankRepository(database: database).recompute(at: execution.now)
                try await scheduleHourly(recomputeRanks, after: execution.now, database: database)
            },
            // Promoters' figures against the program's, new promoters' first day, click floods.
            scanRisk: { execution in
                try await RiskRepository(database: database).scan(at: execution.now)
                try await scheduleHourly(scanRisk, after: execution.now, database: database)
            },
        ]
    }

    static func sweeps(database: any Database, notifications: NotificationSender, checkouts: [any CheckoutProvider]) -> [String: JobRunner.Sweep] {
        [
            "notifications.send": { now in try await notifications.run(at: now) },
            // An order whose payment was started at a provider is settled there first: booked if
            // it was paid, closed if not; one the provider does not answer for waits for the next round.
            "orders.expire_due": { now in
                try await OrderRepository(database: database).expireDue(at: now) { orderID in
                    let started = try await PaymentProviderRepository.checkoutProviders(orderID: orderID, database: database)
                    for provider in checkouts where started.contains(provider.name) {
                        try await provider.settleBeforeExpiry(orderID: orderID)
                    }
                }
            },
            // Shipped orders the buyer never confirmed count as received `auto_receive_days` after their last parcel.
            "orders.auto_receive": { now in
                try await FulfilmentRepository(database: database).receiveDue(settings: try await ProgramRepository(database: database).current(), at: now)
            },
            // A badge's period is awarded within a second of its refund window closing.
            "badges.award": { now in
                _ = try await BadgeRepository(database: database).awardDue(settings: try await ProgramRepository(database: database).current(), now: now)
            },
            // Finished days are rolled up within seconds of `DayRollups.lag` after midnight.
            "rollups.advance": { now in
                try await DayRollups(database: database).advance(timeZone: try await ProgramRepository(database: database).current().timeZone, now: now)
                // The control accounts' posting rows (PostgreSQL), folded as they come.
                try await ControlAccounts.compact(database: database)
            },
        ]
    }

    /// Idempotent: the dedupe keys name the hour and the period, so every instance may call it at start.
    static func scheduleRecurring(database: any Database, now: Instant) async throws {
        for kind in [purgeIdempotencyKeys, recomputeRanks, checkLedger, scanRisk] {
            try await scheduleHourly(kind, after: now.adding(milliseconds: -hour), database: database)
        }
        try await scheduleSettlement(after: now, settings: try await ProgramRepository(database: database).current(), database: database, now: now)
    }

    static func scheduleSettlement(after instant: Instant, settings: ProgramSettings, database: any Database, now: Instant) async throws {
        let boundary = try SettlementPeriod.nextBoundary(after: instant, cycle: settings.settlementCycle, timeZone: settings.timeZone)
        try await JobQueue(database: database).schedule(
            kind: settlePeriod, at: boundary, dedupeKey: "\(settlePeriod):\(boundary.milliseconds)", now: now)
    }

    /// Schedules `kind` at the top of the hour after `instant`, once across all instances.
    private static func scheduleHourly(_ kind: String, after instant: Instant, database: any Database) async throws {
        let nextHour = (instant.milliseconds / hour + 1) * hour
        try await JobQueue(database: database).schedule(
            kind: kind, at: Instant(milliseconds: nextHour), dedupeKey: "\(kind):\(nextHour)", now: instant)
    }
}
