import SQLKit
import TuikeCore

/// What a provider's refunds leave behind until their outcome is known: each refund attempt from
/// before the call, and the second payments of orders already paid, refunded in full.
extension PaymentProviderRepository {
    /// A refund asked of a provider, kept from before the call until its outcome is known, so a
    /// refund whose answer was lost is found and booked by `refundRecoveryJob`.
    public struct RefundAttempt: Sendable, Equatable {
        public let reference: String
        public let orderID: String
        public let provider: String
        public let paymentID: String
        public let amount: Int64
        public let refundID: String?
        public let reason: String?
        public let afterSaleID: String?
        public let open: Bool
        public let generation: Int64

        public init(reference: String, orderID: String, provider: String, paymentID: String, amount: Int64, refundID: String?, reason: String?,
                    afterSaleID: String?, open: Bool = true, generation: Int64 = 1) {
            self.reference = reference
            self.orderID = orderID
            self.provider = provider
            self.paymentID = paymentID
            self.amount = amount
            self.refundID = refundID
            self.reason = reason
            self.afterSaleID = afterSaleID
            self.open = open
            self.generation = generation
        }
    }

    public static let refundRecoveryJob = "refunds.recover"

    /// Notes the attempt before the provider is asked, with the job that makes sure of its outcome
    /// in the same write: a crash after the provider's answer is found by the job too. Asking again
    /// under the same reference opens a new generation; only the generation that opened an attempt
    /// closes it. Returns the generation.
    public func openRefund(_ attempt: RefundAttempt, checkAt due: Instant, now: Instant) async throws -> Int64 {
        try await database.write { db in
            let generation = try await db.first("""
                INSERT INTO refund_attempts (reference, order_id, provider, payment_id, amount, refund_id, reason, after_sale_id, status, generation, created_at)
                VALUES (\(bind: attempt.reference), \(bind: attempt.orderID), \(bind: attempt.provider), \(bind: attempt.paymentID),
                        \(bind: attempt.amount), \(bind: attempt.refundID), \(bind: attempt.reason), \(bind: attempt.afterSaleID), 'open', 1,
                        \(bind: now.milliseconds))
                ON CONFLICT (reference) DO UPDATE SET status = 'open', generation = refund_attempts.generation + 1
                RETURNING generation
                """)?.decode(column: "generation", as: Int64.self) ?? 1
            try await JobQueue.schedule(kind: Self.refundRecoveryJob, at: due, payload: attempt.reference,
                                        dedupeKey: "\(Self.refundRecoveryJob):\(attempt.reference):\(generation)", now: now, in: db)
            return generation
        }
    }

    /// The outcome is known (booked, or refused): nothing more to find out, unless the attempt was
    /// opened again meanwhile.
    public func closeRefund(_ reference: String, generation: Int64) async throws {
        try await database.write { db in
            try await db.execute("UPDATE refund_attempts SET status = 'closed' WHERE reference = \(bind: reference) AND generation = \(bind: generation)")
        }
    }

    /// Asks again later (the provider did not answer the job either).
    public func recheckRefund(_ reference: String, at due: Instant, now: Instant) async throws {
        try await JobQueue(database: database).schedule(kind: Self.refundRecoveryJob, at: due, payload: reference,
                                                        dedupeKey: "\(Self.refundRecoveryJob):\(reference):at:\(due.milliseconds)", now: now)
    }

    public func refundAttempt(_ reference: String) async throws -> RefundAttempt? {
        try await database.read { db in
            try await db.first("""
                SELECT reference, order_id, provider, payment_id, amount, refund_id, reason, after_sale_id, status, generation FROM refund_attempts
                WHERE reference = \(bind: reference)
                """).map { row in
                RefundAttempt(reference: try row.decode(column: "reference", as: String.self), orderID: try row.decode(column: "order_id", as: String.self),
                              provider: try row.decode(column: "provider", as: String.self), paymentID: try row.decode(column: "payment_id", as: String.self),
                              amount: try row.decode(column: "amount", as: Int64.self), refundID: try row.decode(column: "refund_id", as: String?.self),
                              reason: try row.decode(column: "reason", as: String?.self), afterSaleID: try row.decode(column: "after_sale_id", as: String?.self),
                              open: try row.decode(column: "status", as: String.self) == "open",
                              generation: try row.decode(column: "generation", as: Int64.self))
            }
        }
    }

    public static let strayRefundJob = "payments.refund_stray"

    /// A payment a provider took for an order already paid by another: kept, with the job that
    /// refunds it in full, in the caller's transaction. The same payment again changes nothing.
    static func recordStray(paymentID: String, orderID: String, provider: String, amount: Int64, at now: Instant, in db: any SQLDatabase) async throws {
        guard try await db.first("""
            INSERT INTO stray_payments (payment_id, order_id, provider, amount, status, created_at)
            VALUES (\(bind: paymentID), \(bind: orderID), \(bind: provider), \(bind: amount), 'refunding', \(bind: now.milliseconds))
            ON CONFLICT (payment_id) DO NOTHING RETURNING payment_id
            """) != nil else { return }
        try await JobQueue.schedule(kind: strayRefundJob, at: now, payload: paymentID, dedupeKey: "\(strayRefundJob):\(paymentID)", now: now, in: db)
    }

    public struct StrayPayment: Sendable, Equatable {
        public let paymentID: String
        public let orderID: String
        public let provider: String
        public let amount: Int64
        public let refunded: Bool
    }

    public func stray(_ paymentID: String) async throws -> StrayPayment? {
        try await database.read { db in
            try await db.first("SELECT payment_id, order_id, provider, amount, status FROM stray_payments WHERE payment_id = \(bind: paymentID)").map {
                StrayPayment(paymentID: try $0.decode(column: "payment_id", as: String.self), orderID: try $0.decode(column: "order_id", as: String.self),
                             provider: try $0.decode(column: "provider", as: String.self), amount: try $0.decode(column: "amount", as: Int64.self),
                             refunded: try $0.decode(column: "status", as: String.self) == "refunded")
            }
        }
    }

    public func strayRefunded(_ paymentID: String, refundID: String) async throws {
        try await database.write { db in
            try await db.execute("UPDATE stray_payments SET status = 'refunded', refund_id = \(bind: refundID) WHERE payment_id = \(bind: paymentID)")
        }
    }
}
