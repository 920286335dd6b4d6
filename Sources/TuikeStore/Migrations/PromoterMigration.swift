/// Migration 2: promoters, agreements and their evidence, the audit trail, links, clicks and
/// bindings.
enum PromoterMigration {
    static let immutableTables = ["agreement_acceptances", "agreements", "audit_log"]

    static let migration = Migration(version: 2, name: "promoters_and_attribution", statements: [
        """
        CREATE TABLE promoters (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            phone_encrypted TEXT,
            phone_masked TEXT,
            phone_hash TEXT UNIQUE,
            status TEXT NOT NULL CHECK (status IN ('applied', 'active', 'rejected', 'suspended', 'terminated')),
            parent_id TEXT REFERENCES promoters (id),
            invite_code TEXT NOT NULL UNIQUE,
            buyer_id TEXT,
            rejection_reason TEXT,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL,
            CHECK (parent_id IS NULL OR parent_id <> id)
        )
        """,
        "CREATE INDEX promoters_by_parent ON promoters (parent_id, id)",
        "CREATE INDEX promoters_by_status ON promoters (status, id)",
        "CREATE INDEX promoters_by_buyer ON promoters (buyer_id)",
        """
        CREATE TABLE agreements (
            version TEXT PRIMARY KEY,
            text TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            published_at BIGINT NOT NULL
        )
        """,
        """
        CREATE TABLE agreement_acceptances (
            id TEXT PRIMARY KEY,
            promoter_id TEXT NOT NULL REFERENCES promoters (id),
            version TEXT NOT NULL REFERENCES agreements (version),
            sha256 TEXT NOT NULL,
            signed_name TEXT NOT NULL,
            ip TEXT,
            user_agent TEXT,
            accepted_at BIGINT NOT NULL
        )
        """,
        "CREATE INDEX agreement_acceptances_by_promoter ON agreement_acceptances (promoter_id)",
        """
        CREATE TABLE audit_log (
            id TEXT PRIMARY KEY,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            subject TEXT NOT NULL,
            detail TEXT NOT NULL,
            at BIGINT NOT NULL
        )
        """,
        "CREATE INDEX audit_log_by_subject ON audit_log (subject, at)",
        """
        CREATE TABLE links (
            id TEXT PRIMARY KEY,
            code TEXT NOT NULL UNIQUE,
            promoter_id TEXT NOT NULL REFERENCES promoters (id),
            product_id TEXT REFERENCES products (id),
            target_url TEXT,
            status TEXT NOT NULL CHECK (status IN ('active', 'disabled')),
            created_at BIGINT NOT NULL
        )
        """,
        "CREATE INDEX links_by_promoter ON links (promoter_id, id)",
        """
        CREATE TABLE clicks (
            id TEXT PRIMARY KEY,
            link_id TEXT NOT NULL,
            promoter_id TEXT NOT NULL,
            product_id TEXT,
            visitor_id TEXT NOT NULL,
            at BIGINT NOT NULL,
            ip TEXT,
            user_agent TEXT,
            referrer TEXT,
            is_bot BIGINT NOT NULL DEFAULT 0
        )
        """,
        "CREATE INDEX clicks_by_visitor ON clicks (visitor_id, at)",
        "CREATE INDEX clicks_by_link ON clicks (link_id, at)",
        """
        CREATE TABLE bindings (
            buyer_id TEXT PRIMARY KEY,
            promoter_id TEXT NOT NULL REFERENCES promoters (id),
            bound_at BIGINT NOT NULL,
            expires_at BIGINT
        )
        """,
    ], dialectStatements: immutable(immutableTables, createFunction: true))

    /// Triggers that refuse UPDATE and DELETE on append-only tables (evidence, audit, journal).
    /// The PostgreSQL trigger function is created once, by this migration.
    static func immutable(_ tables: [String], createFunction: Bool = false) -> [Dialect.Kind: [String]] {
        [
            .sqlite: tables.flatMap { table in
                ["UPDATE", "DELETE"].map { operation in
                    """
                    CREATE TRIGGER \(table)_no_\(operation.lowercased()) BEFORE \(operation) ON \(table)
                    BEGIN SELECT RAISE(ABORT, '\(table) rows are immutable'); END
                    """
                }
            },
            .postgres: (createFunction ? [
                """
                CREATE FUNCTION tuike_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION '% rows are immutable', TG_TABLE_NAME; END $$
                """,
            ] : []) + tables.map { table in
                "CREATE TRIGGER \(table)_immutable BEFORE UPDATE OR DELETE ON \(table) FOR EACH ROW EXECUTE FUNCTION tuike_refuse_change()"
            },
        ]
    }
}
