import Synchronization
import TuikeCore

/// A payment provider Tuike refunds through. Payments reported by an integrator
/// (`provider: external`) were taken outside Tuike, so the integrator refunds them itself and
/// reports the refund; only providers Tuike talks to are called.
protocol PaymentProvider: Sendable {
    var name: String { get }
    /// Returns the provider's refund id, or throws when the provider refuses. `total` is the
    /// payment's amount, `reference` the refund's own number (the same number is the same refund).
    func refund(paymentID: String, total: Int64, amount: Int64, reference: String) async throws -> String
}

/// A provider whose payments Tuike starts itself (checkout), so an unpaid order's payment must be
/// settled there before the order is cancelled: booked if the buyer paid after all, else closed so
/// it can no longer be paid. Throws when the provider does not answer; the order then waits.
protocol CheckoutProvider: Sendable {
    var name: String { get }
    func settleBeforeExpiry(orderID: String) async throws
}

/// What became of a refund whose answer was lost.
enum RefundOutcome: Sendable, Equatable {
    /// The provider made it (accepted, on its way, or done); its refund id.
    case made(refundID: String)
    /// The provider never saw it, or closed it without paying.
    case notMade
    /// The provider cannot say yet: the refund is sent again under the same number.
    case unknown
}

/// A provider that can be asked about a refund by its number.
protocol RefundQuerying: PaymentProvider {
    func refundStatus(paymentID: String, reference: String) async throws -> RefundOutcome
}

/// The sandbox provider's refunds: they succeed, unless a test tells the provider to refuse.
final class SandboxPaymentProvider: PaymentProvider {
    let name = SandboxPaymentsController.provider
    private let refusing = Mutex(false)

    func refuseRefunds(_ refuse: Bool) { refusing.withLock { $0 = refuse } }

    func refund(paymentID: String, total: Int64, amount: Int64, reference: String) async throws -> String {
        if refusing.withLock({ $0 }) {
            throw TuikeError(.conflict, code: "provider_refused", "the sandbox provider refused the refund of \(amount) on \(paymentID)")
        }
        return "sbx_rf_" + Identifier.secret(length: 12)
    }
}
