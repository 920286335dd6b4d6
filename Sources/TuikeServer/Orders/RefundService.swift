import TuikeCore
import TuikeStore

/// The one way money goes back to a buyer: through the provider that took the payment when Tuike
/// talks to it (outside any transaction; if it refuses, nothing is booked), then booked in one
/// transaction (`RefundRepository`: the order's refunded total, the lines, the reversed
/// commissions, the journal). Payments reported by an integrator are refunded by the integrator,
/// who reports the refund; then only the booking happens here.
///
/// Two-phase with the provider: the attempt is noted before the provider is asked. If the answer
/// is lost, nothing is booked and a job asks the provider what became of the refund: one it made
/// is booked then, one it never saw is forgotten.
struct RefundService: Sendable {
    let orders: OrderRepository
    let refunds: RefundRepository
    let providers: [String: any PaymentProvider]
    let attempts: PaymentProviderRepository
    let afterSales: AfterSaleRepository
    let program: ProgramRepository
    let clock: any TuikeClock

    /// How long after a lost answer the provider is asked about the refund.
    static let recoverySeconds: Int64 = 60

    /// Refunds `amount` of the order. A `refundID` already booked is a retry: the provider is
    /// not asked again and the booking answers with the first refund. `providerRefused` sees a
    /// provider's refusal before it is thrown.
    /// `afterSale` takes the refund from its line and completes it (docs/rules.md §13); its id is
    /// the refund number, so approving it twice pays once.
    func refund(orderID: String, amount: Int64, refundID: String?, reason: String?, afterSale: AfterSale? = nil, settings: ProgramSettings? = nil,
                providerRefused: @Sendable (any Error) async throws -> Void = { _ in }) async throws -> (Refund, Order) {
        var refundID = refundID
        var attempt: (reference: String, generation: Int64)?
        let retried = try await refundID.asyncFlatMap { try await refunds.find(refundID: $0) } != nil
        if !retried, let order = try await orders.find(orderID), order.refundRefusal(amount) == nil,
           let payment = try await orders.payments(orderID: orderID).first, let provider = providers[payment.provider],
           try await tookPayment(provider, orderID: orderID) {
            // A refund without a number of its own gets one from the order's state: a retry after
            // a lost answer (nothing booked yet) sends the same number, which the provider takes
            // as the same refund; the next refund, after this one is booked, gets another. It is
            // booked under that number, by this call or by the recovery job, whichever is first.
            let reference = refundID ?? "\(orderID)-\(order.refunded)-\(amount)"
            let now = clock.now()
            let generation = try await attempts.openRefund(.init(reference: reference, orderID: orderID, provider: provider.name, paymentID: payment.paymentID,
                                                                 amount: amount, refundID: refundID, reason: reason, afterSaleID: afterSale?.id),
                                                           checkAt: now.adding(seconds: Self.recoverySeconds), now: now)
            do {
                _ = try await provider.refund(paymentID: payment.paymentID, total: order.amount, amount: amount, reference: reference)
                refundID = reference
                attempt = (reference, generation)
            } catch let unreachable as ProviderUnreachable {
                throw TuikeError(.unavailable, code: "provider_unavailable",
                                 "\(unreachable.description); nothing is booked yet: the refund is booked once \(provider.name) confirms it. "
                                     + "To ask again, send refund_id \(reference)", retryAfter: Self.recoverySeconds)
            } catch {
                try await attempts.closeRefund(reference, generation: generation)
                try await providerRefused(error)
                throw error
            }
        }
        let booked = try await refunds.refund(orderID: orderID, amount: amount, refundID: refundID, reason: reason, afterSale: afterSale, settings: settings,
                                              at: clock.now())
        if let attempt { try await attempts.closeRefund(attempt.reference, generation: attempt.generation) }
        return booked
    }

    /// The recovery job: makes sure of a refund asked of a provider. Booked already, or refused:
    /// nothing to do. Otherwise the provider is asked, and a refund it made is booked under the
    /// attempt's number (the same one the request books under, so the two never book twice). A
    /// provider that does not answer is asked again 10 minutes later, for as long as it takes.
    func recover(_ execution: JobExecution) async throws {
        guard let attempt = try await attempts.refundAttempt(execution.job.payload), attempt.open else { return }
        guard let provider = providers[attempt.provider] as? any RefundQuerying else {
            try await attempts.closeRefund(attempt.reference, generation: attempt.generation)
            return
        }
        var outcome: RefundOutcome
        do {
            outcome = try await provider.refundStatus(paymentID: attempt.paymentID, reference: attempt.reference)
            if outcome == .unknown, let order = try await orders.find(attempt.orderID) {
                // Sent again under the same number: the provider makes it once.
                outcome = .made(refundID: try await provider.refund(paymentID: attempt.paymentID, total: order.amount, amount: attempt.amount,
                                                                    reference: attempt.reference))
            }
        } catch let refused as TuikeError where refused.code == "provider_refused" {
            outcome = .notMade
        } catch {
            try await attempts.recheckRefund(attempt.reference, at: execution.now.adding(seconds: 600), now: execution.now)
            return
        }
        if case .made = outcome {
            // Booked under the attempt's own number, as the request books it.
            let afterSale = try await attempt.afterSaleID.asyncFlatMap { try await afterSales.find($0) }
            _ = try await refunds.refund(orderID: attempt.orderID, amount: attempt.amount, refundID: attempt.refundID ?? attempt.reference,
                                         reason: attempt.reason, afterSale: afterSale, settings: try await program.current(), at: execution.now)
        }
        try await attempts.closeRefund(attempt.reference, generation: attempt.generation)
    }

    /// Gives back a second payment a provider took for an order already paid (it was never booked):
    /// in full, through that provider, under a number of its own; asked again 10 minutes later
    /// while the provider does not answer.
    func refundStray(_ execution: JobExecution) async throws {
        guard let stray = try await attempts.stray(execution.job.payload), !stray.refunded, let provider = providers[stray.provider] else { return }
        do {
            let refundID = try await provider.refund(paymentID: stray.paymentID, total: stray.amount, amount: stray.amount, reference: "dup-\(stray.paymentID)")
            try await attempts.strayRefunded(stray.paymentID, refundID: refundID)
        } catch is ProviderUnreachable {
            try await JobQueue(database: refunds.database).schedule(kind: PaymentProviderRepository.strayRefundJob, at: execution.now.adding(seconds: 600),
                                                                    payload: stray.paymentID,
                                                                    dedupeKey: "\(PaymentProviderRepository.strayRefundJob):\(stray.paymentID):\(execution.now.milliseconds)",
                                                                    now: execution.now)
        }
    }

    /// Whether Tuike took the order's payment through `provider` itself. An integrator may report
    /// a payment under a provider's name (`POST /orders/{id}/paid` with `provider: "wechatpay"`):
    /// that money came through the integrator's own account, so the integrator refunds it.
    func tookPayment(_ provider: any PaymentProvider, orderID: String) async throws -> Bool {
        guard provider is any CheckoutProvider else { return true }
        return try await PaymentProviderRepository.checkoutProviders(orderID: orderID, database: refunds.database).contains(provider.name)
    }
}
