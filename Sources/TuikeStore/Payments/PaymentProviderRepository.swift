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
