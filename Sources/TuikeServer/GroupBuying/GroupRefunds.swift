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
    let service: RefundService

    func run(_ execution: JobExecution) async throws {
        let payload = execution.job.payload
        guard let colon = payload.firstIndex(of: ":") else { return }
        try await refund(orderID: String(payload[payload.index(after: colon)...]), reason: String(payload[..<colon]))
    }

    /// Refunds what is left of the order, once: the refund number is derived from the order.
    func refund(orderID: String, reason: String) async throws {
        guard let order = try await orders.find(orderID) else { return }
        let refundID = "group-\(orderID)"
        if order.status.isRefundable, order.refundable > 0, try await refunds.find(refundID: refundID) == nil {
            _ = try await service.refund(orderID: orderID, amount: order.refundable, refundID: refundID, reason: reason) { [groups] error in
                try await groups.recordRefundError(orderID: orderID, message: (error as? TuikeError)?.message ?? "\(error)")
            }
        }
        try await groups.markRefunded(orderID: orderID)
    }
}
