/// Migration 24: buyer accounts. Buyers sign in with a phone (kept encrypted, found by its keyed
/// hash) and a one-time code (kept as a keyed hash, never the digits); their sessions are bearer
/// tokens kept as hashes; their address book.
enum BuyerMigration {
    static let migration = Migration(version: 24, name: "buyer_accounts", statements: [
        """
        CREATE TABLE buyers (
            id TEXT PRIMARY KEY,
            phone_hash TEXT NOT NULL UNIQUE,
            phone TEXT NOT NULL,
            phone_masked TEXT NOT NULL,
            wechat_openid TEXT,
            marketing_opt_out BIGINT NOT NULL DEFAULT 0,
            created_at BIGINT NOT NULL,
            last_login_at BIGINT NOT NULL
        )
        """,
        """
        CREATE TABLE sms_codes (
            id TEXT PRIMARY KEY,
            phone_hash TEXT NOT NULL,
            address_hash TEXT NOT NULL,
            code_hash TEXT NOT NULL,
            attempts BIGINT NOT NULL DEFAULT 0,
            created_at BIGINT NOT NULL,
            expires_at BIGINT NOT NULL,
            used_at BIGINT
        )
        """,
        "CREATE INDEX sms_codes_by_phone ON sms_codes (phone_hash, created_at)",
        "CREATE INDEX sms_codes_by_address ON sms_codes (address_hash, created_at)",
        """
        CREATE TABLE buyer_tokens (
            id TEXT PRIMARY KEY,
            token_hash TEXT NOT NULL UNIQUE,
            buyer_id TEXT NOT NULL REFERENCES buyers (id),
            created_at BIGINT NOT NULL,
            expires_at BIGINT NOT NULL,
            revoked_at BIGINT
        )
        """,
        """
        CREATE TABLE buyer_addresses (
            id TEXT PRIMARY KEY,
            buyer_id TEXT NOT NULL REFERENCES buyers (id),
            body TEXT NOT NULL,
            is_default BIGINT NOT NULL DEFAULT 0,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL
        )
        """,
        "CREATE INDEX buyer_addresses_by_buyer ON buyer_addresses (buyer_id, id)",
    ])
}
