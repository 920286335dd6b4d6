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
        var attempt: String?
        let retried = try await refundID.asyncFlatMap { try await refunds.find(refundID: $0) } != nil
        if !retried, let order = try await orders.find(orderID), order.refundRefusal(amount) == nil,
           let payment = try await orders.payments(orderID: orderID).first, let provider = providers[payment.provider],
           try await tookPayment(provider, orderID: orderID) {
            // A refund without a number of its own gets one from the order's state: a retry after
            // a lost answer (nothing booked yet) sends the same number, which the provider takes
            // as the same refund; the next refund, after this one is booked, gets another.
            let reference = refundID ?? "\(orderID)-\(order.refunded)-\(amount)"
            try await attempts.openRefund(.init(reference: reference, orderID: orderID, provider: provider.name, paymentID: payment.paymentID,
                                                amount: amount, refundID: refundID, reason: reason, afterSaleID: afterSale?.id), at: clock.now())
            do {
                let providerRefund = try await provider.refund(paymentID: payment.paymentID, total: order.amount, amount: amount, reference: reference)
                refundID = refundID ?? providerRefund
                attempt = reference
            } catch let unreachable as ProviderUnreachable {
                try await attempts.recoverRefundLater(reference, at: clock.now().adding(seconds: Self.recoverySeconds), now: clock.now())
                throw TuikeError(.unavailable, code: "provider_unavailable",
                                 "\(unreachable.description); nothing is booked yet: the refund is booked once \(provider.name) confirms it "
                                     + "(the same request again, before then, is the same refund)", retryAfter: Self.recoverySeconds)
            } catch {
                try await attempts.closeRefund(reference)
                try await providerRefused(error)
                throw error
            }
        }
        let booked = try await refunds.refund(orderID: orderID, amount: amount, refundID: refundID, reason: reason, afterSale: afterSale, settings: settings,
                                              at: clock.now())
        if let attempt { try await attempts.closeRefund(attempt) }
        return booked
    }

    /// The recovery job: asks the provider about a refund whose answer was lost, and books it if
    /// the provider made it. A provider that still does not answer makes the job try again.
    func recover(_ execution: JobExecution) async throws {
        guard let attempt = try await attempts.refundAttempt(execution.job.payload), attempt.open else { return }
        guard let provider = providers[attempt.provider] as? any RefundQuerying else {
            try await attempts.closeRefund(attempt.reference)
            return
        }
        switch try await provider.refundStatus(paymentID: attempt.paymentID, reference: attempt.reference) {
        case .made(let providerRefund):
            let afterSale = try await attempt.afterSaleID.asyncFlatMap { try await afterSales.find($0) }
            _ = try await refunds.refund(orderID: attempt.orderID, amount: attempt.amount, refundID: attempt.refundID ?? providerRefund,
                                         reason: attempt.reason, afterSale: afterSale, settings: try await program.current(), at: execution.now)
        case .notMade:
            break
        }
        try await attempts.closeRefund(attempt.reference)
    }

    /// Whether Tuike took the order's payment through `provider` itself. An integrator may report
    /// a payment under a provider's name (`POST /orders/{id}/paid` with `provider: "wechatpay"`):
    /// that money came through the integrator's own account, so the integrator refunds it.
    func tookPayment(_ provider: any PaymentProvider, orderID: String) async throws -> Bool {
        guard provider is any CheckoutProvider else { return true }
        return try await PaymentProviderRepository.checkoutProviders(orderID: orderID, database: refunds.database).contains(provider.name)
    }
}
