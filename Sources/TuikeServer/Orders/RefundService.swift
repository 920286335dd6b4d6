import TuikeCore
import TuikeStore

/// The one way money goes back to a buyer: through the provider that took the payment when Tuike
/// talks to it (outside any transaction; if it refuses, nothing is booked), then booked in one
/// transaction (`RefundRepository`: the order's refunded total, the lines, the reversed
/// commissions, the journal). Payments reported by an integrator are refunded by the integrator,
/// who reports the refund; then only the booking happens here.
struct RefundService: Sendable {
    let orders: OrderRepository
    let refunds: RefundRepository
    let providers: [String: any PaymentProvider]
    let clock: any TuikeClock

    /// Refunds `amount` of the order. A `refundID` already booked is a retry: the provider is
    /// not asked again and the booking answers with the first refund. `providerRefused` sees a
    /// provider's refusal before it is thrown.
    /// `afterSale` takes the refund from its line and completes it (docs/rules.md §13); its id is
    /// the refund number, so approving it twice pays once.
    func refund(orderID: String, amount: Int64, refundID: String?, reason: String?, afterSale: AfterSale? = nil, settings: ProgramSettings? = nil,
                providerRefused: @Sendable (any Error) async throws -> Void = { _ in }) async throws -> (Refund, Order) {
        var refundID = refundID
        let retried = try await refundID.asyncFlatMap { try await refunds.find(refundID: $0) } != nil
        if !retried, let order = try await orders.find(orderID), order.refundRefusal(amount) == nil,
           let payment = try await orders.payments(orderID: orderID).first, let provider = providers[payment.provider],
           try await tookPayment(provider, orderID: orderID) {
            do {
                // A refund without a number of its own gets one from the order's state: a retry
                // after a lost answer (nothing booked yet) sends the same number, which the
                // provider takes as the same refund; the next refund, after this one is booked,
                // gets another.
                let reference = refundID ?? "\(orderID)-\(order.refunded)-\(amount)"
                let providerRefund = try await provider.refund(paymentID: payment.paymentID, total: order.amount, amount: amount, reference: reference)
                refundID = refundID ?? providerRefund
            } catch {
                try await providerRefused(error)
                throw error
            }
        }
        return try await refunds.refund(orderID: orderID, amount: amount, refundID: refundID, reason: reason, afterSale: afterSale, settings: settings,
                                        at: clock.now())
    }

    /// Whether Tuike took the order's payment through `provider` itself. An integrator may report
    /// a payment under a provider's name (`POST /orders/{id}/paid` with `provider: "wechatpay"`):
    /// that money came through the integrator's own account, so the integrator refunds it.
    func tookPayment(_ provider: any PaymentProvider, orderID: String) async throws -> Bool {
        guard provider is any CheckoutProvider else { return true }
        return try await PaymentProviderRepository.checkoutProviders(orderID: orderID, database: refunds.database).contains(provider.name)
    }
}
