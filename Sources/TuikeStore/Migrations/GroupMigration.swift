/// Migration 5: group buying (拼团, docs/rules.md §9).
enum GroupMigration {
    static let migration = Migration(version: 5, name: "group_buying", statements: [
        "ALTER TABLE orders ADD COLUMN group_id TEXT",
        """
        CREATE TABLE group_campaigns (
            id TEXT PRIMARY KEY,
            product_id TEXT NOT NULL REFERENCES products (id),
            group_price BIGINT NOT NULL CHECK (group_price >= 0),
            leader_price BIGINT CHECK (leader_price IS NULL OR leader_price >= 0),
            group_size BIGINT NOT NULL CHECK (group_size BETWEEN 2 AND 50),
            duration_seconds BIGINT NOT NULL,
            per_user_limit BIGINT NOT NULL CHECK (per_user_limit >= 1),
            max_groups BIGINT,
            groups_opened BIGINT NOT NULL DEFAULT 0 CHECK (groups_opened >= 0),
            virtual_success BIGINT NOT NULL,
            payment_timeout_seconds BIGINT NOT NULL,
            expiring_soon_seconds BIGINT NOT NULL,
            starts_at BIGINT NOT NULL,
            ends_at BIGINT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('active', 'paused')),
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL,
            CHECK (max_groups IS NULL OR groups_opened <= max_groups)
        )
        """,
        // The capacity rule lives in the schema too: whatever the code does, a group never holds
        // more paid members and live reservations than its size.
        """
        CREATE TABLE groups (
            id TEXT PRIMARY KEY,
            campaign_id TEXT NOT NULL REFERENCES group_campaigns (id),
            leader_buyer_id TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('pending', 'forming', 'succeeded', 'failed', 'cancelled')),
            size BIGINT NOT NULL,
            paid_members BIGINT NOT NULL DEFAULT 0 CHECK (paid_members >= 0),
            reserved BIGINT NOT NULL DEFAULT 0 CHECK (reserved >= 0),
            expires_at BIGINT,
            event_seq BIGINT NOT NULL DEFAULT 0,
            created_at BIGINT NOT NULL,
            finished_at BIGINT,
            CHECK (paid_members + reserved <= size)
        )
        """,
        "CREATE INDEX groups_by_campaign ON groups (campaign_id, status, expires_at)",
        """
        CREATE TABLE group_members (
            id TEXT PRIMARY KEY,
            group_id TEXT NOT NULL REFERENCES groups (id),
            buyer_id TEXT NOT NULL,
            order_id TEXT NOT NULL UNIQUE REFERENCES orders (id),
            role TEXT NOT NULL CHECK (role IN ('leader', 'member')),
            status TEXT NOT NULL CHECK (status IN ('reserved', 'paid', 'released', 'refunding', 'refunded')),
            is_new_buyer BIGINT NOT NULL DEFAULT 0,
            refund_error TEXT,
            created_at BIGINT NOT NULL,
            paid_at BIGINT
        )
        """,
        "CREATE UNIQUE INDEX group_members_one_slot ON group_members (group_id, buyer_id) WHERE status IN ('reserved', 'paid')",
        "CREATE INDEX group_members_by_group ON group_members (group_id, created_at)",
        "CREATE INDEX group_members_by_status ON group_members (status, id)",
        // Slots a buyer holds in a campaign's groups, for `per_user_limit` checked in the statement that takes one.
        """
        CREATE TABLE campaign_buyers (
            campaign_id TEXT NOT NULL REFERENCES group_campaigns (id),
            buyer_id TEXT NOT NULL,
            slots BIGINT NOT NULL CHECK (slots >= 0),
            PRIMARY KEY (campaign_id, buyer_id)
        )
        """,
        """
        CREATE TABLE group_events (
            group_id TEXT NOT NULL REFERENCES groups (id),
            seq BIGINT NOT NULL,
            type TEXT NOT NULL,
            members BIGINT NOT NULL,
            reserved BIGINT NOT NULL,
            size BIGINT NOT NULL,
            status TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            PRIMARY KEY (group_id, seq)
        )
        """,
    ], dialectStatements: PromoterMigration.immutable(["group_events"]))
}
