/// Migration 28: risk. The owner's rules (one row per signal, versioned, every change audited),
/// trusted promoters left out of chosen rules, where promoters were seen (keyed hashes of their
/// addresses and devices, the last time and how), the address and device an order came from,
/// and cases: the signals of one promoter on one order (or one day), with the commissions they hold
/// and their review.
enum RiskMigration {
    static let migration = Migration(version: 28, name: "risk", statements: [
        """
        CREATE TABLE risk_rules (
            code TEXT PRIMARY KEY,
            mode TEXT NOT NULL CHECK (mode IN ('off', 'shadow', 'hold')),
            threshold BIGINT NOT NULL,
            weight BIGINT NOT NULL,
            version BIGINT NOT NULL,
            updated_at BIGINT NOT NULL
        )
        """,
        """
        CREATE TABLE risk_exclusions (
            promoter_id TEXT NOT NULL REFERENCES promoters (id),
            code TEXT NOT NULL,
            reason TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            PRIMARY KEY (promoter_id, code)
        )
        """,
        """
        CREATE TABLE promoter_sightings (
            promoter_id TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('ip', 'device')),
            value_hash TEXT NOT NULL,
            source TEXT NOT NULL,
            seen_at BIGINT NOT NULL,
            PRIMARY KEY (promoter_id, kind, value_hash)
        )
        """,
        "ALTER TABLE orders ADD COLUMN ip_hash TEXT",
        "ALTER TABLE orders ADD COLUMN device_hash TEXT",
        """
        CREATE TABLE risk_cases (
            id TEXT PRIMARY KEY,
            promoter_id TEXT NOT NULL,
            subject TEXT NOT NULL,
            order_id TEXT,
            status TEXT NOT NULL CHECK (status IN ('open', 'recorded', 'released', 'rejected')),
            signals TEXT NOT NULL,
            score BIGINT NOT NULL,
            created_at BIGINT NOT NULL,
            resolved_at BIGINT,
            resolved_by TEXT,
            resolution TEXT
        )
        """,
        // One case per promoter and subject (an order, or a signal and day): a payment or a scan
        // run twice opens nothing new.
        "CREATE UNIQUE INDEX risk_cases_one_per_subject ON risk_cases (promoter_id, subject)",
        "CREATE INDEX risk_cases_by_order ON risk_cases (order_id) WHERE order_id IS NOT NULL",
        // The commissions a case holds, released or rejected with it.
        "ALTER TABLE commissions ADD COLUMN risk_case_id TEXT",
        // The device a click came from, when /tuike.js or the integrator sent one (a keyed hash).
        "ALTER TABLE clicks ADD COLUMN device_hash TEXT",
        "CREATE INDEX commissions_by_risk_case ON commissions (risk_case_id) WHERE risk_case_id IS NOT NULL",
        "CREATE INDEX risk_cases_by_status ON risk_cases (status, id)",
        // The hourly scan forgets sightings older than the longest window.
        "CREATE INDEX promoter_sightings_by_time ON promoter_sightings (seen_at)",
        // The withdrawal requests naming one account, and the promoters who joined lately (the
        // hourly scan's new promoters), without reading the whole table.
        "CREATE INDEX withdrawals_by_account ON withdrawals (channel, account)",
        "CREATE INDEX promoters_by_created ON promoters (created_at)",
        "CREATE INDEX risk_cases_by_promoter ON risk_cases (promoter_id, id)",
    ])
}
