import SQLKit

/// One schema for both databases: only types both understand (TEXT, BIGINT), times as BIGINT
/// milliseconds since 1970 UTC, booleans as BIGINT 0/1, ids as TEXT made by the application.
public struct Migration: Sendable {
    public let version: Int64
    public let name: String
    public let statements: [String]
    /// Statements that differ by database (triggers): run after `statements`.
    public let dialectStatements: [Dialect.Kind: [String]]

    public init(version: Int64, name: String, statements: [String], dialectStatements: [Dialect.Kind: [String]] = [:]) {
        self.version = version
        self.name = name
        self.statements = statements
        self.dialectStatements = dialectStatements
    }
}

public enum Migrations {
    public static let all: [Migration] = [
        Migration(version: 1, name: "foundation", statements: [
            """
            CREATE TABLE settings (
                key TEXT PRIMARY KEY,
                value TEXT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE program_settings (
                id BIGINT PRIMARY KEY CHECK (id = 1),
                body TEXT NOT NULL,
                revision BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE products (
                id TEXT PRIMARY KEY,
                title TEXT NOT NULL,
                description TEXT NOT NULL DEFAULT '',
                kind TEXT NOT NULL CHECK (kind IN ('course', 'physical', 'service')),
                price BIGINT NOT NULL CHECK (price >= 0),
                currency TEXT NOT NULL DEFAULT 'CNY',
                stock BIGINT CHECK (stock IS NULL OR stock >= 0),
                status TEXT NOT NULL CHECK (status IN ('active', 'archived')),
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX products_by_status ON products (status, id)",
            """
            CREATE TABLE api_tokens (
                id TEXT PRIMARY KEY,
                token_hash TEXT NOT NULL UNIQUE,
                role TEXT NOT NULL CHECK (role IN ('admin', 'promoter')),
                subject_id TEXT,
                label TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                revoked_at BIGINT
            )
            """,
            """
            CREATE TABLE idempotency_keys (
                principal TEXT NOT NULL,
                idem_key TEXT NOT NULL,
                method TEXT NOT NULL,
                path TEXT NOT NULL,
                request_hash TEXT NOT NULL,
                status BIGINT,
                content_type TEXT,
                response_body TEXT,
                created_at BIGINT NOT NULL,
                completed_at BIGINT,
                PRIMARY KEY (principal, idem_key)
            )
            """,
            "CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at)",
            """
            CREATE TABLE jobs (
                id TEXT PRIMARY KEY,
                kind TEXT NOT NULL,
                dedupe_key TEXT UNIQUE,
                payload TEXT NOT NULL DEFAULT '{}',
                due_at BIGINT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('due', 'running', 'done', 'failed')),
                attempts BIGINT NOT NULL DEFAULT 0,
                max_attempts BIGINT NOT NULL DEFAULT 10,
                lease_owner TEXT,
                lease_until BIGINT,
                last_error TEXT,
                created_at BIGINT NOT NULL,
                finished_at BIGINT
            )
            """,
            "CREATE INDEX jobs_by_due ON jobs (status, due_at)",
        ]),
        PromoterMigration.migration,
        OrderMigration.migration,
        SettlementMigration.migration,
        GroupMigration.migration,
        WebMigration.migration,
        LoginThrottleMigration.migration,
        // Reading an order's payments scanned the whole table: measured as most of the SQLite time
        // of `bench/orders.sh` once statements ran in place.
        Migration(version: 8, name: "payments_by_order", statements: [
            "CREATE INDEX payments_by_order ON payments (order_id, id)",
        ]),
        // The tier ladder counts a promoter's paid orders of the month on every payment; with
        // `self_referral` in the index the count reads only the index, not each order's row.
        Migration(version: 9, name: "orders_by_promoter_covering", statements: [
            "DROP INDEX orders_by_promoter",
            "CREATE INDEX orders_by_promoter ON orders (promoter_id, paid_at, self_referral)",
        ]),
        // Unpaid orders are cancelled by a sweep over this partial index instead of a job per
        // order (see `OrderRepository.expireDue`). Orders stored before keep their jobs.
        Migration(version: 10, name: "orders_expire_by_sweep", statements: [
            "ALTER TABLE orders ADD COLUMN expires_at BIGINT",
            "CREATE INDEX orders_awaiting_payment ON orders (expires_at) WHERE status = 'pending_payment'",
        ]),
        ClickStorageMigration.migration,
        // Sessions end when access ends (a suspension, a new password): found by their subject.
        Migration(version: 12, name: "web_sessions_by_subject", statements: [
            "CREATE INDEX web_sessions_by_subject ON web_sessions (kind, subject_id)",
        ]),
        UnpaidHolds.migration,
        CountedOrders.migration,
        AccountBalances.migration,
        DayRollups.migration,
        LedgerCheck.migration,
        ControlAccounts.migration,
        ScopeTotals.migration,
        OpenDay.migration,
        // An order list filtered by status (refunded, cancelled: a few among a million) reads that
        // status's newest orders instead of walking all of them.
        Migration(version: 21, name: "orders_by_status", statements: [
            "CREATE INDEX IF NOT EXISTS orders_by_status ON orders (status, id)",
        ]),
        MaterialsMigration.migration,
        FulfilmentMigration.migration,
        BuyerMigration.migration,
        NotificationRepository.migration,
        VideoRepository.migration,
        RestockMigration.migration,
        RiskMigration.migration,
        AnalyticsMigration.migration,
        IncentiveMigration.migration,
        OpenDay.salesMigration,
        OpenDay.scopesMigration,
        IncentiveMigration.exclusiveMaterials,
        RoiCohorts.migration,
        EventRepository.rotationMigration,
        PaymentProviderRepository.migration,
        TierCloseInputs.migration,
        SpreadQuery.revisionMigration,
        IncentiveMigration.couponRewards,
    ]
}

/// Applies pending migrations, each once, in its own transaction. On PostgreSQL an advisory lock
/// makes concurrent starts of several instances take turns; on SQLite the single writer does.
public struct Migrator: Sendable {
    let database: any Database
    let migrations: [Migration]

    public init(database: any Database, migrations: [Migration] = Migrations.all) {
        self.database = database
        self.migrations = migrations
    }

    /// Returns the versions applied by this call.
    @discardableResult
    public func migrate(now: Int64) async throws -> [Int64] {
        let dialect = database.dialect
        try await database.write { db in
            if dialect.kind == .postgres { try await db.execute("SELECT pg_advisory_xact_lock(7368757)") }
            try await db.execute("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)
                """)
        }
        var applied: [Int64] = []
        for migration in migrations.sorted(by: { $0.version < $1.version }) {
            let didApply = try await database.write { db in
                if dialect.kind == .postgres { try await db.execute("SELECT pg_advisory_xact_lock(7368757)") }
                let existing = try await db.first("SELECT version FROM schema_migrations WHERE version = \(bind: migration.version)")
                guard existing == nil else { return false }
                for statement in migration.statements + (migration.dialectStatements[dialect.kind] ?? []) {
                    try await db.raw(SQLQueryString(statement)).run()
                }
                try await db.execute("""
                    INSERT INTO schema_migrations (version, name, applied_at)
                    VALUES (\(bind: migration.version), \(bind: migration.name), \(bind: now))
                    """)
                return true
            }
            if didApply { applied.append(migration.version) }
        }
        return applied
    }

    public func appliedVersions() async throws -> [Int64] {
        try await database.read { db in
            try await db.rows("SELECT version FROM schema_migrations ORDER BY version").map { try $0.decode(column: "version", as: Int64.self) }
        }
    }
}
