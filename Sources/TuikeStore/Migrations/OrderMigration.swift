/// Migration 3: orders, payments, commissions, entitlements, per-product rules and the journal.
enum OrderMigration {
    static let migration = Migration(version: 3, name: "orders_commissions_ledger", statements: [
        """
        CREATE TABLE orders (
            id TEXT PRIMARY KEY,
            buyer_id TEXT NOT NULL,
            external_id TEXT UNIQUE,
            status TEXT NOT NULL CHECK (status IN ('pending_payment', 'paid', 'partially_refunded', 'refunded', 'cancelled')),
            currency TEXT NOT NULL DEFAULT 'CNY',
            amount BIGINT NOT NULL CHECK (amount >= 0),
            discount BIGINT NOT NULL DEFAULT 0 CHECK (discount >= 0),
            refunded BIGINT NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= amount),
            visitor_id TEXT,
            click_id TEXT,
            coupon TEXT,
            promoter_id TEXT,
            level_one TEXT NOT NULL DEFAULT '',
            level_two TEXT,
            level_three TEXT,
            attribution_rule TEXT NOT NULL,
            attribution_click_id TEXT,
            self_referral BIGINT NOT NULL DEFAULT 0,
            created_at BIGINT NOT NULL,
            paid_at BIGINT
        )
        """,
        "CREATE INDEX orders_by_promoter ON orders (promoter_id, paid_at)",
        "CREATE INDEX orders_by_buyer ON orders (buyer_id, id)",
        """
        CREATE TABLE coupons (
            code TEXT PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('fixed', 'percent')),
            value BIGINT NOT NULL CHECK (value > 0),
            promoter_id TEXT REFERENCES promoters (id),
            min_amount BIGINT NOT NULL DEFAULT 0,
            starts_at BIGINT,
            ends_at BIGINT,
            usage_limit BIGINT,
            used BIGINT NOT NULL DEFAULT 0 CHECK (used >= 0 AND (usage_limit IS NULL OR used <= usage_limit)),
            created_at BIGINT NOT NULL
        )
        """,
        """
        CREATE TABLE order_items (
            id TEXT PRIMARY KEY,
            order_id TEXT NOT NULL REFERENCES orders (id),
            position BIGINT NOT NULL,
            product_id TEXT NOT NULL REFERENCES products (id),
            title TEXT NOT NULL,
            kind TEXT NOT NULL,
            unit_price BIGINT NOT NULL,
            quantity BIGINT NOT NULL CHECK (quantity > 0),
            discount BIGINT NOT NULL DEFAULT 0 CHECK (discount >= 0),
            paid BIGINT NOT NULL CHECK (paid >= 0),
            refunded BIGINT NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= paid),
            rule TEXT NOT NULL,
            rule_source TEXT NOT NULL
        )
        """,
        "CREATE INDEX order_items_by_order ON order_items (order_id, position)",
        """
        CREATE TABLE payments (
            id TEXT PRIMARY KEY,
            order_id TEXT NOT NULL REFERENCES orders (id),
            payment_id TEXT NOT NULL UNIQUE,
            provider TEXT NOT NULL,
            amount BIGINT NOT NULL,
            created_at BIGINT NOT NULL
        )
        """,
        """
        CREATE TABLE refunds (
            id TEXT PRIMARY KEY,
            order_id TEXT NOT NULL REFERENCES orders (id),
            refund_id TEXT UNIQUE,
            amount BIGINT NOT NULL CHECK (amount > 0),
            reason TEXT,
            created_at BIGINT NOT NULL
        )
        """,
        "CREATE INDEX refunds_by_order ON refunds (order_id, id)",
        """
        CREATE TABLE commissions (
            id TEXT PRIMARY KEY,
            order_id TEXT NOT NULL REFERENCES orders (id),
            order_item_id TEXT NOT NULL REFERENCES order_items (id),
            promoter_id TEXT NOT NULL REFERENCES promoters (id),
            level BIGINT NOT NULL CHECK (level BETWEEN 1 AND 3),
            amount BIGINT NOT NULL CHECK (amount > 0),
            reversed BIGINT NOT NULL DEFAULT 0 CHECK (reversed >= 0 AND reversed <= amount),
            status TEXT NOT NULL CHECK (status IN ('pending', 'held', 'settled', 'withdrawn', 'reversed', 'rejected')),
            rule_source TEXT NOT NULL,
            basis TEXT NOT NULL,
            eligible_at BIGINT NOT NULL,
            created_at BIGINT NOT NULL
        )
        """,
        "CREATE INDEX commissions_by_promoter ON commissions (promoter_id, status, id)",
        "CREATE INDEX commissions_by_order ON commissions (order_id)",
        """
        CREATE TABLE product_rules (
            product_id TEXT PRIMARY KEY REFERENCES products (id),
            body TEXT NOT NULL,
            updated_at BIGINT NOT NULL
        )
        """,
        """
        CREATE TABLE campaign_rules (
            id TEXT PRIMARY KEY,
            product_id TEXT REFERENCES products (id),
            starts_at BIGINT NOT NULL,
            ends_at BIGINT NOT NULL,
            body TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            CHECK (ends_at > starts_at)
        )
        """,
        "CREATE INDEX campaign_rules_by_end ON campaign_rules (ends_at)",
        """
        CREATE TABLE ranks (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            metric TEXT NOT NULL CHECK (metric IN ('paid_orders', 'gmv')),
            threshold BIGINT NOT NULL CHECK (threshold >= 0),
            bonus_bps BIGINT NOT NULL CHECK (bonus_bps >= 0 AND bonus_bps <= 10000),
            created_at BIGINT NOT NULL
        )
        """,
        "ALTER TABLE promoters ADD COLUMN rank_id TEXT REFERENCES ranks (id)",
        """
        CREATE TABLE entitlements (
            buyer_id TEXT NOT NULL,
            product_id TEXT NOT NULL REFERENCES products (id),
            order_id TEXT NOT NULL REFERENCES orders (id),
            granted_at BIGINT NOT NULL,
            revoked_at BIGINT,
            PRIMARY KEY (buyer_id, product_id, order_id)
        )
        """,
        """
        CREATE TABLE events (
            id TEXT PRIMARY KEY,
            type TEXT NOT NULL,
            subject_id TEXT NOT NULL,
            payload TEXT NOT NULL,
            created_at BIGINT NOT NULL
        )
        """,
        "CREATE INDEX events_by_type ON events (type, id)",
        """
        CREATE TABLE webhook_endpoints (
            id TEXT PRIMARY KEY,
            url TEXT NOT NULL,
            secret TEXT NOT NULL,
            event_types TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('active', 'disabled')),
            created_at BIGINT NOT NULL
        )
        """,
        """
        CREATE TABLE webhook_deliveries (
            event_id TEXT NOT NULL REFERENCES events (id),
            endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints (id),
            status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
            attempts BIGINT NOT NULL DEFAULT 0,
            next_attempt_at BIGINT NOT NULL,
            last_status BIGINT,
            last_error TEXT,
            updated_at BIGINT NOT NULL,
            PRIMARY KEY (event_id, endpoint_id)
        )
        """,
        "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at)",
        """
        CREATE TABLE journal_entries (
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            reference TEXT NOT NULL,
            created_at BIGINT NOT NULL
        )
        """,
        "CREATE INDEX journal_entries_by_reference ON journal_entries (reference)",
        """
        CREATE TABLE journal_postings (
            entry_id TEXT NOT NULL REFERENCES journal_entries (id),
            account TEXT NOT NULL,
            amount BIGINT NOT NULL
        )
        """,
        "CREATE INDEX journal_postings_by_account ON journal_postings (account)",
    ], dialectStatements: PromoterMigration.immutable(["journal_entries", "journal_postings", "events"]))
}
