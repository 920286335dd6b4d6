import SQLKit
import TuikeCore

/// A payment provider's settings as the merchant saved them: the public part as JSON, and the
/// secrets (private keys, the API key) as JSON sealed with the data key, so a copy of the database
/// alone never reveals them.
public struct StoredPaymentProvider: Sendable, Equatable {
    public let name: String
    public let settings: String
    public let secrets: String
    public let updatedAt: Instant
}

/// Provider settings, and the orders a provider was asked to take payment for (so an unpaid order
/// is closed at the provider before it is cancelled here).
public struct PaymentProviderRepository: Sendable {
    let database: any Database
    let cipher: FieldCipher

    public init(database: any Database, cipher: FieldCipher) {
        self.database = database
        self.cipher = cipher
    }

    /// Saves a provider's settings, replacing what was there.
    public func save(name: String, settings: String, secrets: String, at now: Instant) async throws {
        let sealed = try cipher.encrypt(secrets)
        try await database.write { db in
            try await db.execute("""
                INSERT INTO payment_providers (name, settings, secrets, updated_at)
                VALUES (\(bind: name), \(bind: settings), \(bind: sealed), \(bind: now.milliseconds))
                ON CONFLICT (name) DO UPDATE SET settings = excluded.settings, secrets = excluded.secrets, updated_at = excluded.updated_at
                """)
        }
    }

    public func find(_ name: String) async throws -> StoredPaymentProvider? {
        guard let row = try await database.read({ db in
            try await db.first("SELECT settings, secrets, updated_at FROM payment_providers WHERE name = \(bind: name)")
        }) else { return nil }
        return StoredPaymentProvider(name: name, settings: try row.decode(column: "settings", as: String.self),
                                     secrets: try cipher.decrypt(try row.decode(column: "secrets", as: String.self)),
                                     updatedAt: Instant(milliseconds: try row.decode(column: "updated_at", as: Int64.self)))
    }

    /// Removes a provider's settings; returns whether there were any.
    public func delete(_ name: String) async throws -> Bool {
        try await database.write { db in
            try await db.first("DELETE FROM payment_providers WHERE name = \(bind: name) RETURNING name") != nil
        }
    }

    /// What still needs the provider's settings, if anything: an unpaid order whose payment was
    /// started there (it must be closed there before it is cancelled), a refund whose outcome is
    /// not known yet, a payout not yet settled. Their settings must not go while these wait.
    public func inUse(_ provider: String) async throws -> String? {
        try await database.read { db in
            if try await db.first("""
                SELECT 1 AS x FROM payment_checkouts c JOIN orders o ON o.id = c.order_id
                WHERE c.provider = \(bind: provider) AND o.status = 'pending_payment' LIMIT 1
                """) != nil { return "unpaid orders whose payment was started there" }
            if try await db.first("SELECT 1 AS x FROM refund_attempts WHERE provider = \(bind: provider) AND status = 'open' LIMIT 1") != nil {
                return "refunds whose outcome is not known yet"
            }
            if try await db.first("SELECT 1 AS x FROM withdrawals WHERE provider = \(bind: provider) AND status = 'approved' LIMIT 1") != nil {
                return "payouts not settled yet"
            }
            return nil
        }
    }

    /// Notes that `provider` was asked to take the order's payment (the same again changes
    /// nothing). Returns the method the order's payment was first started with at this provider.
    @discardableResult
    public func recordCheckout(orderID: String, provider: String, method: String, at now: Instant) async throws -> String {
        try await database.write { db in
            try await db.execute("""
                INSERT INTO payment_checkouts (order_id, provider, method, created_at)
                VALUES (\(bind: orderID), \(bind: provider), \(bind: method), \(bind: now.milliseconds))
                ON CONFLICT (order_id, provider) DO NOTHING
                """)
            return try await db.first("SELECT method FROM payment_checkouts WHERE order_id = \(bind: orderID) AND provider = \(bind: provider)")?
                .decode(column: "method", as: String.self) ?? method
        }
    }

