/// Migration 22: promotion materials. Uploaded images, stored by content in the database (so every
/// instance on one PostgreSQL serves the same files) with their downscaled renditions; a product's
/// cover, gallery, video and rich detail (media ids are checked by the API: media are never
/// deleted, and the tables are made after these); poster templates (two built in); copy templates; the
/// material a click came from; QR scans in the day rollups.
enum MaterialsMigration {
    static func mediaTables(blob: String) -> [String] {
        [
            """
            CREATE TABLE media (
                id TEXT PRIMARY KEY,
                sha256 TEXT NOT NULL UNIQUE,
                mime TEXT NOT NULL,
                width BIGINT NOT NULL,
                height BIGINT NOT NULL,
                size BIGINT NOT NULL,
                bytes \(blob) NOT NULL,
                created_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE media_renditions (
                media_id TEXT NOT NULL,
                width BIGINT NOT NULL,
                height BIGINT NOT NULL,
                mime TEXT NOT NULL,
                bytes \(blob) NOT NULL,
                PRIMARY KEY (media_id, width)
            )
            """,
        ]
    }

    static let migration = Migration(version: 22, name: "promotion_materials", statements: [
        """
        CREATE TABLE product_media (
            product_id TEXT PRIMARY KEY REFERENCES products (id),
            cover_media_id TEXT,
            gallery TEXT NOT NULL,
            video_url TEXT,
            video_cover_media_id TEXT,
            detail TEXT NOT NULL,
            updated_at BIGINT NOT NULL
        )
        """,
        """
        CREATE TABLE poster_templates (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            layout TEXT NOT NULL CHECK (layout IN ('portrait', 'square')),
            brand_colour TEXT NOT NULL,
            background_colour TEXT NOT NULL,
            background_media_id TEXT,
            copy_line TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('active', 'archived')),
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL
        )
        """,
        """
        INSERT INTO poster_templates (id, name, layout, brand_colour, background_colour, background_media_id, copy_line, status, created_at, updated_at)
        VALUES ('portrait', '朋友圈竖版', 'portrait', '#e8523f', '#fff6ef', NULL, '长按识别二维码，立即了解', 'active', 0, 0),
               ('square', '群聊方图', 'square', '#2f6fdf', '#f2f6ff', NULL, '扫码查看详情', 'active', 0, 0)
        """,
        """
        CREATE TABLE copy_templates (
            id TEXT PRIMARY KEY,
            product_id TEXT REFERENCES products (id),
            text TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('active', 'archived')),
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL
        )
        """,
        "CREATE INDEX copy_templates_by_product ON copy_templates (product_id, id)",
        // What a promoter shared, by day: the material center's "shared" counts.
        """
        CREATE TABLE material_shares (
            promoter_id TEXT NOT NULL,
            product_id TEXT NOT NULL,
            item TEXT NOT NULL,
            day TEXT NOT NULL,
            shares BIGINT NOT NULL,
            PRIMARY KEY (product_id, item, promoter_id, day)
        )
        """,
        // The material a click came from (`?s=` on the link: `qr`, `p.<template>`, `t.<copy>`, `m.<media>`).
        "ALTER TABLE clicks ADD COLUMN source TEXT",
        "ALTER TABLE day_rollups ADD COLUMN qr_clicks BIGINT NOT NULL DEFAULT 0",
    ], dialectStatements: [
        .sqlite: mediaTables(blob: "BLOB"),
        .postgres: mediaTables(blob: "BYTEA"),
    ])
}
