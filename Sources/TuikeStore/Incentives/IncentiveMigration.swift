/// Incentives: badge rules and the badges awarded, points rules (points themselves are derived
/// from the orders).
enum IncentiveMigration {
    static let migration = Migration(version: 30, name: "incentives", statements: [
        """
        CREATE TABLE badge_rules (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            metric TEXT NOT NULL CHECK (metric IN ('paid_orders', 'gmv')),
            period TEXT NOT NULL CHECK (period IN ('day', 'week', 'month')),
            threshold BIGINT NOT NULL CHECK (threshold > 0),
            valid_days BIGINT NOT NULL CHECK (valid_days >= 0),
            bonus BIGINT NOT NULL CHECK (bonus >= 0),
            perk TEXT,
            active BIGINT NOT NULL,
            awarded_through BIGINT NOT NULL,
            created_at BIGINT NOT NULL
        )
        """,
        """
        CREATE TABLE promoter_badges (
            promoter_id TEXT NOT NULL REFERENCES promoters (id),
            badge_id TEXT NOT NULL REFERENCES badge_rules (id),
            period_start BIGINT NOT NULL,
            period_end BIGINT NOT NULL,
            value BIGINT NOT NULL,
            awarded_at BIGINT NOT NULL,
            expires_at BIGINT NOT NULL,
            adjustment_id TEXT,
            PRIMARY KEY (promoter_id, badge_id, period_start)
        )
        """,
        "CREATE INDEX promoter_badges_by_badge ON promoter_badges (badge_id, period_start)",
        """
        CREATE TABLE points_rules (
            id TEXT PRIMARY KEY,
            product_id TEXT REFERENCES products (id),
            points BIGINT NOT NULL CHECK (points > 0),
            starts_at BIGINT NOT NULL,
            ends_at BIGINT,
            created_at BIGINT NOT NULL
        )
        """,
    ])

    /// Materials only the holders of a badge see: a badge's perk the product enforces.
    static let exclusiveMaterials = Migration(version: 33, name: "exclusive_materials", statements: [
        "ALTER TABLE poster_templates ADD COLUMN badge_id TEXT REFERENCES badge_rules (id)",
        "ALTER TABLE copy_templates ADD COLUMN badge_id TEXT REFERENCES badge_rules (id)",
    ])

    /// A badge may give each promoter who earns it a coupon of its own.
    static let couponRewards = Migration(version: 39, name: "badge_coupons", statements: [
        "ALTER TABLE badge_rules ADD COLUMN coupon TEXT",
        "ALTER TABLE promoter_badges ADD COLUMN coupon_code TEXT",
    ])
}