    /// Keeps what the buyer pays with (a QR code's text), so showing it again asks nobody.
    public func saveCheckoutDetail(orderID: String, provider: String, detail: String) async throws {
        try await database.write { db in
            try await db.execute("UPDATE payment_checkouts SET detail = \(bind: detail) WHERE order_id = \(bind: orderID) AND provider = \(bind: provider)")
        }
    }

    /// How the order's payment was started at `provider`, and what was kept of it.
    public func checkout(orderID: String, provider: String) async throws -> (method: String, detail: String?)? {
        try await database.read { db in
            try await db.first("SELECT method, detail FROM payment_checkouts WHERE order_id = \(bind: orderID) AND provider = \(bind: provider)").map {
                (try $0.decode(column: "method", as: String.self), try $0.decode(column: "detail", as: String?.self))
            }
        }
    }

    /// The providers an order's payment was started with.
    public func checkoutProviders(orderID: String) async throws -> [String] {
        try await Self.checkoutProviders(orderID: orderID, database: database)
    }

    public static func checkoutProviders(orderID: String, database: any Database) async throws -> [String] {
        try await database.read { db in
            try await db.rows("SELECT provider FROM payment_checkouts WHERE order_id = \(bind: orderID) ORDER BY provider")
                .map { try $0.decode(column: "provider", as: String.self) }
        }
    }

    /// What the promoter needs to confirm a transfer the provider holds until they do (WeChat
    /// Pay's `package_info`), kept until the withdrawal is settled.
    public func saveConfirmation(withdrawalID: String, provider: String, package: String, at now: Instant) async throws {
        try await database.write { db in
            try await db.execute("""
                INSERT INTO payout_confirmations (withdrawal_id, provider, package, created_at)
                VALUES (\(bind: withdrawalID), \(bind: provider), \(bind: package), \(bind: now.milliseconds))
                ON CONFLICT (withdrawal_id) DO UPDATE SET provider = excluded.provider, package = excluded.package
                """)
        }
    }

    public func confirmation(withdrawalID: String) async throws -> (provider: String, package: String)? {
        try await database.read { db in
            try await db.first("SELECT provider, package FROM payout_confirmations WHERE withdrawal_id = \(bind: withdrawalID)").map {
                (try $0.decode(column: "provider", as: String.self), try $0.decode(column: "package", as: String.self))
            }
        }
    }

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

    static let migration = Migration(version: 36, name: "payment_providers", statements: [
        """
        CREATE TABLE payment_providers (
            name TEXT PRIMARY KEY,
            settings TEXT NOT NULL,
            secrets TEXT NOT NULL,
            updated_at BIGINT NOT NULL
        )
        """,
        """
        CREATE TABLE payment_checkouts (
            order_id TEXT NOT NULL,
            provider TEXT NOT NULL,
            method TEXT NOT NULL,
            detail TEXT,
            created_at BIGINT NOT NULL,
            PRIMARY KEY (order_id, provider)
        )
        """,
        """
        CREATE TABLE refund_attempts (
            reference TEXT PRIMARY KEY,
            order_id TEXT NOT NULL,
            provider TEXT NOT NULL,
            payment_id TEXT NOT NULL,
            amount BIGINT NOT NULL,
            refund_id TEXT,
            reason TEXT,
            after_sale_id TEXT,
            status TEXT NOT NULL,
            generation BIGINT NOT NULL,
            created_at BIGINT NOT NULL
        )
        """,
        """
        CREATE TABLE stray_payments (
            payment_id TEXT PRIMARY KEY,
            order_id TEXT NOT NULL,
            provider TEXT NOT NULL,
            amount BIGINT NOT NULL,
            status TEXT NOT NULL,
            refund_id TEXT,
            created_at BIGINT NOT NULL
        )
        """,
        """
        CREATE TABLE payout_confirmations (
            withdrawal_id TEXT PRIMARY KEY,
            provider TEXT NOT NULL,
            package TEXT NOT NULL,
            created_at BIGINT NOT NULL
        )
        """,
    ])
}
