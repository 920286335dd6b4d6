import Foundation
import HTTPTypes
import Hummingbird
import ServiceLifecycle
import TuikeCore
import TuikeStore

/// Full refunds of failed groups' members and of payments that found no slot: through the
/// provider that took the payment (outside any transaction), then booked (reversing commissions).
/// A provider refusal is kept on the member for admins and the job tries again with backoff.
struct GroupRefunds: Sendable {
    let groups: GroupRepository
    let orders: OrderRepository
    let refunds: RefundRepository
    let providers: [String: any PaymentProvider]
    let clock: any TuikeClock

    func run(_ execution: JobExecution) async throws {
        let payload = execution.job.payload
        guard let colon = payload.firstIndex(of: ":") else { return }
        try await refund(orderID: String(payload[payload.index(after: colon)...]), reason: String(payload[..<colon]))
    }

    func refund(orderID: String, reason: String) async throws {
        guard let order = try await orders.find(orderID) else { return }
        let left = order.amount - order.refunded
        let refundID = "group-\(orderID)"
        if left > 0, order.status == .paid || order.status == .partiallyRefunded, try await refunds.find(refundID: refundID) == nil {
            if let payment = try await orders.payments(orderID: orderID).first, let provider = providers[payment.provider] {
                do {
                    _ = try await provider.refund(paymentID: payment.paymentID, amount: left, reference: refundID)
                } catch {
                    try await groups.recordRefundError(orderID: orderID, message: (error as? TuikeError)?.message ?? "\(error)")
                    throw error
                }
            }
            _ = try await refunds.refund(orderID: orderID, amount: left, refundID: refundID, reason: reason, at: clock.now())
        }
        try await groups.markRefunded(orderID: orderID)
    }
}
